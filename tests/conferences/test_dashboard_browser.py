"""The staff overview in real Chromium: the admin home's summary and the conference dashboard
show the seeded counts, have no WCAG 2.2 A/AA violations (axe-core) at desktop and 375 px,
do not scroll sideways on a phone, and a failed email is retried from the dashboard."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dialogkonferanse.choices import EmailStatus
from dialogkonferanse.models import OutboundEmail
from tests.browser.fixtures import axe_violations, save_screenshot
from tests.conferences.test_dashboard import seed
from tests.factories import make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-123"  # tests.factories.make_user


@pytest.fixture(autouse=True)
def _empty_test_queue(purge_celery_queue):
    """The retried email's send task (no worker runs) must not reach a later test's worker."""
    yield
    purge_celery_queue()


def _no_sideways_scroll(page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def _login(page, base_url: str, user, next_path: str) -> None:
    page.goto(f"{base_url}{reverse('admin:login')}?next={next_path}")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("input[type=submit]").click()
    assert page.url == base_url + next_path


def _card_figure(card, label: str) -> str:
    """The number under ``label`` in a conference's card on the admin home."""
    item = card.locator(".dk-figures > div", has=card.page.get_by_text(label, exact=True))
    return item.locator("dd").inner_text()


def _figure(page, scope: str, label: str) -> str:
    """The number shown next to ``label`` in a table of the figure ``scope``."""
    row = page.locator(f"{scope} tr", has=page.locator("th", has_text=label))
    return row.locator("td").inner_text()


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_dashboard_and_admin_home_show_counts_accessibly(live_asgi, new_page, viewport):
    conference = seed()
    staff = make_staff()
    dashboard = reverse("admin:conferences_conference_dashboard", args=[conference.pk])
    page = new_page(lang="nb", viewport=viewport, bypass_csp=True)

    _login(page, live_asgi.url, staff, reverse("admin:index"))

    card = page.locator(
        ".dk-overview-card", has=page.get_by_role("link", name=conference.title, exact=True)
    )
    assert _card_figure(card, "Påmeldinger") == "6"
    assert _card_figure(card, "Ønsker møte") == "3"
    assert _card_figure(card, "Spørsmål som venter på moderering") == "2"
    assert _card_figure(card, "E-poster som feilet") == "1"
    save_screenshot(page, f"admin-index-nb-{viewport}")
    assert _no_sideways_scroll(page)
    assert axe_violations(page) == []

    card.get_by_role("link", name=conference.title, exact=True).click()
    page.wait_for_url(live_asgi.url + dashboard)

    assert page.get_by_role("heading", level=1).inner_text() == (
        f"Oversikt over «{conference.title}»"
    )
    assert _figure(page, "#dk-by-country", "Norge") == "3"
    assert _figure(page, "#dk-by-language", "Nynorsk") == "1"
    assert _figure(page, "#dk-meeting-figures", "Ønsker møte") == "3"
    assert _figure(page, "#dk-meeting-figures", "Bestilt") == "2"
    assert _figure(page, "#dk-meeting-figures", "Ledige møtetider") == "2"
    assert _figure(page, "#dk-meeting-figures", "Venteliste") == "1"
    assert _figure(page, "#dk-question-figures", "Venter på moderering") == "2"
    assert "2 av 6 påmeldte åpnet sendingssiden" in page.locator("#dk-attendance").inner_text()
    assert "550 5.1.1 mailbox unavailable" in page.locator(".dk-failed").inner_text()
    assert page.locator("svg.dk-chart").count() == 5  # country, language, meetings, Q&A, emails
    assert page.locator("svg.dk-columns-chart rect").count() == 3  # one column per day
    save_screenshot(page, f"admin-conference-dashboard-nb-{viewport}")
    assert _no_sideways_scroll(page)
    assert axe_violations(page) == []


def test_dashboard_retry_button_requeues_failed_email(live_asgi, new_page):
    conference = seed()
    staff = make_staff()
    dashboard = reverse("admin:conferences_conference_dashboard", args=[conference.pk])
    failed = OutboundEmail.objects.get(conference=conference, status=EmailStatus.FAILED)
    page = new_page(lang="en")
    _login(page, live_asgi.url, staff, dashboard)

    page.get_by_role("button", name=f"Retry the email to {failed.to_email}").click()
    page.wait_for_url(live_asgi.url + dashboard)

    failed.refresh_from_db()
    assert failed.status == EmailStatus.QUEUED
    assert page.locator(".messagelist").inner_text().strip() == (
        f"The email to {failed.to_email} is queued to be sent again."
    )
    assert page.get_by_text("No email has failed.").is_visible()
    save_screenshot(page, "admin-conference-dashboard-en-desktop-retried")
