"""The few seconds of shared caching of public pages (dialogkonferanse/common/caching.py)."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings

from conferences.choices import ConferenceStatus
from conferences.models import Conference
from tests.factories import make_conference

pytestmark = pytest.mark.django_db


@pytest.fixture
def cached(settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 5


def test_public_page_cache_serves_the_landing_page_without_queries(
    client, cached, django_assert_num_queries
):
    conference = make_conference(title="Marknadsdialog om bøyer")
    first = client.get(conference.get_absolute_url())
    Conference.objects.filter(pk=conference.pk).update(title="Endret tittel")

    with django_assert_num_queries(0):
        second = client.get(conference.get_absolute_url())

    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert "Marknadsdialog om bøyer" in second.content.decode()


def test_public_page_cache_keeps_languages_apart(client, cached):
    conference = make_conference()

    bokmal = client.get(conference.get_absolute_url(), headers={"accept-language": "nb"})
    english = client.get(conference.get_absolute_url(), headers={"accept-language": "en"})

    assert 'lang="nb"' in bokmal.content.decode()
    assert 'lang="en"' in english.content.decode()


def test_public_page_cache_never_serves_a_visitor_with_a_session(client, cached):
    conference = make_conference(title="Før")
    client.get(conference.get_absolute_url())
    Conference.objects.filter(pk=conference.pk).update(title="Etter")
    client.cookies[django_settings.SESSION_COOKIE_NAME] = "a-session"

    response = client.get(conference.get_absolute_url())

    assert "Etter" in response.content.decode()


def test_public_page_cache_keeps_no_error_page(client, cached):
    draft = make_conference(status=ConferenceStatus.DRAFT)

    missing = client.get(draft.get_absolute_url())
    Conference.objects.filter(pk=draft.pk).update(status=ConferenceStatus.PUBLISHED)
    found = client.get(draft.get_absolute_url())

    assert (missing.status_code, found.status_code) == (404, 200)


def test_public_page_cache_off_renders_every_time(client, settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    conference = make_conference(title="Før")
    client.get(conference.get_absolute_url())
    Conference.objects.filter(pk=conference.pk).update(title="Etter")

    assert "Etter" in client.get(conference.get_absolute_url()).content.decode()
