"""Issue 8, accessibility: axe-core (WCAG 2.0/2.1 A and AA) on the supplier pages that the other
browser tests do not sweep, in nb and en, desktop and a 375 px phone, with a screenshot of each;
and the registration form and the Q&A by keyboard alone, with visible focus and announced errors.

Swept elsewhere (same tags, languages and viewports): the conference list and page and the
privacy notice (test_public_pages.py), the stream page, the moderator dashboard, the public Q&A
log and the stream page without access (test_qa.py), the archive and the information package
(test_archive.py), the booking page with free times (tests/meetings/test_browser.py).
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from conferences.choices import ConferenceStatus
from meetings.models import Slot
from meetings.services import book_slot, generate_slots
from qa.models import Question, Vote
from registrations.models import Registration
from registrations.services import revoke_personal_links
from tests.browser.fixtures import axe_violations, save_screenshot
from tests.browser.keyboard import tab_to
from tests.factories import (
    make_conference,
    make_meeting_settings,
    make_question,
    make_registration,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

_tokens = itertools.count(1)

SUPPLIER_PAGES = [
    "register",
    "register_errors",
    "register_foreign_errors",
    "registered",
    "resend",
    "link_sent",
    "link_invalid",
    "link_revoked",
    "no_access",
    "sign_out_everywhere",
    "personal",
    "cancel",
    "meeting_booked",
    "ask_errors",
]


@pytest.fixture(autouse=True)
def _empty_test_queue(purge_celery_queue):
    """Emails queued here (no worker runs) must not reach a later test's worker."""
    yield
    purge_celery_queue()


@pytest.fixture
def conference():
    conference = make_conference(
        title="Digital overvåking av farleder", offers_one_to_one=True, agenda_items=2
    )
    make_meeting_settings(conference=conference, teams=2)
    generate_slots(conference_id=conference.pk)
    return conference


def _supplier(conference, **overrides):
    """A registration with a personal link; returns (registration, token)."""
    token = f"a11y-token-{next(_tokens)}-{conference.pk}-abcdefghijklmnopqrstuvwxyz0123"
    values = {
        "conference": conference,
        "token": token,
        "organisation_name": "Fjordsensor AS",
        "wants_one_to_one": True,
        "one_to_one_topics": "Sensorer på bøyer",
    }
    values.update(overrides)
    return make_registration(**values), token


def _fill_registration(page, *, organisation_number: str) -> None:
    """Fill the registration form by id (labels differ per language)."""
    page.locator("#id_organisation_name").fill("Fjordsensor AS")
    page.locator("#id_organisation_number").fill(organisation_number)
    page.locator("#id_contact_name").fill("Kari Nordmann")
    page.locator("#id_email").fill("kari@fjordsensor.example")
    page.locator("#id_privacy_acknowledged").check()


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize("lang", ["nb", "en"])
@pytest.mark.parametrize("page_name", SUPPLIER_PAGES)
def test_supplier_page_has_no_wcag_violations(
    live_asgi, new_page, conference, lang, viewport, page_name
):
    page = new_page(lang=lang, viewport=viewport, bypass_csp=True)
    base, slug = live_asgi.url, conference.slug
    if page_name == "link_revoked":
        registration, token = _supplier(conference)
        revoke_personal_links(registration_id=registration.pk)
        page.goto(f"{base}/r/{token}/")
    if page_name in {"personal", "cancel", "meeting_booked", "ask_errors", "sign_out_everywhere"}:
        registration, token = _supplier(conference)
        slot = Slot.objects.filter(conference=conference).order_by("starts_at").first()
        book_slot(registration_id=registration.pk, slot_id=slot.pk)
        page.goto(f"{base}/r/{token}/")
    if page_name == "register_errors":
        page.goto(f"{base}/conferences/{slug}/register/")
        _fill_registration(page, organisation_number="123 456 789")  # fails the MOD11 check
        with page.expect_navigation():
            page.locator("form.registration-form button[type=submit]").click()
        assert page.locator(".error-summary[role=alert]").count() == 1
    elif page_name == "register_foreign_errors":
        page.goto(f"{base}/conferences/{slug}/register/")
        page.locator("#id_country").select_option("SE")  # and no national or VAT identifier
        page.locator("#id_organisation_name").fill("Nordsensor AB")
        page.locator("#id_contact_name").fill("Karin Svensson")
        page.locator("#id_email").fill("karin@nordsensor.example")
        page.locator("#id_privacy_acknowledged").check()
        with page.expect_navigation():
            page.locator("form.registration-form button[type=submit]").click()
        assert page.locator("#id_national_id[aria-invalid=true]").is_visible()
    elif page_name == "link_revoked":  # the page that offers a new link, not the personal page
        assert page.locator(f"a[href='/conferences/{slug}/my-link/']").count() == 1
    elif page_name == "ask_errors":
        page.goto(f"{base}/me/{slug}/stream/")
        page.locator("#ask button[type=submit]").click()  # an empty question: refused in place
        page.locator("#ask .is-invalid").wait_for()
        assert page.locator("#ask .is-invalid").count() == 1
    else:
        path = {
            "register": f"/conferences/{slug}/register/",
            "registered": f"/conferences/{slug}/register/thanks/",
            "resend": f"/conferences/{slug}/my-link/",
            "link_sent": f"/conferences/{slug}/my-link/sent/",
            "link_invalid": "/r/no-such-token-abcdefghijklmnopqrstuvwxyz/",
            "no_access": f"/me/{slug}/",
            "personal": f"/me/{slug}/",
            "cancel": f"/me/{slug}/cancel/",
            "meeting_booked": f"/me/{slug}/meeting/",
            "sign_out_everywhere": f"/me/{slug}/sign-out-everywhere/",
        }[page_name]
        page.goto(base + path)
    save_screenshot(page, f"supplier-{page_name}-{lang}-{viewport}")

    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator("h1").count() == 1
    assert axe_violations(page) == []


# --- Keyboard alone --------------------------------------------------------------------------


def test_registration_errors_are_announced_and_fixed_by_keyboard(live_asgi, new_page, conference):
    page = new_page(lang="en")
    page.goto(f"{live_asgi.url}/conferences/{conference.slug}/register/")
    for selector, text in [
        ("#id_organisation_name", "Fjordsensor AS"),
        ("#id_organisation_number", "123 456 789"),
        ("#id_contact_name", "Kari Nordmann"),
        ("#id_email", "kari@fjordsensor.example"),
    ]:
        tab_to(page, selector)
        page.keyboard.type(text)
    tab_to(page, "#id_privacy_acknowledged")
    page.keyboard.press("Space")
    tab_to(page, "form.registration-form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # The summary is announced (role=alert) and takes focus, so a screen reader reads it first.
    summary = page.locator(".error-summary")
    assert summary.get_attribute("role") == "alert"
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    assert "This is not a valid Norwegian organisation number" in summary.inner_text()
    field = page.locator("#id_organisation_number")
    assert field.get_attribute("aria-invalid") == "true"
    described_by = field.get_attribute("aria-describedby").split()
    descriptions = " ".join(page.locator(f"[id='{i}']").inner_text() for i in described_by)
    assert "This is not a valid Norwegian organisation number" in descriptions
    assert page.locator("[aria-invalid=true]").count() == 1  # only the wrong field
    assert Registration.objects.count() == 0

    # The summary's link leads to the field; fix it and send again, still by keyboard.
    tab_to(page, ".error-summary a[href='#id_organisation_number']")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "id_organisation_number"
    page.keyboard.press("Control+A")
    page.keyboard.type("974 760 673")
    tab_to(page, "#id_privacy_acknowledged")
    if not page.locator("#id_privacy_acknowledged").is_checked():
        page.keyboard.press("Space")
    tab_to(page, "form.registration-form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert page.url.endswith(f"/conferences/{conference.slug}/register/thanks/")
    assert Registration.objects.get().organisation_number == "974760673"


def test_question_asked_and_voted_by_keyboard(live_asgi, new_page):
    now = timezone.now()
    conference = make_conference(
        status=ConferenceStatus.LIVE,
        starts_at=now - dt.timedelta(minutes=10),
        registration_opens_at=now - dt.timedelta(days=2),
        registration_closes_at=now - dt.timedelta(minutes=30),
    )
    registration, token = _supplier(conference)
    other = make_question(conference=conference, status="published", text="Blir det delt?")
    page = new_page(lang="en")
    page.goto(f"{live_asgi.url}/r/{token}/")
    page.goto(f"{live_asgi.url}/me/{conference.slug}/stream/")
    # A selector, not wait_for_function: polling a JS string is eval, which the CSP refuses.
    page.locator("#qa-stream[data-live=on]").wait_for(state="attached")

    tab_to(page, "#ask textarea")
    page.keyboard.type("Kan vi levere på engelsk?")
    tab_to(page, "#ask button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/stream/#own-questions")
    assert "Kan vi levere på engelsk?" in page.locator("#own-questions").inner_text()
    assert Question.objects.filter(registration=registration).count() == 1

    # Voting, from the top of the page, by keyboard.
    page.evaluate("window.__notReloaded = true")
    page.evaluate("document.activeElement.blur(); window.scrollTo(0, 0)")
    tab_to(page, f"#q-{other.pk} button[type=submit]", max_tabs=120)
    page.keyboard.press("Enter")
    page.locator(f"#q-{other.pk} .qa-votes", has_text="1").wait_for()
    assert Vote.objects.filter(question=other, registration=registration).count() == 1
    assert page.evaluate("window.__notReloaded === true")  # updated in place
