"""A view that cannot reach the database answers 503 with a translated page, never a 500.
(The real outage, PostgreSQL stopped under the running app, is in `make faults`.)"""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.urls import reverse

from conferences import views as conference_views

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_down(monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")

    monkeypatch.setattr(conference_views, "upcoming_and_past_conferences", unreachable)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "The service cannot reach its database just now. Nothing was saved."),
        ("nb", "Tjenesten får ikke kontakt med databasen akkurat nå. Ingenting ble lagret."),
        ("nn", "Tenesta får ikkje kontakt med databasen akkurat no. Ingenting vart lagra."),
    ],
)
def test_database_unavailable_answers_503_in_the_visitors_language(
    client, database_down, language, text
):
    response = client.get(reverse("conferences:list"), headers={"accept-language": language})

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert text in response.content.decode()


def test_other_errors_are_not_disguised_as_unavailable(client, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(conference_views, "upcoming_and_past_conferences", broken)
    client.raise_request_exception = False

    response = client.get(reverse("conferences:list"))

    assert response.status_code == 500
