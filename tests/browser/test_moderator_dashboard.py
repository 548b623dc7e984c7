"""The moderator dashboard in Chromium: actions update the card in place (no reload, the scroll
position stays, focus moves to the next card), new questions arrive highlighted and announced,
a suggested duplicate merges in one click, reject with a reason in place, keyboard shortcuts,
the connection state, and axe-core (WCAG 2.2 A/AA) at desktop and phone width."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from conferences.choices import ConferenceStatus
from qa import services
from qa.models import Question
from tests.browser.fixtures import axe_violations, save_screenshot
from tests.factories import make_conference, make_moderator, make_question, make_registration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG = (
    "Vi lurer på hvordan dere ser for dere overgangen fra dagens løsning, og om leverandøren "
    "må ta over drift av eksisterende sensorer langs farleden fra første dag. "
)


@pytest.fixture(autouse=True)
def _fast_heartbeat(settings):
    """Keep-alives every 2 s, so a dropped stream is noticed within the test."""
    settings.QA_SSE_HEARTBEAT_SECONDS = 2


@pytest.fixture
def conference():
    now = timezone.now()
    return make_conference(
        status=ConferenceStatus.LIVE,
        title="Digital overvåking av farleder",
        starts_at=now - dt.timedelta(minutes=12),
        registration_opens_at=now - dt.timedelta(days=3),
        registration_closes_at=now - dt.timedelta(minutes=30),
    )


def _dashboard(live_asgi, new_page, conference, *, wait_live: bool = True, **options):
    client = Client()
    client.force_login(make_moderator())
    page = new_page(**options)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_asgi.url}]
    )
    page.goto(f"{live_asgi.url}/moderate/{conference.slug}/")
    if wait_live:
        expect(page.locator("#qa-dashboard")).to_have_attribute("data-live", "on")
    page.evaluate("window.__notReloaded = true")
    return page


def _awaiting(conference, n: int) -> list[Question]:
    registration = make_registration(conference=conference)
    return [
        make_question(registration=registration, text=f"Spørsmål nummer {i}. {LONG}")
        for i in range(n)
    ]


def _in_column(page, question: Question, column: str) -> None:
    page.locator(f"[data-column={column}] #q-{question.pk}").wait_for()


def _active_id(page) -> str:
    return page.evaluate("document.activeElement.id")


def test_approve_keeps_scroll_position_and_moves_focus_to_next_card(
    live_asgi, new_page, conference, roles
):
    make_question(conference=conference, status="published", text="Allerede publisert?")
    questions = _awaiting(conference, 8)
    page = _dashboard(live_asgi, new_page, conference, lang="nb")
    target, following = questions[4], questions[5]
    page.locator(f"#q-{target.pk}").scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, 120)")
    scroll_before = page.evaluate("window.scrollY")
    assert scroll_before > 300

    page.locator(f"#q-{target.pk} button[data-shortcut=a]").click()

    _in_column(page, target, "published")
    expect(page.locator(f"#q-{following.pk}")).to_be_focused()
    assert page.evaluate("window.scrollY") == scroll_before
    assert page.evaluate("window.__notReloaded === true")
    expect(page.locator("#qa-live-status")).to_have_text(f"Spørsmål {target.pk} er publisert.")
    assert page.locator(f"#q-{target.pk}").get_attribute("data-version") == "2"
    target.refresh_from_db()
    assert target.status == "published"
    assert "Sist endret" not in page.locator(f"#q-{target.pk}").inner_text()
    save_screenshot(page, "qa-dashboard-after-approve-nb-desktop")


def test_keyboard_shortcut_approves_focused_card_but_not_while_typing(
    live_asgi, new_page, conference, roles
):
    first, second, third = _awaiting(conference, 3)
    page = _dashboard(live_asgi, new_page, conference, lang="en")
    assert page.locator("#qa-shortcuts summary").inner_text() == "Keyboard shortcuts"

    page.keyboard.press("j")  # to the first card
    assert _active_id(page) == f"q-{first.pk}"
    page.keyboard.press("r")  # to its reason field; typing "a" there approves nothing
    page.keyboard.type("a")
    assert page.evaluate("document.activeElement.name") == "reason"
    page.keyboard.press("Escape")
    assert _active_id(page) == f"q-{first.pk}"
    first.refresh_from_db()
    assert first.status == "awaiting"

    page.keyboard.press("a")

    _in_column(page, first, "published")
    expect(page.locator(f"#q-{second.pk}")).to_be_focused()
    first.refresh_from_db()
    assert first.status == "published"
    page.keyboard.press("j")
    assert _active_id(page) == f"q-{third.pk}"


def test_new_question_from_another_client_arrives_highlighted_and_announced(
    live_asgi, new_page, conference, roles
):
    _awaiting(conference, 2)
    page = _dashboard(live_asgi, new_page, conference, lang="nb")
    live_region = page.locator("#qa-live-status")
    assert live_region.get_attribute("aria-live") == "polite"
    asker = make_registration(conference=conference)

    question = services.ask_question(
        registration_id=asker.pk, text="Kan vi levere tilbud på engelsk?"
    )

    card = page.locator(f"[data-column=awaiting] #q-{question.pk}")
    card.wait_for()
    assert "qa-new" in card.get_attribute("class")
    assert card.locator(".qa-new-badge").inner_text() == "Ny"
    expect(live_region).to_have_text(
        f"Nytt spørsmål #{question.pk} venter på moderering: Kan vi levere tilbud på engelsk?"
    )
    expect(page.locator("#col-awaiting .qa-count")).to_have_text("3")
    assert page.evaluate("window.__notReloaded === true")
    save_screenshot(page, "qa-dashboard-new-question-nb-desktop")


def test_new_question_card_is_fetched_again_after_a_failed_fetch(
    live_asgi, new_page, conference, roles
):
    """A web node lost behind the proxy: the card fetch a new question's event starts answers
    502 ("no live upstreams"); the dashboard tries again and the card still arrives."""
    page = _dashboard(live_asgi, new_page, conference, lang="en")
    answered: list[int] = []

    def proxy_without_node(route):
        if not answered:
            answered.append(502)
            route.fulfill(status=502, body="Bad Gateway")
        else:
            answered.append(200)
            route.continue_()

    page.route("**/questions/*/card/", proxy_without_node)
    asker = make_registration(conference=conference)

    question = services.ask_question(registration_id=asker.pk, text="Kommer kortet likevel?")

    card = page.locator(f"[data-column=awaiting] #q-{question.pk}")
    card.wait_for()
    assert answered == [502, 200]
    assert "qa-new" in card.get_attribute("class")
    assert page.evaluate("window.__notReloaded === true")


def test_suggested_duplicate_merges_in_one_click(live_asgi, new_page, conference, roles):
    target = make_question(
        conference=conference, status="published", text="Hvor lang er kontraktsperioden?"
    )
    make_question(conference=conference, status="published", text="Godtas engelsk språk?")
    duplicate = make_question(conference=conference, text="Hvor lang blir kontraktsperioden?")
    following = make_question(conference=conference, text="Noe helt annet om sensorer?")
    page = _dashboard(live_asgi, new_page, conference, lang="nb")
    suggestions = page.locator(f"#q-{duplicate.pk} .qa-merge-suggestion")
    assert suggestions.first.inner_text().startswith(f"Slå sammen med #{target.pk}")

    suggestions.first.click()

    _in_column(page, duplicate, "closed")
    expect(page.locator(f"#q-{following.pk}")).to_be_focused()
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into_id) == ("merged", target.pk)
    assert page.locator(f"#q-{duplicate.pk}").get_attribute("data-status") == "merged"
    expect(page.locator(f"#q-{target.pk}")).to_contain_text("1 duplikat slått sammen hit")
    assert page.evaluate("window.__notReloaded === true")


def test_reject_with_reason_in_place(live_asgi, new_page, conference, roles):
    question, following = _awaiting(conference, 2)
    page = _dashboard(live_asgi, new_page, conference, lang="nb")
    card = page.locator(f"#q-{question.pk}")

    card.get_by_role(
        "textbox", name=f"Begrunnelse for ikke å publisere spørsmål #{question.pk}"
    ).fill("Gjelder en annen anskaffelse.")
    card.get_by_role("button", name=f"Ikke publiser #{question.pk}").click()

    _in_column(page, question, "closed")
    expect(page.locator(f"#q-{following.pk}")).to_be_focused()
    assert "Gjelder en annen anskaffelse." in page.locator(f"#q-{question.pk}").inner_text()
    question.refresh_from_db()
    assert (question.status, question.rejection_reason) == (
        "rejected",
        "Gjelder en annen anskaffelse.",
    )
    assert page.evaluate("window.__notReloaded === true")


def test_conflicting_action_shows_message_and_current_state(live_asgi, new_page, conference, roles):
    question, _ = _awaiting(conference, 2)
    page = _dashboard(live_asgi, new_page, conference, lang="nb")
    card = page.locator(f"#q-{question.pk}")
    reason = card.locator("input[name=reason]")
    reason.fill("For sent")  # focus stays in the card: the live update flags it, not replaces
    services.approve_question(
        conference_id=conference.pk, question_id=question.pk, moderator=None, expected_version=1
    )
    card.locator(".qa-changed-note").wait_for()

    reason.press("Enter")

    page.locator(f"[data-column=published] #q-{question.pk} .qa-card-message").wait_for()
    message = page.locator(f"#q-{question.pk} .qa-card-message").inner_text()
    assert "Endringen din ble ikke lagret" in message
    assert page.locator(f"#q-{question.pk}").get_attribute("data-version") == "2"
    question.refresh_from_db()
    assert (question.status, question.rejection_reason) == ("published", "")


def test_connection_state_is_visible(live_asgi, new_page, conference, roles):
    page = _dashboard(live_asgi, new_page, conference, lang="en")
    badge = page.locator("#qa-connection")
    assert badge.inner_text() == "Live: new questions appear here"

    page.context.set_offline(True)
    expect(badge).to_have_attribute("data-state", "offline")
    assert badge.inner_text() == "Offline: reload the page when the connection is back"
    page.context.set_offline(False)
    expect(badge).to_have_attribute("data-state", "on")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize("lang", ["nb", "nn"])
def test_dashboard_has_no_wcag_22_violations(
    live_asgi, new_page, conference, roles, lang, viewport
):
    registration = make_registration(conference=conference, organisation_name="Fjordsensor AS")
    published = make_question(
        registration=registration,
        status="published",
        show_company=True,
        pinned=True,
        text="Hvor lang er kontraktsperioden?",
    )
    make_question(registration=registration, status="answered", answered_live=True)
    make_question(registration=registration, status="rejected", rejection_reason="Utenfor tema")
    make_question(registration=registration, status="merged", merged_into=published)
    make_question(
        registration=registration, text="Hvor lang blir kontraktsperioden?", topics="kontrakt"
    )
    page = _dashboard(
        live_asgi, new_page, conference, lang=lang, viewport=viewport, bypass_csp=True
    )
    question = services.ask_question(registration_id=registration.pk, text="Et nytt spørsmål?")
    page.locator(f"#q-{question.pk}.qa-new").wait_for()
    page.locator("#qa-shortcuts summary").click()
    page.locator(f"#q-{question.pk}").focus()

    save_screenshot(page, f"qa-dashboard-in-place-{lang}-{viewport}")

    assert page.locator("html").get_attribute("lang") == lang
    assert axe_violations(page) == []


_WIDTHS = "[document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"


@pytest.mark.parametrize("lang", ["nb", "nn"])
def test_dashboard_has_no_sideways_scroll_at_375_px(live_asgi, new_page, conference, roles, lang):
    registration = make_registration(
        conference=conference,
        organisation_name="Kystnær Fjernmålingsteknologi og Sensorintegrasjon AS",
        contact_name="Kari Nordmann-Fjellheimsvik",
        # Long words and an address with no break opportunity, as real ones can be.
        email="kari.nordmannfjellheimsvik@kystnaerfjernmalingsteknologi.example",
    )
    published = make_question(
        registration=registration, status="published", pinned=True, text="Kontraktsperiode?"
    )
    make_question(registration=registration, status="answered", text=LONG)
    make_question(registration=registration, status="rejected", rejection_reason="Utenfor tema")
    make_question(registration=registration, status="merged", merged_into=published)
    make_question(
        registration=registration,
        text="Hvor lang blir kontraktsperioden? " + LONG,
        topics="kontraktsperiode,opsjoner,driftsavtale,sensorer,farledsovervåking",
    )
    page = _dashboard(live_asgi, new_page, conference, lang=lang, viewport="phone")
    services.ask_question(registration_id=registration.pk, text="Et nytt spørsmål? " + LONG)
    page.locator(".qa-new").wait_for()
    page.locator("#qa-shortcuts summary").click()
    # Every disclosure open, as a moderator working through the cards would have them.
    for summary in page.locator(".qa-tool summary").all():
        summary.click()

    widths = {}
    widths["live"] = page.evaluate(_WIDTHS)
    # The connection badge's longest text, while the connection is down.
    page.context.set_offline(True)
    expect(page.locator("#qa-connection")).to_have_attribute("data-state", "offline")
    widths["offline"] = page.evaluate(_WIDTHS)
    page.context.set_offline(False)

    save_screenshot(page, f"qa-dashboard-375-px-offline-{lang}")
    # scrollWidth <= clientWidth: nothing makes the page scroll sideways.
    assert all(scroll <= client == 375 for scroll, client in widths.values()), widths
