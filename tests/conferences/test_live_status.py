"""The "live now" badge on the conference list and landing pages, and the small shared answer
their script polls (conferences/views.py live_status)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from conferences.choices import ConferenceStatus
from conferences.services import transition_conference
from tests.factories import make_conference

pytestmark = pytest.mark.django_db


def _badge(html: str, slug: str) -> str:
    match = re.search(
        rf'<div class="conference-live"[^>]*data-live-slug="{slug}".*?</div>', html, re.S
    )
    assert match, slug
    return match.group(0)


def _shown(badge: str) -> bool:
    return "hidden" not in re.search(r'<p class="conference-live-now[^>]*>', badge).group(0)


def test_live_status_lists_only_public_live_conferences(client):
    live = make_conference(status=ConferenceStatus.LIVE)
    make_conference(status=ConferenceStatus.PUBLISHED)
    make_conference(status=ConferenceStatus.FOLLOW_UP)
    make_conference(status=ConferenceStatus.DRAFT)

    response = client.get("/conferences/live.json")

    assert response.status_code == 200
    assert response.json() == {"live": [live.slug]}
    assert response["Cache-Control"] == "no-cache"  # the tests turn the shared cache off


def test_live_status_shared_between_visitors_for_a_few_seconds(
    client, settings, django_assert_num_queries
):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 5
    live = make_conference(status=ConferenceStatus.LIVE)
    client.get("/conferences/live.json")  # fills the cache

    with django_assert_num_queries(0):
        response = Client().get("/conferences/live.json")

    assert response.json() == {"live": [live.slug]}
    assert response["Cache-Control"] == "public, max-age=5"


@pytest.mark.parametrize(
    ("lang", "badge", "button"),
    [
        ("nb", "Direkte nå", "Se sendingen"),
        ("nn", "Direkte no", "Sjå sendinga"),
        ("en", "Live now", "Watch the stream"),
    ],
)
def test_landing_and_list_show_live_badge_while_live(lang, badge, button):
    conference = make_conference(status=ConferenceStatus.LIVE)
    client = Client(headers={"accept-language": lang})

    for url in (f"/conferences/{conference.slug}/", "/"):
        html = client.get(url).content.decode()
        box = _badge(html, conference.slug)
        assert _shown(box), url
        assert badge in box
        assert f'href="/me/{conference.slug}/stream/">{button}</a>' in box
        assert 'data-live-url="/conferences/live.json"' in box
        assert "conferences/live.js" in html


def test_landing_badge_follows_the_status_without_going_stale():
    conference = make_conference(status=ConferenceStatus.PUBLISHED)
    client = Client(headers={"accept-language": "en"})
    url = f"/conferences/{conference.slug}/"

    before = _shown(_badge(client.get(url).content.decode(), conference.slug))
    transition_conference(conference_id=conference.pk, to_status=ConferenceStatus.LIVE, actor=None)
    during = _shown(_badge(client.get(url).content.decode(), conference.slug))
    status_during = client.get("/conferences/live.json").json()
    transition_conference(
        conference_id=conference.pk, to_status=ConferenceStatus.FOLLOW_UP, actor=None
    )
    after = _shown(_badge(client.get(url).content.decode(), conference.slug))
    status_after = client.get("/conferences/live.json").json()

    assert (before, during, after) == (False, True, False)
    assert (status_during, status_after) == ({"live": [conference.slug]}, {"live": []})


def test_closed_conference_has_no_live_badge():
    conference = make_conference(status=ConferenceStatus.CLOSED)

    html = Client().get(f"/conferences/{conference.slug}/").content.decode()

    assert f'data-live-slug="{conference.slug}"' not in html
