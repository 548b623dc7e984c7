"""Admin of the outbox: a constant number of queries, and the re-queue action."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dialogkonferanse.choices import EmailStatus
from dialogkonferanse.models import OutboundEmail
from tests.factories import make_conference

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:dialogkonferanse_outboundemail_changelist"


def _make_emails(count: int, *, status: str = EmailStatus.SENT, offset: int = 0) -> list:
    conference = make_conference()
    now = timezone.now()
    return OutboundEmail.objects.bulk_create(
        OutboundEmail(
            kind="confirmation",
            to_email=f"person{offset + i}@example.no",
            language="nb",
            subject=f"Emne {offset + i}",
            body_text="tekst",
            body_html="<p>tekst</p>",
            idempotency_key=f"admin:{offset + i}",
            status=status,
            sent_at=now if status == EmailStatus.SENT else None,
            last_error="550 no such user" if status == EmailStatus.FAILED else "",
            conference=conference,
        )
        for i in range(count)
    )


def _changelist_queries(admin_client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    return len(queries)


def test_outbound_email_changelist_same_queries_for_1_and_50(
    admin_client, django_assert_num_queries
) -> None:
    _make_emails(1)
    one = _changelist_queries(admin_client)
    _make_emails(49, offset=1)

    with django_assert_num_queries(one):
        response = admin_client.get(reverse(CHANGELIST))

    assert response.context["cl"].result_count == 50
    assert "person49@example.no" in response.text


def test_outbound_email_changelist_search_and_filter(admin_client) -> None:
    _make_emails(3)
    _make_emails(1, status=EmailStatus.FAILED, offset=10)

    found = admin_client.get(reverse(CHANGELIST), {"q": "person10@"})
    failed = admin_client.get(reverse(CHANGELIST), {"status__exact": EmailStatus.FAILED})

    assert [e.to_email for e in found.context["cl"].result_list] == ["person10@example.no"]
    assert [e.to_email for e in failed.context["cl"].result_list] == ["person10@example.no"]


def test_requeue_failed_action_requeues_only_failed(
    admin_client, django_capture_on_commit_callbacks
) -> None:
    [failed] = _make_emails(1, status=EmailStatus.FAILED)
    [sent] = _make_emails(1, offset=1)
    OutboundEmail.objects.filter(pk=failed.pk).update(attempts=8)

    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(
            reverse(CHANGELIST),
            {"action": "requeue_failed", "_selected_action": [failed.pk, sent.pk]},
            follow=True,
            headers={"accept-language": "en"},
        )

    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.status, failed.attempts) == (EmailStatus.QUEUED, 0)
    assert failed.last_error == "550 no such user"
    assert sent.status == EmailStatus.SENT
    assert len(callbacks) == 1
    assert [str(m) for m in response.context["messages"]] == [
        "1 email re-queued.",
        "1 selected email was not failed and was left as it is.",
    ]


def test_outbound_email_admin_change_page_is_read_only(admin_client) -> None:
    [email] = _make_emails(1)

    response = admin_client.get(
        reverse("admin:dialogkonferanse_outboundemail_change", args=[email.pk])
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.fields == {}
    assert "person0@example.no" in response.text


def test_requeue_leaves_a_failed_email_that_held_a_personal_link(
    admin_client, django_capture_on_commit_callbacks
) -> None:
    """Its message (with the link) was deleted when it failed; only the redacted record is
    left, so staff are told to send a new link instead."""
    [held, plain] = _make_emails(2, status=EmailStatus.FAILED)
    OutboundEmail.objects.filter(pk=held.pk).update(holds_secret=True)

    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(
            reverse(CHANGELIST),
            {"action": "requeue_failed", "_selected_action": [held.pk, plain.pk]},
            follow=True,
            headers={"accept-language": "en"},
        )

    statuses = dict(OutboundEmail.objects.values_list("pk", "status"))
    assert statuses == {held.pk: EmailStatus.FAILED, plain.pk: EmailStatus.QUEUED}
    assert len(callbacks) == 1
    assert [str(m) for m in response.context["messages"]] == [
        "1 email held a personal link, which was deleted when its delivery failed, so it cannot "
        "be sent again: send the supplier a new link from their registration.",
        "1 email re-queued.",
    ]

    retry = admin_client.post(
        reverse("admin:dialogkonferanse_outboundemail_retry", args=[held.pk]),
        follow=True,
        headers={"accept-language": "en"},
    )
    [message] = retry.context["messages"]
    assert "send the supplier a new link" in str(message)
    assert OutboundEmail.objects.get(pk=held.pk).status == EmailStatus.FAILED


def test_the_migration_marks_emails_that_held_a_link_and_drops_failed_ones_messages() -> None:
    """Only unsent emails whose text shows a redacted personal link are marked; "[…]" in other
    text (a quoted question) is not a link."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("dialogkonferanse.migrations.0008_outbox_holds_secret")
    failed, queued, sent, quoting = _make_emails(4, status=EmailStatus.FAILED)
    link = "Lenke: https://x.example/r/[…]/stream/"
    OutboundEmail.objects.filter(pk__in=[failed.pk, queued.pk, sent.pk]).update(
        body_text=link, mime=b"MIME with the token"
    )
    OutboundEmail.objects.filter(pk=queued.pk).update(status=EmailStatus.QUEUED)
    OutboundEmail.objects.filter(pk=sent.pk).update(
        status=EmailStatus.SENT, sent_at=timezone.now(), mime=b""
    )
    OutboundEmail.objects.filter(pk=quoting.pk).update(
        body_text="Spørsmålet ditt: «Kan dere […] svare?»", mime=b"MIME without a token"
    )

    migration.mark_and_drop(apps, None)

    rows = {e.pk: (e.holds_secret, bytes(e.mime)) for e in OutboundEmail.objects.all()}
    assert rows == {
        failed.pk: (True, b""),
        queued.pk: (True, b"MIME with the token"),
        sent.pk: (False, b""),
        quoting.pk: (False, b"MIME without a token"),
    }
