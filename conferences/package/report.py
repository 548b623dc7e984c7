"""The dialogue report for the procurement record (DOMAIN.md rule 8): one document with the
conference and its invitation, the participating companies, the Q&A and how each question was
handled, the recordings with hashes and publication times, the one-to-one meetings held, the
emails sent per kind, and the equal-treatment measures (what was published to all, and when).

Reads only; built from each app's selectors, which the public record sits above
(ARCHITECTURE.md, layer 4). Rendered as printable HTML and as PDF.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.contrib.staticfiles import finders
from django.db.models import Count, Q
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dialogkonferanse.choices import EmailStatus
from dialogkonferanse.models import OutboundEmail
from meetings.choices import EmailKind as MeetingEmailKind
from meetings.selectors import MeetingFigures, meeting_figures_for_report, meetings_for_report
from qa.selectors import answer_digests_for_report, questions_for_report
from registrations.choices import EmailKind as RegistrationEmailKind
from registrations.selectors import registrations_for_report

from ..models import Conference
from .selectors import published_package_items, published_recordings


@dataclass(frozen=True)
class EmailCount:
    kind: str
    label: str
    total: int
    sent: int
    failed: int
    pending: int


@dataclass(frozen=True)
class Measure:
    at: dt.datetime
    what: str
    detail: str = ""


@dataclass
class DialogueReport:
    conference: Any
    generated_at: dt.datetime
    notices: list[Any]
    status_changes: list[Any]
    participants: list[Any]
    participant_counts: dict[str, int]
    questions: list[Any]
    question_counts: dict[str, int]
    handling_counts: list[tuple[str, int]]
    recordings: list[Any]
    meetings: list[Any]
    meeting_counts: MeetingFigures
    emails: list[EmailCount]
    email_totals: dict[str, int]
    measures: list[Measure] = field(default_factory=list)


def _email_labels() -> dict[str, str]:
    labels = {k.value: str(k.label) for k in (*RegistrationEmailKind, *MeetingEmailKind)}
    labels.update(
        qa_rejected=_("Question not published"), qa_answer_digest=_("Written answers (digest)")
    )
    return labels


def email_counts(*, conference_id: int) -> list[EmailCount]:
    """Emails of the conference per kind: total, sent, failed, still pending."""
    labels = _email_labels()
    rows = (
        OutboundEmail.objects.filter(conference_id=conference_id)
        .values("kind")
        .annotate(
            total=Count("pk"),
            sent=Count("pk", filter=Q(status=EmailStatus.SENT)),
            failed=Count("pk", filter=Q(status=EmailStatus.FAILED)),
        )
        .order_by("kind")
    )
    return [
        EmailCount(
            kind=row["kind"],
            label=labels.get(row["kind"], row["kind"]),
            total=row["total"],
            sent=row["sent"],
            failed=row["failed"],
            pending=row["total"] - row["sent"] - row["failed"],
        )
        for row in rows
    ]


def build_report(*, conference_id: int, now: dt.datetime | None = None) -> DialogueReport:
    """Everything the report shows, read once per section."""
    now = now or timezone.now()
    conference = Conference.objects.select_related("buyer").get(pk=conference_id)
    notices = list(conference.notice_references.order_by("created_at", "pk"))
    status_changes = list(
        conference.status_changes.select_related("changed_by").order_by("changed_at", "pk")
    )

    participants = list(registrations_for_report(conference_id=conference_id))
    participant_counts = {
        "registered": len(participants),
        "active": sum(1 for r in participants if r.cancelled_at is None),
        "cancelled": sum(1 for r in participants if r.cancelled_at is not None),
        "companies": len({r.organisation_name.strip().lower() for r in participants}),
        "one_to_one": sum(1 for r in participants if r.wants_one_to_one),
    }

    questions = list(questions_for_report(conference_id=conference_id))
    handling = Counter(str(q.handling.label) for q in questions)
    question_counts = {
        "total": len(questions),
        "published": sum(1 for q in questions if q.published_at is not None),
        "answered_live": sum(1 for q in questions if q.answered_live),
        "answered_in_writing": sum(1 for q in questions if getattr(q, "answer", None) is not None),
        "not_published": sum(1 for q in questions if q.status == "rejected"),
        "merged": sum(1 for q in questions if q.status == "merged"),
    }

    recordings = published_recordings(conference_id=conference_id)

    meetings = list(meetings_for_report(conference_id=conference_id))
    # As recorded (attendance in the minutes, the waiting list, the meeting log), never
    # inferred from the clock.
    meeting_counts = meeting_figures_for_report(conference_id=conference_id)

    emails = email_counts(conference_id=conference_id)
    email_totals = {
        "total": sum(e.total for e in emails),
        "sent": sum(e.sent for e in emails),
        "failed": sum(e.failed for e in emails),
        "pending": sum(e.pending for e in emails),
    }

    measures: list[Measure] = [
        Measure(
            at=change.changed_at,
            what=_("Conference status: %(status)s") % {"status": change.get_to_status_display()},
            detail=change.notice_reference,
        )
        for change in status_changes
    ]
    for q in questions:
        if q.published_at:
            measures.append(
                Measure(at=q.published_at, what=_("Question published to all"), detail=q.text)
            )
        answer = getattr(q, "answer", None)
        if answer is not None:
            measures.append(
                Measure(
                    at=answer.published_at, what=_("Written answer published to all"), detail=q.text
                )
            )
        elif q.answered_live and q.answered_at:
            measures.append(
                Measure(at=q.answered_at, what=_("Answered live in the broadcast"), detail=q.text)
            )
    for digest in answer_digests_for_report(conference_id=conference_id):
        measures.append(
            Measure(
                at=digest.created_at,
                what=_("Written answers emailed to every registered supplier"),
                detail=ngettext("%(count)d recipient", "%(count)d recipients", digest.recipients)
                % {"count": digest.recipients},
            )
        )
    published_what = {
        "recording": _("Recording published"),
        "document": _("Document published"),
        "clarification": _("Written clarification published"),
    }
    for published_at, kind, title in published_package_items(conference_id=conference_id):
        measures.append(Measure(at=published_at, what=published_what[kind], detail=title))
    measures.sort(key=lambda m: m.at)

    return DialogueReport(
        conference=conference,
        generated_at=now,
        notices=notices,
        status_changes=status_changes,
        participants=participants,
        participant_counts=participant_counts,
        questions=questions,
        question_counts=question_counts,
        handling_counts=sorted(handling.items()),
        recordings=recordings,
        meetings=meetings,
        meeting_counts=meeting_counts,
        emails=emails,
        email_totals=email_totals,
        measures=measures,
    )


# --- Rendering ------------------------------------------------------------------------------

TEMPLATE = "dialogkonferanse/report.html"
STYLESHEET = "dialogkonferanse/report.css"


def render_report_html(
    report: DialogueReport, *, for_pdf: bool = False, request: HttpRequest | None = None
) -> str:
    """With ``request`` the page also shows the request's messages (context processors)."""
    return render_to_string(TEMPLATE, {"report": report, "for_pdf": for_pdf}, request=request)


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    # The PDF is built from our own HTML and stylesheet only: no request leaves the server.
    raise ValueError(f"The report does not load external resources ({url}).")


class PdfEngineUnavailable(RuntimeError):
    """WeasyPrint cannot load its system libraries (Pango, HarfBuzz) on this server."""


def render_report_pdf(report: DialogueReport) -> bytes:
    """The same document as PDF (WeasyPrint; needs the Pango libraries of the system).

    Raises PdfEngineUnavailable when they are missing (WeasyPrint's import raises OSError).
    """
    return html_to_pdf(render_report_html(report, for_pdf=True))


def html_to_pdf(html: str, *, stylesheets: tuple[str, ...] = (STYLESHEET,)) -> bytes:
    """A PDF of our own ``html`` with the static ``stylesheets``; nothing is fetched, fonts are
    embedded (the PDF opens offline). Raises PdfEngineUnavailable without Pango."""
    # Imported here, not at the top: WeasyPrint loads Pango and HarfBuzz when imported and
    # raises OSError where they are missing; the rest of the report (and the admin that
    # imports this module) must keep working on such a server.
    try:
        from weasyprint import CSS, HTML
    except (OSError, ImportError) as exc:
        raise PdfEngineUnavailable(str(exc)) from exc

    paths = [path for path in (finders.find(name) for name in stylesheets) if path]
    styles = [CSS(filename=path, url_fetcher=_refuse_fetch) for path in paths]
    document = HTML(string=html, url_fetcher=_refuse_fetch)
    return document.write_pdf(stylesheets=styles)
