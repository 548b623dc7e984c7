from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from meetings.choices import EventKind, MeetingStatus
from meetings.models import Meeting, MeetingEvent, Minutes, Slot
from meetings.services import book_slot
from tests.factories import make_meeting_settings, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, roles):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # assertions read in the source language
    client.force_login(make_staff())
    return client


def _changelist_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_meeting_changelist_query_count_does_not_grow(
    meeting_settings, supplier_factory, staff_client
):
    slots = list(Slot.objects.order_by("starts_at", "team__name"))
    book_slot(registration_id=supplier_factory().pk, slot_id=slots[0].pk)
    one = _changelist_queries(staff_client, "/admin/meetings/meeting/")
    for slot in slots[1:]:
        book_slot(registration_id=supplier_factory().pk, slot_id=slot.pk)

    many = _changelist_queries(staff_client, "/admin/meetings/meeting/")

    assert Meeting.objects.count() == 6
    assert many == one


@pytest.mark.parametrize(
    "url",
    [
        "/admin/meetings/slot/",
        "/admin/meetings/meetingevent/",
        "/admin/meetings/meetingsettings/",
        "/admin/meetings/waitinglistentry/",
    ],
)
def test_other_changelists_query_count_does_not_grow(
    meeting_settings, supplier_factory, staff_client, url
):
    from meetings.services import join_waiting_list

    slots = list(Slot.objects.order_by("starts_at", "team__name"))
    book_slot(registration_id=supplier_factory().pk, slot_id=slots[0].pk)
    join_waiting_list(registration_id=supplier_factory().pk)
    one = _changelist_queries(staff_client, url)
    for slot in slots[1:]:
        book_slot(registration_id=supplier_factory().pk, slot_id=slot.pk)
    make_meeting_settings()
    join_waiting_list(registration_id=supplier_factory().pk)

    assert _changelist_queries(staff_client, url) == one


def test_generate_slots_admin_action(conference, staff_client):
    settings_row = make_meeting_settings(conference=conference, teams=2)

    response = staff_client.post(
        "/admin/meetings/meetingsettings/",
        {"action": "generate_slots_action", "_selected_action": [settings_row.pk]},
        follow=True,
    )

    assert Slot.objects.filter(conference=conference).count() == 6
    assert "6 slots created" in response.content.decode()


def test_allocate_page_records_the_seed_staff_chose(conference, supplier_factory, staff_client):
    from django.urls import reverse

    from meetings.choices import AllocationMode
    from meetings.services import generate_slots

    settings_row = make_meeting_settings(
        conference=conference, allocation_mode=AllocationMode.STAFF
    )
    generate_slots(conference_id=conference.pk)
    for _ in range(4):
        supplier_factory()
    url = reverse("admin:meetings_meetingsettings_allocate", args=[settings_row.pk])

    preview = staff_client.post(url, {"preview": "1", "method": "lottery", "seed": "77"})
    response = staff_client.post(
        url,
        {
            "confirm": "1",
            "method": "lottery",
            "seed": "77",
            "fingerprint": preview.context["preview"]["result"].fingerprint,
        },
        follow=True,
    )

    assert 'name="seed"' in preview.content.decode()
    assert Meeting.objects.filter(conference=conference).count() == 3
    run = MeetingEvent.objects.get(kind=EventKind.ALLOCATION_RUN)
    assert run.seed == 77
    assert "3 meetings allocated, 1 on the waiting list (seed: 77)" in response.content.decode()


def test_minutes_inline_records_author_and_attendance(
    meeting_settings, supplier_factory, client, roles
):
    staff = make_staff()
    client.force_login(staff)
    meeting = book_slot(
        registration_id=supplier_factory().pk, slot_id=Slot.objects.order_by("pk").first().pk
    )
    data = {
        "minutes-TOTAL_FORMS": "1",
        "minutes-INITIAL_FORMS": "0",
        "minutes-MIN_NUM_FORMS": "0",
        "minutes-MAX_NUM_FORMS": "1",
        "minutes-0-attendance": "held",
        "minutes-0-internal_notes": "Leverandøren presenterte sensorløsningen.",
        "minutes-0-business_secret_passages": "Prisnivå per bøye.",
        "minutes-0-public_summary_nb": "Markedet tilbyr sensorer med 5 års batteritid.",
        "minutes-0-meeting": str(meeting.pk),
    }

    response = client.post(f"/admin/meetings/meeting/{meeting.pk}/change/", data)

    assert response.status_code == 302, response.content.decode()[:2000]
    minutes = Minutes.objects.get(meeting=meeting)
    assert (minutes.attendance, minutes.recorded_by, minutes.business_secret_passages) == (
        "held",
        staff,
        "Prisnivå per bøye.",
    )
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.BOOKED


def test_meeting_log_is_read_only(meeting_settings, staff_client):
    event = MeetingEvent.objects.first()

    response = staff_client.post(
        f"/admin/meetings/meetingevent/{event.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 403
    assert MeetingEvent.objects.filter(pk=event.pk).exists()


def test_move_and_swap_admin_actions(meeting_settings, supplier_factory, staff_client):
    slots = list(Slot.objects.order_by("starts_at", "team__name"))
    a = book_slot(registration_id=supplier_factory().pk, slot_id=slots[0].pk)
    b = book_slot(registration_id=supplier_factory().pk, slot_id=slots[1].pk)
    url = "/admin/meetings/meeting/"

    form = staff_client.post(url, {"action": "move_action", "_selected_action": [a.pk]})
    staff_client.post(
        url,
        {"action": "move_action", "_selected_action": [a.pk], "apply": "1", "slot": slots[4].pk},
    )
    a.refresh_from_db()
    staff_client.post(url, {"action": "swap_action", "_selected_action": [a.pk, b.pk]})

    assert f'value="{slots[4].pk}"' in form.content.decode()
    assert f'value="{slots[1].pk}"' not in form.content.decode()  # booked: not offered
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.slot_id, a.sequence, b.slot_id, b.sequence) == (slots[1].pk, 2, slots[4].pk, 1)
