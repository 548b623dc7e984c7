"""A conference going live (or ending) reaches the viewers' event stream: the app under uvicorn
(ASGI), real Redis pub/sub, a client reading with httpx (as tests/qa/test_live.py)."""

from __future__ import annotations

import json

import pytest

from conferences.choices import ConferenceStatus
from conferences.exceptions import ConferenceError
from conferences.services import transition_conference
from meetings.models import Slot
from meetings.services import book_slot, generate_slots
from qa.models import LiveEvent
from tests.factories import make_conference, make_meeting_settings, make_registration
from tests.qa.test_live import SseReader

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def viewer_cookies(viewer_factory):
    def make(conference):
        _, client = viewer_factory(conference)
        return {"sessionid": client.cookies["sessionid"].value}

    return make


def test_conference_set_live_reaches_connected_viewer(asgi_server, viewer_cookies):
    conference = make_conference(status=ConferenceStatus.PUBLISHED)
    reader = SseReader(
        f"{asgi_server.url}/me/{conference.slug}/stream/events/",
        cookies=viewer_cookies(conference),
    )
    try:
        assert reader.status == 200

        transition_conference(
            conference_id=conference.pk, to_status=ConferenceStatus.LIVE, actor=None
        )

        [event] = reader.take(1)
        stored = LiveEvent.objects.get(kind="conference_status")
        assert (event["event"], event["id"]) == ("conference_status", str(stored.pk))
        assert json.loads(event["data"]) == {"status": "live", "live": True, "ended": False}
        assert stored.channel == "viewers"
        assert reader.quiet(0.5) == []
    finally:
        reader.close()


def test_conference_ended_reaches_connected_viewer(asgi_server, viewer_cookies):
    conference = make_conference(status=ConferenceStatus.LIVE)
    reader = SseReader(
        f"{asgi_server.url}/me/{conference.slug}/stream/events/",
        cookies=viewer_cookies(conference),
    )
    try:
        transition_conference(
            conference_id=conference.pk, to_status=ConferenceStatus.FOLLOW_UP, actor=None
        )

        [event] = reader.take(1)
        assert event["event"] == "conference_status"
        assert json.loads(event["data"]) == {
            "status": "follow_up",
            "live": False,
            "ended": True,
        }
    finally:
        reader.close()


def test_refused_status_change_announces_nothing():
    # A booked meeting and no decision about it: the meetings receiver refuses the change,
    # which rolls back the whole transaction, the viewers' event included.
    conference = make_conference(status=ConferenceStatus.LIVE, offers_one_to_one=True)
    make_meeting_settings(conference=conference)
    generate_slots(conference_id=conference.pk)
    registration = make_registration(
        conference=conference, wants_one_to_one=True, one_to_one_topics="Sensorer"
    )
    book_slot(
        registration_id=registration.pk,
        slot_id=Slot.objects.filter(conference=conference).first().pk,
    )

    with pytest.raises(ConferenceError):
        transition_conference(
            conference_id=conference.pk, to_status=ConferenceStatus.FOLLOW_UP, actor=None
        )

    conference.refresh_from_db()
    assert conference.status == ConferenceStatus.LIVE
    assert LiveEvent.objects.filter(kind="conference_status").count() == 0
