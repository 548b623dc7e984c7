"""Booking, moving and cancelling a one-to-one meeting in Chromium, each behind a confirmation
step; the time picker shows each time once under a weekday heading; axe finds no WCAG 2.1 A/AA
violation on any step. Both viewports (1280 and 375 px), Norwegian Bokmål and English. Run in
their own process: ``pytest -m browser``."""

from __future__ import annotations

import itertools

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format

from meetings.choices import MeetingStatus
from meetings.models import Meeting, Slot
from tests.browser.fixtures import axe_violations, save_screenshot
from tests.meetings.conftest import (  # noqa: F401 - the meeting fixtures, shared
    _empty_test_queue,
    conference,
    meeting_settings,
    supplier_factory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

_tokens = itertools.count(1)

TEXT = {
    "en": {
        "confirm_booking": "Confirm booking",
        "confirm_move": "Confirm move",
        "cancel": "Cancel the meeting",
        "yes_cancel": "Yes, cancel the meeting",
        "booked": "Your meeting is booked for",
        "moved": "Your meeting is moved to",
        "cancelled": "Your meeting is cancelled.",
        "day_format": "l j F",
    },
    "nb": {
        "confirm_booking": "Bekreft bestillingen",
        "confirm_move": "Bekreft flyttingen",
        "cancel": "Avlys møtet",
        "yes_cancel": "Ja, avlys møtet",
        "booked": "Møtet ditt er bestilt",
        "moved": "Møtet ditt er flyttet til",
        "cancelled": "Møtet ditt er avlyst.",
        "day_format": "l j. F",
    },
}


def _open(live_asgi, new_page, supplier_factory, *, lang: str, viewport: str):  # noqa: F811
    token = f"browser-booking-{next(_tokens)}-abcdefghijklmnopqrstuvwxyz0123456789"
    registration = supplier_factory(token=token, language=lang)
    page = new_page(lang=lang, viewport=viewport, bypass_csp=True)
    page.goto(f"{live_asgi.url}/r/{token}/")
    page.goto(f"{live_asgi.url}/me/fyrdialog/meeting/")
    return registration, page


def _check(page, name: str) -> None:
    save_screenshot(page, name)
    assert axe_violations(page) == []
    # Nothing wider than the viewport (the picker fits a 375 px phone).
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("lang", ["nb", "en"])
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_book_move_and_cancel_each_need_a_confirmation(
    live_asgi,
    new_page,
    meeting_settings,  # noqa: F811
    supplier_factory,  # noqa: F811
    lang,
    viewport,
):
    text = TEXT[lang]
    registration, page = _open(live_asgi, new_page, supplier_factory, lang=lang, viewport=viewport)
    slots = list(Slot.objects.order_by("starts_at", "team__name"))
    times = sorted({s.starts_at for s in slots})
    with translation.override(lang):
        heading = date_format(timezone.localtime(times[0]), text["day_format"])
    shot = f"meeting-booking-{lang}-{viewport}"

    # The picker: one day heading with its weekday, each time once (two teams, three times).
    picker = page.locator("section[aria-labelledby=slots-heading]")
    assert picker.locator("h3").all_inner_texts() == [heading]
    assert picker.locator("button[name=time]").count() == len(times) == 3
    assert "Team" not in picker.inner_text()
    _check(page, f"{shot}-1-picker")

    # Choosing a time only shows the confirmation.
    with page.expect_navigation():
        picker.locator("button[name=time]").first.click()
    assert Meeting.objects.filter(registration_id=registration.pk).count() == 0
    assert page.get_by_role("button", name=text["confirm_booking"]).is_visible()
    _check(page, f"{shot}-2-confirm-booking")
    with page.expect_navigation():
        page.get_by_role("button", name=text["confirm_booking"]).click()
    meeting = Meeting.objects.get(registration_id=registration.pk)
    assert meeting.slot.starts_at == times[0]
    assert page.get_by_text(text["booked"]).is_visible()
    # Moving lists only the other times.
    picker = page.locator("section[aria-labelledby=slots-heading]")
    assert picker.locator("button[name=time]").count() == 2
    _check(page, f"{shot}-3-booked")

    with page.expect_navigation():
        picker.locator("button[name=time]").first.click()
    meeting.refresh_from_db()
    assert (meeting.slot.starts_at, meeting.sequence) == (times[0], 0)
    _check(page, f"{shot}-4-confirm-move")
    with page.expect_navigation():
        page.get_by_role("button", name=text["confirm_move"]).click()
    meeting.refresh_from_db()
    assert (meeting.slot.starts_at, meeting.sequence) == (times[1], 1)
    assert page.get_by_text(text["moved"]).is_visible()

    with page.expect_navigation():
        page.get_by_role("link", name=text["cancel"]).click()
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.BOOKED
    _check(page, f"{shot}-5-confirm-cancel")
    with page.expect_navigation():
        page.get_by_role("button", name=text["yes_cancel"]).click()
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CANCELLED
    assert page.get_by_text(text["cancelled"]).is_visible()
    _check(page, f"{shot}-6-cancelled")
