"""The admin procurement staff use, in Chromium: the allocation preview then its confirmation
from the conference page, the conference page's layout at 1280 px (no sideways scrolling, the
toolbar under the title), and axe-core (WCAG 2.0-2.2 A and AA) on the admin pages staff and
moderators use, at desktop and phone widths, in Bokmål."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conferences.choices import ConferenceStatus
from meetings.choices import AllocationMode
from meetings.models import Meeting, WaitingListEntry
from meetings.services import generate_slots
from tests.browser.fixtures import axe_violations, save_screenshot
from tests.factories import (
    make_conference,
    make_meeting_settings,
    make_moderator,
    make_registration,
    make_staff,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def conference(roles):
    """A published conference with a full agenda and staff-allocated meetings (three slots)."""
    starts = timezone.localtime(timezone.now() + dt.timedelta(days=10)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )  # 09.00 Oslo time
    conference = make_conference(
        status=ConferenceStatus.PUBLISHED,
        title="Dialogkonferanse: digital overvåking av farleder og fyrlykter langs kysten",
        starts_at=starts,
        offers_one_to_one=True,
        agenda_items=6,
    )
    conference.agenda_items.update(
        description="Innkjøperen presenterer behovet, og leverandørene kan stille spørsmål."
    )
    make_meeting_settings(conference=conference, allocation_mode=AllocationMode.STAFF)
    generate_slots(conference_id=conference.pk)
    return conference


def _suppliers(conference, names):
    return [
        make_registration(conference=conference, organisation_name=name, wants_one_to_one=True)
        for name in names
    ]


def _logged_in(live_asgi, new_page, user, **page_options):
    client = Client()
    client.force_login(user)
    page = new_page(**page_options)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_asgi.url}]
    )
    return page


def test_allocation_preview_then_confirm_from_the_conference_page(live_asgi, new_page, conference):
    _suppliers(conference, ["Alfa AS", "Bravo AS", "Charlie AS", "Delta AS"])
    page = _logged_in(live_asgi, new_page, make_staff(), lang="nb")
    change_url = reverse("admin:conferences_conference_change", args=[conference.pk])
    page.goto(live_asgi.url + change_url)

    page.get_by_role("button", name="Fordel møter …").click()
    page.wait_for_selector("#dk-allocated")

    rows = page.locator("#dk-allocated tbody tr").all_inner_texts()
    assert [row.split("\t")[-1] for row in rows] == ["Alfa AS", "Bravo AS", "Charlie AS"]
    assert all(" kl. " in row and ":00" not in row for row in rows)
    assert page.locator("#dk-waiting tbody tr").all_inner_texts() == ["1\tDelta AS"]
    summary = page.locator(".dk-summary").inner_text()
    assert "3 leverandører får møtetid." in summary
    assert "1 leverandør settes på ventelisten." in summary
    assert "3 invitasjoner sendes på e-post" in summary
    assert Meeting.objects.count() == 0
    save_screenshot(page, "admin-allocation-preview")

    page.get_by_role("button", name="Fordel og send 3 invitasjoner").click()
    page.wait_for_url(f"**{change_url}")

    assert "3 møter fordelt, 1 på ventelisten" in page.locator(".messagelist").inner_text()
    assert sorted(Meeting.objects.values_list("registration__organisation_name", flat=True)) == [
        "Alfa AS",
        "Bravo AS",
        "Charlie AS",
    ]
    assert list(
        WaitingListEntry.objects.values_list("registration__organisation_name", flat=True)
    ) == ["Delta AS"]


def test_allocation_preview_shown_again_when_a_supplier_registered_meanwhile(
    live_asgi, new_page, conference
):
    _suppliers(conference, ["Alfa AS"])
    page = _logged_in(live_asgi, new_page, make_staff(), lang="nb")
    page.goto(
        live_asgi.url
        + reverse("admin:meetings_meetingsettings_allocate", args=[conference.meeting_settings.pk])
    )
    _suppliers(conference, ["Sen AS"])

    page.get_by_role("button", name="Fordel og send 1 invitasjon").click()

    page.wait_for_selector(".messagelist")
    assert "Ingenting er fordelt" in page.locator(".messagelist").inner_text()
    rows = page.locator("#dk-allocated tbody tr").all_inner_texts()
    assert [row.split("\t")[-1] for row in rows] == ["Alfa AS", "Sen AS"]
    assert Meeting.objects.count() == 0


def test_conference_page_fits_1280_px_and_the_toolbar_sits_under_the_title(
    live_asgi, new_page, conference
):
    page = _logged_in(live_asgi, new_page, make_staff(), lang="nb", viewport="desktop")

    page.goto(live_asgi.url + reverse("admin:conferences_conference_change", args=[conference.pk]))

    widths = page.evaluate(
        "[document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"
    )
    assert widths[0] <= widths[1] == 1280
    heading = page.locator("#content h2").first.bounding_box()
    toolbar = page.locator(".dk-toolbar").bounding_box()
    tools = page.locator("#content .object-tools").bounding_box()
    assert toolbar["y"] >= heading["y"] + heading["height"]
    assert tools["y"] >= toolbar["y"] + toolbar["height"]
    buttons = page.locator(".dk-toolbar button").all_inner_texts()
    assert buttons == [
        "Endre til «Utkast» …",
        "Endre til «Direkte» …",
        "Endre til «Avsluttet» …",
        "Lag møtetider",
        "Fordel møter …",
    ]
    time_value = page.locator("#id_agenda_items-0-starts_at_1").input_value()
    assert time_value == "09.00"
    save_screenshot(page, "admin-conference-page")


def test_status_button_leads_to_the_confirmation_and_changes_the_status(
    live_asgi, new_page, conference
):
    page = _logged_in(live_asgi, new_page, make_staff(), lang="nb")
    change_url = reverse("admin:conferences_conference_change", args=[conference.pk])
    page.goto(live_asgi.url + change_url)

    with page.expect_navigation():
        page.get_by_role("button", name="Endre til «Direkte» …").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Bekreft").click()

    assert page.url == live_asgi.url + change_url
    conference.refresh_from_db()
    assert conference.status == ConferenceStatus.LIVE
    assert page.locator(".dk-toolbar button").all_inner_texts()[:1] == ["Endre til «Oppfølging» …"]


def _admin_pages(conference) -> dict[str, str]:
    pages = {
        "index": reverse("admin:index"),
        "conference": reverse("admin:conferences_conference_change", args=[conference.pk]),
        "registrations": reverse("admin:registrations_registration_changelist"),
        "meeting-setup": reverse(
            "admin:meetings_meetingsettings_change", args=[conference.meeting_settings.pk]
        ),
        "allocation-preview": reverse(
            "admin:meetings_meetingsettings_allocate", args=[conference.meeting_settings.pk]
        ),
        "recording-add": reverse("admin:conferences_recording_add"),
        "moderator-dashboard": reverse("qa:dashboard", args=[conference.slug]),
    }
    pages["conference-dashboard"] = reverse(
        "admin:conferences_conference_dashboard", args=[conference.pk]
    )
    return pages


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize(
    "name",
    [
        "index",
        "conference",
        "registrations",
        "meeting-setup",
        "allocation-preview",
        "recording-add",
        "moderator-dashboard",
        "conference-dashboard",
    ],
)
def test_admin_page_has_no_wcag_violations(live_asgi, new_page, conference, viewport, name):
    _suppliers(conference, ["Alfa AS", "Bravo AS", "Charlie AS", "Delta AS"])
    user = make_moderator() if name == "moderator-dashboard" else make_staff()
    page = _logged_in(live_asgi, new_page, user, lang="nb", viewport=viewport, bypass_csp=True)
    pages = _admin_pages(conference)

    response = page.goto(live_asgi.url + pages[name])

    assert response.status == 200
    assert page.locator("html").get_attribute("lang") == "nb"
    assert axe_violations(page) == []
