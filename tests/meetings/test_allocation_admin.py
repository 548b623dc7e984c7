"""The allocation on the conference page: a preview that is a dry run of ``allocate_meetings``
(who gets which time, who waits, how many invitations), and a confirmation that allocates
exactly what was shown, or shows the preview again when its inputs changed meanwhile."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from dialogkonferanse.models import OutboundEmail
from meetings.choices import AllocationMode, EventKind, WaitingStatus
from meetings.models import Meeting, MeetingEvent, Slot, WaitingListEntry
from meetings.services import generate_slots, send_pending_invitations
from tests.factories import make_meeting_settings, make_moderator, make_staff

pytestmark = pytest.mark.django_db

ALLOCATION_KINDS = (EventKind.ALLOCATION_RUN, EventKind.ALLOCATED, EventKind.WAITLISTED)


@pytest.fixture
def staff_client(client, roles):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # assertions read in the source language
    client.force_login(make_staff())
    return client


@pytest.fixture
def setup(conference):
    """Staff allocation, one team: three free slots (10:00, 10:40, 11:20 Oslo time)."""
    row = make_meeting_settings(conference=conference, allocation_mode=AllocationMode.STAFF)
    generate_slots(conference_id=conference.pk)
    return row


def _allocate_url(setup) -> str:
    return reverse("admin:meetings_meetingsettings_allocate", args=[setup.pk])


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)">', html)
    assert match, f"no hidden {name} in the page"
    return match.group(1)


def _confirm_data(html: str) -> dict[str, str]:
    return {
        "confirm": "1",
        "method": _hidden(html, "method"),
        "seed": _hidden(html, "seed"),
        "fingerprint": _hidden(html, "fingerprint"),
    }


def test_allocation_preview_lists_times_waiting_list_and_emails(
    setup, supplier_factory, staff_client
):
    names = ["Alfa AS", "Bravo AS", "Charlie AS", "Delta AS"]
    suppliers = [supplier_factory(organisation_name=name) for name in names]
    slots = list(Slot.objects.order_by("starts_at"))

    response = staff_client.get(_allocate_url(setup))

    html = response.content.decode()
    preview = response.context["preview"]
    assert [(row["supplier"], row["slot_id"]) for row in preview["rows"]] == [
        ("Alfa AS", slots[0].pk),
        ("Bravo AS", slots[1].pk),
        ("Charlie AS", slots[2].pk),
    ]
    assert [(e["position"], e["supplier"]) for e in preview["waiting"]] == [(1, "Delta AS")]
    assert preview["emails"] == 3
    assert preview["free_after"] == 0
    assert "3 suppliers get a meeting time." in html
    assert "1 supplier goes on the waiting list." in html
    assert "0 meeting times stay free." in html
    assert "3 invitations will be emailed, each with a calendar invite." in html
    assert "Allocate and email 3 invitations" in html
    # Times as the product writes them (Oslo time, no seconds), in the page.
    assert re.search(r"\d{1,2} \w+ \d{4}, 10:00\u201310:30</td><td>Team A</td><td>Alfa AS", html)
    # A preview writes nothing.
    assert Meeting.objects.count() == 0
    assert WaitingListEntry.objects.count() == 0
    assert not MeetingEvent.objects.filter(kind__in=ALLOCATION_KINDS).exists()
    assert suppliers[3].pk == preview["result"].waitlisted[0]


def test_allocation_confirm_allocates_exactly_the_preview(setup, supplier_factory, staff_client):
    for name in ["Alfa AS", "Bravo AS", "Charlie AS", "Delta AS"]:
        supplier_factory(organisation_name=name)
    conference_url = reverse("admin:conferences_conference_change", args=[setup.conference_id])
    page = staff_client.get(_allocate_url(setup), {"next": conference_url})
    preview = page.context["preview"]["result"]

    response = staff_client.post(
        _allocate_url(setup), {**_confirm_data(page.content.decode()), "next": conference_url}
    )

    assert response.status_code == 302
    assert response["Location"] == conference_url
    assert sorted(Meeting.objects.values_list("registration_id", "slot_id")) == sorted(
        preview.allocated
    )
    assert list(
        WaitingListEntry.objects.filter(status=WaitingStatus.WAITING)
        .order_by("position")
        .values_list("registration_id", flat=True)
    ) == list(preview.waitlisted)
    run = MeetingEvent.objects.get(kind=EventKind.ALLOCATION_RUN)
    assert run.details["allocated"] == [list(pair) for pair in preview.allocated]
    # The emails the preview announced: one invitation per meeting.
    assert send_pending_invitations(conference_id=setup.conference_id) == 3
    assert OutboundEmail.objects.count() == page.context["preview"]["emails"] == 3
    messages = [str(m) for m in staff_client.get(conference_url).context["messages"]]
    assert any("3 meetings allocated, 1 on the waiting list" in m for m in messages)


def test_allocation_lottery_confirm_uses_the_seed_the_preview_drew(
    setup, supplier_factory, staff_client
):
    for n in range(5):
        supplier_factory(organisation_name=f"Leverandør {n} AS")
    page = staff_client.post(_allocate_url(setup), {"preview": "1", "method": "lottery"})
    preview = page.context["preview"]["result"]
    assert preview.seed is not None

    staff_client.post(_allocate_url(setup), _confirm_data(page.content.decode()))

    run = MeetingEvent.objects.get(kind=EventKind.ALLOCATION_RUN)
    assert run.seed == preview.seed
    assert sorted(Meeting.objects.values_list("registration_id", "slot_id")) == sorted(
        preview.allocated
    )


def test_allocation_confirm_after_a_new_registration_shows_the_preview_again(
    setup, supplier_factory, staff_client
):
    for name in ["Alfa AS", "Bravo AS"]:
        supplier_factory(organisation_name=name)
    page = staff_client.get(_allocate_url(setup))
    supplier_factory(organisation_name="Etternøler AS")  # registers while staff read

    response = staff_client.post(_allocate_url(setup), _confirm_data(page.content.decode()))

    html = response.content.decode()
    assert response.status_code == 200
    assert "changed after the preview was made. Nothing was allocated" in html
    assert Meeting.objects.count() == 0
    assert not MeetingEvent.objects.filter(kind__in=ALLOCATION_KINDS).exists()
    assert [row["supplier"] for row in response.context["preview"]["rows"]] == [
        "Alfa AS",
        "Bravo AS",
        "Etternøler AS",
    ]
    assert _hidden(html, "fingerprint") != _hidden(page.content.decode(), "fingerprint")


def test_allocation_confirm_after_a_slot_was_removed_shows_the_preview_again(
    setup, supplier_factory, staff_client
):
    for name in ["Alfa AS", "Bravo AS", "Charlie AS"]:
        supplier_factory(organisation_name=name)
    page = staff_client.get(_allocate_url(setup))
    last = Slot.objects.order_by("starts_at").last()
    last.delete()  # another member of staff shortened the window meanwhile

    response = staff_client.post(_allocate_url(setup), _confirm_data(page.content.decode()))

    assert response.status_code == 200
    assert Meeting.objects.count() == 0
    preview = response.context["preview"]
    assert [row["supplier"] for row in preview["rows"]] == ["Alfa AS", "Bravo AS"]
    assert [entry["supplier"] for entry in preview["waiting"]] == ["Charlie AS"]


def test_allocation_confirm_with_a_forged_fingerprint_allocates_nothing(
    setup, supplier_factory, staff_client
):
    supplier_factory()

    response = staff_client.post(
        _allocate_url(setup),
        {"confirm": "1", "method": "registration_order", "seed": "", "fingerprint": "x"},
    )

    assert response.status_code == 200
    assert Meeting.objects.count() == 0
    assert "Nothing was allocated" in response.content.decode()


def test_allocation_page_is_refused_to_moderators(setup, client, roles):
    client.force_login(make_moderator())

    response = client.get(_allocate_url(setup))

    assert response.status_code == 403


def test_generate_meeting_times_button_returns_to_the_conference(conference, staff_client):
    row = make_meeting_settings(conference=conference, teams=2)
    conference_url = reverse("admin:conferences_conference_change", args=[conference.pk])

    response = staff_client.post(
        reverse("admin:meetings_meetingsettings_generate", args=[row.pk]),
        {"next": conference_url},
        follow=True,
    )

    assert response.redirect_chain == [(conference_url, 302)]
    assert Slot.objects.filter(conference=conference).count() == 6
    assert "6 slots created" in response.content.decode()


def test_generate_meeting_times_refuses_get_and_foreign_next(conference, staff_client):
    row = make_meeting_settings(conference=conference)
    url = reverse("admin:meetings_meetingsettings_generate", args=[row.pk])

    assert staff_client.get(url).status_code == 405
    response = staff_client.post(url, {"next": "https://evil.example/"})

    assert response["Location"] == reverse(
        "admin:conferences_conference_change", args=[conference.pk]
    )


def test_conference_page_has_meeting_buttons(setup, staff_client):
    response = staff_client.get(
        reverse("admin:conferences_conference_change", args=[setup.conference_id])
    )

    html = response.content.decode()
    generate = reverse("admin:meetings_meetingsettings_generate", args=[setup.pk])
    allocate = reverse("admin:meetings_meetingsettings_allocate", args=[setup.pk])
    assert f'<form method="post" action="{generate}">' in html
    assert f'<form method="get" action="{allocate}">' in html
    assert ">Generate meeting times</button>" in html
    assert ">Allocate meetings…</button>" in html
