"""Times in the browser: a reader in another time zone gets a line with their own time, a reader
in Oslo does not; the countdown on the stream page is written out in Norwegian."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conferences.choices import ConferenceStatus
from tests.browser.fixtures import VIEWPORTS, save_screenshot
from tests.factories import make_conference, make_registration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

_tokens = itertools.count(1)


@pytest.fixture
def zoned_page(browser):
    """``zoned_page(zone, lang="nb", viewport="desktop")``: a fresh context in that time zone."""
    contexts = []

    def factory(zone: str, *, lang: str = "nb", viewport: str = "desktop"):
        locale = {"nb": "nb-NO", "nn": "nn-NO", "en": "en-GB"}[lang]
        context = browser.new_context(
            locale=locale,
            timezone_id=zone,
            viewport=VIEWPORTS[viewport],
            extra_http_headers={"Accept-Language": f"{lang},{locale};q=0.9"},
        )
        contexts.append(context)
        return context.new_page()

    yield factory
    for context in contexts:
        context.close()


_WINTER_MONTHS_NB = {11: "november", 12: "desember", 1: "januar", 2: "februar"}


def _next_winter_saturday() -> dt.date:
    """The first Saturday at least two days ahead in a month Oslo keeps UTC+1 all through."""
    day = timezone.now().date() + dt.timedelta(days=2)
    while day.weekday() != 5 or day.month not in _WINTER_MONTHS_NB:
        day += dt.timedelta(days=1)
    return day


@pytest.fixture
def winter_conference():
    # A Saturday 09:00-12:00 in Oslo (UTC+1): 08:00-11:00 in London, always ahead of now.
    day = _next_winter_saturday()
    starts_at = dt.datetime.combine(day, dt.time(8, 0), tzinfo=dt.UTC)
    return make_conference(
        status=ConferenceStatus.PUBLISHED,
        title="Digital overvåking av farleder",
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=3),
        registration_opens_at=timezone.now() - dt.timedelta(days=1),
        registration_closes_at=starts_at - dt.timedelta(days=1),
    )


@pytest.mark.parametrize(
    ("lang", "viewport", "expected"),
    [
        ("nb", "desktop", "Din tid: 08.00 (London)"),
        ("en", "phone", "Your time: 08:00 (London)"),
    ],
)
def test_your_time_line_appears_for_a_reader_in_london(
    live_asgi, zoned_page, winter_conference, lang, viewport, expected
):
    page = zoned_page("Europe/London", lang=lang, viewport=viewport)

    page.goto(f"{live_asgi.url}{winter_conference.get_absolute_url()}")

    lines = page.locator(".local-time").all_inner_texts()
    assert expected in lines
    note = page.locator(".times-note").inner_text()
    assert (
        note
        == {
            "nb": "Alle tider er norsk tid (UTC+1).",
            "en": "All times are Norwegian time (UTC+1).",
        }[lang]
    )
    save_screenshot(page, f"time-display-london-{lang}-{viewport}")


def test_your_time_line_absent_for_a_reader_in_oslo(live_asgi, zoned_page, winter_conference):
    page = zoned_page("Europe/Oslo", lang="nb")

    page.goto(f"{live_asgi.url}{winter_conference.get_absolute_url()}")

    assert page.locator(".local-time").count() == 0
    day = winter_conference.starts_at.date()
    expected = f"lørdag {day.day}. {_WINTER_MONTHS_NB[day.month]} {day.year} kl. 09.00"
    assert expected in page.locator("main").inner_text()
    assert "UTC+01:00" not in page.content()
    save_screenshot(page, "time-display-oslo-nb")


@pytest.mark.parametrize("lang", ["nb", "nn"])
def test_countdown_in_norwegian_writes_units_out(live_asgi, zoned_page, lang):
    now = timezone.now()
    conference = make_conference(
        status=ConferenceStatus.PUBLISHED,
        starts_at=now + dt.timedelta(days=13, hours=14, minutes=25, seconds=30),
        registration_opens_at=now - dt.timedelta(days=1),
        registration_closes_at=now + dt.timedelta(days=12),
    )
    token = f"time-token-{next(_tokens)}-{conference.pk}-abcdefghijklmnopqrstuvwxyz"
    make_registration(conference=conference, token=token)
    page = zoned_page("Europe/Oslo", lang=lang)
    page.goto(f"{live_asgi.url}/r/{token}/")
    page.goto(f"{live_asgi.url}/me/{conference.slug}/stream/")

    countdown = page.locator("#qa-countdown")
    # expect() polls from Playwright's side; a wait_for_function string is eval, which the
    # Content-Security-Policy refuses.
    expect(countdown).to_contain_text("13 ")
    text = countdown.inner_text()
    days, hours, minutes = {
        "nb": ("dager", "timer", "minutter"),
        "nn": ("dagar", "timar", "minutt"),
    }[lang]
    assert re.search(rf"13 {days} 14 {hours} 2[45] {minutes}", text), text
    assert not re.search(r"\d+ (d|h|min|s)\b", text), text
    save_screenshot(page, f"time-display-countdown-{lang}")
