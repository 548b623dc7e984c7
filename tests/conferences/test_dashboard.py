"""The staff overview: the conference dashboard in the admin and the summary on the admin home.

Counts for a seeded conference, a constant number of queries for 10 and 2,000 registrations,
who may see it, and the retry of a failed email from the dashboard.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conferences.admin.dashboard import build_overviews, dashboard_context
from conferences.choices import ConferenceStatus
from dialogkonferanse.choices import EmailStatus
from dialogkonferanse.models import AuditEntry, OutboundEmail
from meetings.choices import MeetingStatus, WaitingStatus
from meetings.models import Meeting, WaitingListEntry
from qa.models import Attendance
from registrations.models import Registration
from tests.factories import (
    OSLO,
    make_conference,
    make_meeting_settings,
    make_moderator,
    make_question,
    make_registration,
    make_slot,
    make_staff,
)

pytestmark = pytest.mark.django_db


def dashboard_url(conference) -> str:
    return reverse("admin:conferences_conference_dashboard", args=[conference.pk])


def _email(conference, n: int, status: str, error: str = "") -> OutboundEmail:
    return OutboundEmail.objects.create(
        kind="registration_confirmation",
        to_email=f"mottaker{n}@leverandor.example",
        language="nb",
        subject=f"Bekreftelse {n}",
        body_text="tekst",
        idempotency_key=f"dashboard:{conference.pk}:{n}",
        status=status,
        sent_at=timezone.now() if status == EmailStatus.SENT else None,
        last_error=error,
        conference=conference,
    )


def seed(conference=None):
    """A conference with known figures (and one more conference whose rows must not count)."""
    conference = conference or make_conference(offers_one_to_one=True, status=ConferenceStatus.LIVE)
    regs = [
        make_registration(
            conference=conference, country="NO", language="nb", wants_one_to_one=True
        ),
        make_registration(
            conference=conference, country="NO", language="nb", wants_one_to_one=True
        ),
        make_registration(conference=conference, country="NO", language="nn"),
        make_registration(
            conference=conference, country="SE", language="en", wants_one_to_one=True
        ),
        make_registration(conference=conference, country="SE", language="en"),
        make_registration(conference=conference, country="DK", language="en"),
    ]
    make_registration(
        conference=conference,
        country="NO",
        language="nb",
        wants_one_to_one=True,
        cancelled_at=timezone.now(),
    )
    # Days in Oslo time: two on the first day, none on the second, four on the third.
    first = dt.datetime(2026, 11, 2, 23, 30, tzinfo=dt.UTC)  # 3 November 00:30 in Oslo
    for reg, at in zip(
        regs,
        [first, first, *(first + dt.timedelta(days=2, hours=h) for h in range(4))],
        strict=True,
    ):
        Registration.objects.filter(pk=reg.pk).update(created_at=at)

    team = make_meeting_settings(conference=conference).teams.first()
    start = dt.datetime(2026, 12, 20, 10, tzinfo=OSLO)
    slots = [make_slot(team=team, starts_at=start + dt.timedelta(minutes=40 * i)) for i in range(4)]
    Meeting.objects.create(conference=conference, slot=slots[0], registration=regs[0])
    Meeting.objects.create(conference=conference, slot=slots[1], registration=regs[1])
    Meeting.objects.create(
        conference=conference,
        slot=slots[2],
        registration=regs[3],
        status=MeetingStatus.CANCELLED,
        cancelled_at=timezone.now(),
    )
    WaitingListEntry.objects.create(conference=conference, registration=regs[3], position=1)
    WaitingListEntry.objects.create(
        conference=conference,
        registration=regs[4],
        position=2,
        status=WaitingStatus.OFFERED,
        offered_slot=slots[3],
        offered_at=timezone.now(),
        offer_expires_at=timezone.now() + dt.timedelta(hours=2),
    )
    WaitingListEntry.objects.create(
        conference=conference, registration=regs[5], position=3, status=WaitingStatus.REMOVED
    )

    for status, count in (("awaiting", 2), ("published", 1), ("answered", 3), ("rejected", 1)):
        for _ in range(count):
            make_question(registration=regs[0], status=status)

    _email(conference, 1, EmailStatus.SENT)
    _email(conference, 2, EmailStatus.SENT)
    _email(conference, 3, EmailStatus.QUEUED)
    _email(conference, 4, EmailStatus.FAILED, "550 5.1.1 mailbox unavailable")

    now = timezone.now()
    for reg in regs[:2]:
        Attendance.objects.create(
            conference=conference, registration=reg, first_seen_at=now, last_seen_at=now
        )

    # Another conference's rows never leak into these figures.
    other = make_conference()
    other_reg = make_registration(conference=other, country="FI", language="en")
    make_question(registration=other_reg, status="awaiting")
    _email(other, 99, EmailStatus.FAILED, "boom")
    return conference


def test_dashboard_context_counts_seeded_conference(settings):
    conference = seed()
    staff = make_staff()

    context = dashboard_context(conference, user=staff)

    overview = context["overview"]
    assert overview.registrations.registrations == 6
    assert overview.registrations.cancelled == 1
    assert overview.registrations.meeting_wishes == 3
    assert (overview.meetings.slots, overview.meetings.booked, overview.meetings.free) == (4, 2, 2)
    assert (overview.meetings.waiting, overview.meetings.offered) == (1, 1)
    assert overview.questions == {"awaiting": 2, "published": 1, "answered": 3, "rejected": 1}
    assert (
        overview.questions_waiting,
        overview.questions_published,
        overview.questions_answered,
    ) == (2, 1, 3)
    assert (overview.emails_queued, overview.emails_sent, overview.emails_failed) == (1, 2, 1)
    assert overview.attended == 2
    assert context["by_country"]["rows"] == [("Norway", 3), ("Sweden", 2), ("Denmark", 1)]
    assert context["by_language"]["rows"] == [
        ("English", 3),
        ("Norwegian Bokmål", 2),
        ("Norwegian Nynorsk", 1),
    ]
    assert context["per_day"] == [
        (dt.date(2026, 11, 3), 2),
        (dt.date(2026, 11, 4), 0),
        (dt.date(2026, 11, 5), 4),
    ]
    assert context["meetings"]["rows"] == [
        ("Asked for a meeting", 3),
        ("Slots", 4),
        ("Booked", 2),
        ("Free slots", 2),
        ("Waiting list", 1),
        ("Holding an offered slot", 1),
    ]
    assert context["emails"]["rows"] == [("queued", 1), ("sending", 0), ("sent", 2), ("failed", 1)]
    assert [e.to_email for e in context["failed_emails"]] == ["mottaker4@leverandor.example"]


def test_dashboard_page_shows_counts_and_failure_reason(client):
    conference = seed()
    client.force_login(make_staff())

    response = client.get(dashboard_url(conference), headers={"accept-language": "en"})

    assert response.status_code == 200
    text = response.text
    assert "Overview of “" + conference.title in text
    assert "6 registrations over 3 days" in text
    assert '<th scope="row">Norway</th><td>3</td>' in text
    assert '<th scope="row">Norwegian Nynorsk</th><td>1</td>' in text
    assert '<th scope="row">Free slots</th><td>2</td>' in text
    assert '<th scope="row">Awaiting moderation</th><td>2</td>' in text
    assert "550 5.1.1 mailbox unavailable" in text
    assert "boom" not in text
    assert "2 of 6 registrations opened the stream page while the conference was live." in text
    assert "0 viewers have the stream page open now." in text
    assert (
        reverse(
            "admin:dialogkonferanse_outboundemail_retry",
            args=[OutboundEmail.objects.get(to_email="mottaker4@leverandor.example").pk],
        )
        in text
    )
    assert "<svg" in text


def test_dashboard_page_in_nynorsk(client):
    conference = seed()
    client.force_login(make_staff())

    response = client.get(dashboard_url(conference), headers={"accept-language": "nn"})

    assert response.status_code == 200
    assert "Påmeldingar per dag" in response.text
    assert "Ledige møtetider" in response.text


def test_admin_index_summarises_current_conferences(client):
    conference = seed()
    draft = make_conference(status=ConferenceStatus.DRAFT, title="Utkast som ikke vises")
    client.force_login(make_staff())

    response = client.get(reverse("admin:index"), headers={"accept-language": "en"})

    text = response.text
    assert dashboard_url(conference) in text
    assert dashboard_url(draft) not in text
    [overview] = [o for o in response.context["overviews"] if o.conference == conference]
    assert overview.registrations.registrations == 6
    assert overview.emails_failed == 1
    assert "Emails failed" in text


def test_change_page_links_to_dashboard(client):
    conference = make_conference()
    client.force_login(make_staff())

    response = client.get(reverse("admin:conferences_conference_change", args=[conference.pk]))

    assert dashboard_url(conference) in response.text


def _grow(conference, count: int, offset: int) -> None:
    """``count`` more registrations, each with a question, a sent email and an attendance."""
    countries = ["NO", "SE", "DK", "FI", "DE"]
    regs = Registration.objects.bulk_create(
        Registration(
            conference=conference,
            organisation_name=f"Firma {offset + i}",
            country=countries[i % len(countries)],
            organisation_number="974760673",
            contact_name=f"Kontakt {offset + i}",
            email=f"masse{offset + i}@leverandor.example",
            language=["nb", "nn", "en"][i % 3],
            wants_one_to_one=i % 2 == 0,
            privacy_acknowledged_at=timezone.now(),
        )
        for i in range(count)
    )
    now = timezone.now()
    Attendance.objects.bulk_create(
        Attendance(conference=conference, registration=r, first_seen_at=now, last_seen_at=now)
        for r in regs
    )
    from qa.models import Question

    Question.objects.bulk_create(
        Question(conference=conference, registration=r, text="Hvorfor?", original_text="Hvorfor?")
        for r in regs
    )
    OutboundEmail.objects.bulk_create(
        OutboundEmail(
            kind="registration_confirmation",
            to_email=r.email,
            language="nb",
            subject="Bekreftelse",
            body_text="tekst",
            idempotency_key=f"grow:{r.pk}",
            status=EmailStatus.FAILED if i % 50 == 0 else EmailStatus.SENT,
            last_error="421 try later" if i % 50 == 0 else "",
            sent_at=None if i % 50 == 0 else now,
            conference=conference,
        )
        for i, r in enumerate(regs)
    )
    Registration.objects.filter(pk__in=[r.pk for r in regs[: count // 2]]).update(
        created_at=now - dt.timedelta(days=9)
    )


@pytest.mark.parametrize("page", ["dashboard", "index"])
def test_overview_same_queries_for_10_and_2000_registrations(
    client, django_assert_num_queries, page
):
    conference = make_conference(offers_one_to_one=True, status=ConferenceStatus.LIVE)
    make_meeting_settings(conference=conference)
    client.force_login(make_staff())
    url = dashboard_url(conference) if page == "dashboard" else reverse("admin:index")
    _grow(conference, 10, 0)
    with CaptureQueriesContext(connection) as small:
        first = client.get(url)
    assert first.status_code == 200

    _grow(conference, 1990, 10)
    with django_assert_num_queries(len(small)):
        response = client.get(url)

    [overview] = [o for o in [response.context.get("overview")] if o] or [
        o for o in response.context["overviews"] if o.conference == conference
    ]
    assert overview.registrations.registrations == 2000
    assert overview.attended == 2000
    assert overview.questions_waiting == 2000


def test_moderator_cannot_see_dashboard_or_summary(client):
    conference = seed()
    client.force_login(make_moderator())

    dashboard = client.get(dashboard_url(conference))
    index = client.get(reverse("admin:index"))
    change = client.get(reverse("admin:conferences_conference_change", args=[conference.pk]))

    assert dashboard.status_code == 403
    assert index.status_code == 200
    assert dashboard_url(conference) not in index.text
    assert "Emails failed" not in index.text
    assert dashboard_url(conference) not in change.text


def test_dashboard_needs_staff_login(client):
    conference = make_conference()

    response = client.get(dashboard_url(conference))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_dashboard_unknown_conference_is_404(client):
    client.force_login(make_staff())

    response = client.get(reverse("admin:conferences_conference_dashboard", args=[987654]))

    assert response.status_code == 404


def _requeue_entries(email) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(email),
            object_id=str(email.pk),
            action="requeue",
        )
    )


def test_retry_failed_email_from_dashboard_requeues_once(
    client, django_capture_on_commit_callbacks
):
    conference = seed()
    staff = make_staff()
    client.force_login(staff)
    failed = OutboundEmail.objects.get(conference=conference, status=EmailStatus.FAILED)
    OutboundEmail.objects.filter(pk=failed.pk).update(attempts=8)
    retry = reverse("admin:dialogkonferanse_outboundemail_retry", args=[failed.pk])
    back = dashboard_url(conference)

    with django_capture_on_commit_callbacks() as first_callbacks:
        first = client.post(retry, {"next": back}, headers={"accept-language": "en"})
    with django_capture_on_commit_callbacks() as second_callbacks:
        second = client.post(retry, {"next": back}, follow=True, headers={"accept-language": "en"})

    failed.refresh_from_db()
    assert first.status_code == 302
    assert first.url == back
    assert (failed.status, failed.attempts) == (EmailStatus.QUEUED, 0)
    assert len(first_callbacks) == 1
    assert len(second_callbacks) == 0
    [entry] = _requeue_entries(failed)
    assert entry.actor_id == staff.pk
    assert [str(m) for m in second.context["messages"]] == [
        "The email to mottaker4@leverandor.example is queued to be sent again.",
        "This email has not failed (it may have been re-queued already).",
    ]


def test_retry_refuses_get_and_foreign_next(client):
    conference = seed()
    client.force_login(make_staff())
    failed = OutboundEmail.objects.get(conference=conference, status=EmailStatus.FAILED)
    retry = reverse("admin:dialogkonferanse_outboundemail_retry", args=[failed.pk])

    get = client.get(retry)
    post = client.post(retry, {"next": "https://evil.example/"})

    assert get.status_code == 405
    assert post.url == reverse("admin:dialogkonferanse_outboundemail_change", args=[failed.pk])


def test_retry_needs_change_permission(client):
    conference = seed()
    failed = OutboundEmail.objects.get(conference=conference, status=EmailStatus.FAILED)
    client.force_login(make_moderator())

    response = client.post(reverse("admin:dialogkonferanse_outboundemail_retry", args=[failed.pk]))

    failed.refresh_from_db()
    assert response.status_code == 403
    assert failed.status == EmailStatus.FAILED


def test_build_overviews_for_several_conferences():
    first = seed()
    second = make_conference()
    make_registration(conference=second, country="IS", language="en")

    overviews = {o.conference.pk: o for o in build_overviews([first, second])}

    assert overviews[first.pk].registrations.registrations == 6
    assert overviews[second.pk].registrations.registrations == 1
    assert overviews[second.pk].meetings.slots == 0
    assert overviews[second.pk].viewers_now is None


def test_a_failed_email_that_held_a_personal_link_offers_a_new_link_not_a_retry(client):
    conference = seed()
    client.force_login(make_staff())
    failed = OutboundEmail.objects.get(conference=conference, status=EmailStatus.FAILED)
    registration = Registration.objects.filter(conference=conference).first()
    OutboundEmail.objects.filter(pk=failed.pk).update(holds_secret=True, registration=registration)

    text = client.get(dashboard_url(conference), headers={"accept-language": "en"}).text

    assert "Send a new link from the registration" in text
    assert reverse("admin:registrations_registration_change", args=[registration.pk]) in text
    assert reverse("admin:dialogkonferanse_outboundemail_retry", args=[failed.pk]) not in text
