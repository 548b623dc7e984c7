"""The stream page without JavaScript: the ask box before the question list, an empty question
answered beside the field (focused and described), and the countdown, player, live badge and
end notice in the state the conference is in."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from conferences.choices import ConferenceStatus
from qa.models import Question
from tests.factories import make_conference, make_question

pytestmark = pytest.mark.django_db


def _stream(conference) -> str:
    return f"/me/{conference.slug}/stream/"


def _tag(html: str, element_id: str) -> str:
    match = re.search(rf'<[a-z]+ [^>]*id="{element_id}"[^>]*>', html)
    assert match, element_id
    return match.group(0)


def test_stream_ask_box_comes_before_the_question_list(live_conference, viewer_factory):
    make_question(conference=live_conference, status="published", text="Blir det delt?")
    _, client = viewer_factory(live_conference)

    html = client.get(_stream(live_conference)).content.decode()

    assert html.index('id="ask"') < html.index('id="qa-questions"')
    assert html.index('id="qa-questions"') < html.index('id="own-questions"')
    assert "Blir det delt?" in html


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("en", "Write your question before you send it."),
        ("nb", "Skriv spørsmålet ditt før du sender det."),
    ],
)
def test_stream_empty_question_error_is_beside_the_field_focused_and_described(
    live_conference, viewer_factory, lang, message
):
    _, client = viewer_factory(live_conference)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = lang

    response = client.post(_stream(live_conference) + "ask/", {"text": "   "})

    html = response.content.decode()
    assert response.status_code == 400
    textarea = _tag(html, "id_text")
    assert "autofocus" in textarea
    assert 'aria-invalid="true"' in textarea
    assert "id_text_error" in re.search(r'aria-describedby="([^"]*)"', textarea).group(1)
    error = html[html.index('id="id_text_error"') :]
    assert error.index(message) < error.index("</div>")
    # No fragment in the form's address: a target element would stop the browser's autofocus.
    assert f'action="/me/{live_conference.slug}/stream/ask/"' in html
    assert Question.objects.count() == 0


def test_stream_published_before_start_counts_down_with_player_hidden(viewer_factory):
    conference = make_conference(status=ConferenceStatus.PUBLISHED)
    _, client = viewer_factory(conference)

    html = client.get(_stream(conference)).content.decode()

    assert 'id="qa-countdown"' in html
    assert "hidden" in _tag(html, "qa-player-section")
    assert "hidden" in _tag(html, "qa-live-badge")
    assert "hidden" in _tag(html, "qa-ended")


def test_stream_set_live_before_start_time_shows_player_and_badge(viewer_factory):
    conference = make_conference(
        status=ConferenceStatus.LIVE, starts_at=timezone.now() + dt.timedelta(minutes=10)
    )
    _, client = viewer_factory(conference)

    html = client.get(_stream(conference)).content.decode()

    assert 'id="qa-countdown"' not in html
    assert "hidden" not in _tag(html, "qa-player-section")
    assert "hidden" not in _tag(html, "qa-live-badge")
    assert "hidden" in _tag(html, "qa-ended")


def test_stream_after_the_end_shows_the_end_not_the_badge(viewer_factory):
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP)
    _, client = viewer_factory(conference)

    html = client.get(_stream(conference)).content.decode()

    assert "hidden" in _tag(html, "qa-live-badge")
    assert "hidden" not in _tag(html, "qa-ended")
    assert 'id="qa-countdown"' not in html


def test_stream_page_is_refused_without_a_registration(live_conference):
    assert Client().get(_stream(live_conference)).status_code == 403
