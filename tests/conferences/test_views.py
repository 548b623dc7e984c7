from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from conferences.choices import ConferenceStatus
from tests.factories import make_conference, make_staff

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("lang", "heading", "past"),
    [
        ("nb", "Dialogkonferanser", "Tidligere konferanser"),
        ("nn", "Dialogkonferansar", "Tidlegare konferansar"),
        ("en", "Dialogue conferences", "Past conferences"),
    ],
)
def test_conference_list_renders_in_each_language(client, lang, heading, past):
    make_conference(title="Farleder 2027")

    response = client.get(reverse("conferences:list"), headers={"accept-language": lang})

    html = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in html
    assert f"<h1>{heading}</h1>" in html
    assert past in html
    assert "Farleder 2027" in html


def test_conference_list_splits_upcoming_and_past_and_hides_drafts(client):
    now = timezone.now()
    upcoming = make_conference(title="Kommende", starts_at=now + dt.timedelta(days=3))
    past = make_conference(
        title="Ferdig",
        starts_at=now - dt.timedelta(days=30),
        registration_opens_at=now - dt.timedelta(days=60),
        status=ConferenceStatus.FOLLOW_UP,
    )
    make_conference(title="Hemmelig utkast", status=ConferenceStatus.DRAFT)

    response = client.get(reverse("conferences:list"))

    assert [c.pk for c in response.context["upcoming"]] == [upcoming.pk]
    assert [c.pk for c in response.context["past"]] == [past.pk]
    assert "Hemmelig utkast" not in response.content.decode()


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("nb", "Påmeldingen er åpen til"),
        ("nn", "Påmeldinga er open til"),
        ("en", "Registration is open until"),
    ],
)
def test_conference_detail_shows_registration_call_in_each_language(client, lang, expected):
    conference = make_conference(agenda_items=2)

    response = client.get(conference.get_absolute_url(), headers={"accept-language": lang})

    html = response.content.decode()
    assert expected in html
    assert "Punkt 1" in html
    assert "Taler 2" in html


def test_conference_detail_shows_times_with_oslo_offset(client):
    winter = dt.datetime(2027, 1, 12, 8, 0, tzinfo=dt.UTC)
    summer = dt.datetime(2027, 6, 15, 7, 0, tzinfo=dt.UTC)
    opens = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    winter_conf = make_conference(starts_at=winter, registration_opens_at=opens)
    summer_conf = make_conference(starts_at=summer, registration_opens_at=opens)

    winter_html = client.get(winter_conf.get_absolute_url()).content.decode()
    summer_html = client.get(summer_conf.get_absolute_url()).content.decode()

    assert '<time datetime="2027-01-12T09:00:00+01:00">' in winter_html
    assert "UTC+01:00" not in winter_html
    assert '<time datetime="2027-06-15T09:00:00+02:00">' in summer_html
    assert "UTC+02:00" not in summer_html
    # The offset is stated once, for all the times the page shows (registration opens in
    # winter too, so the winter page has one offset and the summer page both).
    assert winter_html.count("Alle tider er norsk tid") == 1
    assert "Alle tider er norsk tid (UTC+1)." in winter_html
    assert "tirsdag 12. januar 2027 kl. 09.00" in winter_html
    assert (
        "Alle tider er norsk tid: UTC+1 før 28. mars 2027, UTC+2 fra og med 28. mars 2027."
        in summer_html
    )


def test_conference_detail_footer_links_to_the_buyers_statement(client):
    conference = make_conference()

    html = client.get(conference.get_absolute_url()).content.decode()

    assert f'href="{conference.buyer.accessibility_statement_url}"' in html
    assert 'href="/privacy/"' in html


def test_conference_detail_draft_is_404_for_public_and_preview_for_staff(client):
    draft = make_conference(status=ConferenceStatus.DRAFT, title="Utkastet")

    anonymous = client.get(draft.get_absolute_url())
    client.force_login(make_staff())
    staff = client.get(draft.get_absolute_url())

    assert anonymous.status_code == 404
    assert staff.status_code == 200
    assert "Forhåndsvisning" in staff.content.decode()


def test_conference_detail_closed_says_dialogue_is_closed(client):
    conference = make_conference(status=ConferenceStatus.CLOSED)

    html = client.get(conference.get_absolute_url(), headers={"accept-language": "en"})

    assert "The dialogue is closed" in html.content.decode()
    package_url = reverse("conferences:package", args=[conference.slug])
    assert f'href="{package_url}"' in html.content.decode()


def test_conference_detail_registration_not_yet_open_says_when(client):
    conference = make_conference(registration_opens_at=timezone.now() + dt.timedelta(days=2))

    html = client.get(conference.get_absolute_url(), headers={"accept-language": "en"})

    assert "Registration opens" in html.content.decode()
    assert html.context["registration_open"] is False


def test_conference_detail_query_count_is_the_same_for_1_and_30_agenda_items(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    small = make_conference(agenda_items=1)
    large = make_conference(agenda_items=30)
    client.get(small.get_absolute_url())  # warm up caches that are not per-page work

    with CaptureQueriesContext(connection) as small_queries:
        small_response = client.get(small.get_absolute_url())
    with CaptureQueriesContext(connection) as large_queries:
        large_response = client.get(large.get_absolute_url())

    assert len(small_response.context["agenda"]) == 1
    assert len(large_response.context["agenda"]) == 30
    assert len(small_queries) == len(large_queries)
    assert len(large_queries) <= 5


def test_conference_list_query_count_is_constant(client, django_assert_num_queries):
    for _ in range(5):
        make_conference()

    with django_assert_num_queries(2):
        response = client.get(reverse("conferences:list"))

    assert len(response.context["upcoming"]) == 5


def test_language_switcher_keeps_the_current_page(client):
    conference = make_conference()
    page = conference.get_absolute_url()

    response = client.get(reverse("switch_language", args=["nn"]), {"next": page})
    followed = client.get(page)

    assert response.status_code == 302
    assert response["Location"] == page
    assert "Påmeldinga er open til" in followed.content.decode()


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", ""])
def test_language_switcher_never_redirects_off_site(client, next_url):
    response = client.get(reverse("switch_language", args=["en"]), {"next": next_url})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert response.cookies["django_language"].value == "en"


def test_language_switcher_refuses_unknown_language(client):
    response = client.get(reverse("switch_language", args=["xx"]), {"next": "/"})

    assert response.status_code == 404
    assert "django_language" not in response.cookies


def test_privacy_notice_renders_in_nynorsk(client):
    response = client.get(reverse("privacy"), headers={"accept-language": "nn"})

    assert "Kva vi lagrar" in response.content.decode()


def test_pages_send_strict_security_headers(client):
    conference = make_conference()

    response = client.get(conference.get_absolute_url())

    policy = response["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "FROBNICATE"])
def test_public_read_only_pages_answer_405_to_other_methods(client, method):
    conference = make_conference()
    paths = [
        reverse("conferences:list"),
        reverse("conferences:archive"),
        conference.get_absolute_url(),
        reverse("conferences:calendar", args=[conference.slug]),
        reverse("conferences:package", args=[conference.slug]),
    ]

    statuses = {path: client.generic(method, path).status_code for path in paths}

    assert statuses == dict.fromkeys(paths, 405)
    assert client.head(reverse("conferences:list")).status_code == 200
