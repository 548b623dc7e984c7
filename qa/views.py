"""The stream page with live Q&A for viewers, the moderator dashboard, the public Q&A log and
the server-sent event streams (async views, served under ASGI)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable
from functools import wraps
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_POST, require_safe

from conferences.choices import ConferenceStatus
from conferences.models import Conference
from dialogkonferanse.common.asgi import long_lived
from dialogkonferanse.common.spreadsheet import neutralise_cell
from dialogkonferanse.common.timefmt import oslo_iso
from registrations.access import personal_link_required, registration_for_request
from registrations.models import Registration

from . import live, selectors, services
from .choices import Channel, Handling, QuestionStatus
from .exceptions import QaError, RateLimitedError, StaleQuestionError
from .forms import MODERATION_FORMS, AskForm
from .models import Question
from .permissions import can_moderate
from .player import player_for

# --- Shared -----------------------------------------------------------------------------------


def private_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Pages behind the personal link or a login: nothing caches or indexes them.

    Their addresses hold no secret (the token stays on /r/<token>/), so the site's
    ``same-origin`` Referrer-Policy applies; ``no-referrer`` would make Chromium send
    ``Origin: null`` with the pages' own POST forms, which CSRF protection refuses.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return never_cache(wrapper)


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _sse_response(stream: AsyncIterator[str | bytes]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(stream, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache, no-store"
    response["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
    return response


def _releasing(function: Callable[..., Any]) -> Callable[..., Any]:
    """For the event-stream views: do the DB work, then hand the connection back at once.

    Django returns a request's connection only when the response ends, and an event stream
    lasts the whole conference: a thousand viewers would hold a thousand connections.
    """

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        finally:
            if not connection.in_atomic_block:  # (a test's wrapping transaction)
                connection.close()

    return sync_to_async(wrapper)


def _cursor(request: HttpRequest) -> int | None:
    cursor = live.parse_cursor(request.headers.get("Last-Event-ID"))
    if cursor is None:
        cursor = live.parse_cursor(request.GET.get("last_event_id"))
    return cursor


# --- Viewers ----------------------------------------------------------------------------------


def _not_registered(request: HttpRequest, slug: str) -> HttpResponse:
    conference = Conference.objects.public().select_related("buyer").filter(slug=slug).first()
    return render(
        request,
        "qa/not_registered.html",
        {"conference": conference, "footer_buyer": conference.buyer if conference else None},
        status=403,
    )


def _not_registered_vote(request: HttpRequest, slug: str) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"ok": False, "message": _("Open your personal link.")}, status=403)
    return _not_registered(request, slug)


# The stream is for active registrations only; a refused viewer keeps the session's entry, so
# the personal page still opens after a cancellation.
viewer_page = personal_link_required(active_only=True, refuse=_not_registered)


def _render_stream(
    request: HttpRequest,
    registration: Registration,
    *,
    form: AskForm | None = None,
    status: int = 200,
) -> HttpResponse:
    conference = registration.conference
    cursor = live.latest_event_id(conference_id=conference.pk, channel=Channel.VIEWERS)
    now = timezone.now()
    if conference.status == ConferenceStatus.LIVE:
        services.record_attendance(registration_id=registration.pk, now=now)
    sort = request.GET.get("sort", "votes")
    sort = sort if sort in selectors.SORTS else "votes"
    agenda = list(conference.agenda_items.all())
    asking_open = conference.status in services.ASKING_STATUSES
    has_ended = now >= conference.ends_at or conference.status in services.AFTER_EVENT_STATUSES
    is_live = conference.status == ConferenceStatus.LIVE
    context = {
        "conference": conference,
        "footer_buyer": conference.buyer,
        "registration": registration,
        "player": player_for(conference),
        "agenda": agenda,
        "current_item": selectors.current_agenda_item(agenda, now),
        # Staff setting the conference live ends the countdown, whatever the clock says.
        "before_start": now < conference.starts_at and not has_ended and not is_live,
        "has_ended": has_ended,
        "is_live": is_live,
        "asking_open": asking_open,
        "form": form or AskForm(),
        "questions": selectors.public_questions(conference=conference, sort=sort),
        "own_questions": selectors.own_questions(registration=registration),
        "voted": selectors.voted_question_ids(registration=registration),
        "sort": sort,
        "cursor": cursor,
        "QuestionStatus": QuestionStatus,
    }
    if form is not None and form.errors.get("text"):
        # Back at the field with the error: focused (so announced with its description), and
        # the browser scrolls to it instead of the top of the page.
        form.fields["text"].widget.attrs["autofocus"] = True
    return render(request, "qa/stream.html", context, status=status)


@private_page
@require_GET
@viewer_page
def stream(request: HttpRequest, registration: Registration) -> HttpResponse:
    return _render_stream(request, registration)


@private_page
@require_POST
@viewer_page
def ask(request: HttpRequest, registration: Registration) -> HttpResponse:
    form = AskForm(request.POST)
    if not form.is_valid():
        return _render_stream(request, registration, form=form, status=400)
    try:
        services.ask_question(
            registration_id=registration.pk,
            text=form.cleaned_data["text"],
            show_company=form.cleaned_data["show_company"],
            request_token=form.cleaned_data["request_token"],
        )
    except RateLimitedError as exc:
        form.add_error(None, str(exc))
        response = _render_stream(request, registration, form=form, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    except QaError as exc:
        form.add_error(None, str(exc))
        return _render_stream(request, registration, form=form, status=409)
    messages.success(request, _("Thank you. Your question awaits moderation."))
    stream_url = reverse("qa:stream", kwargs={"slug": registration.conference.slug})
    return redirect(stream_url + "#own-questions")


@private_page
@require_POST
@personal_link_required(active_only=True, refuse=_not_registered_vote)
def vote(request: HttpRequest, registration: Registration, pk: int) -> HttpResponse:
    try:
        question = services.vote_question(registration_id=registration.pk, question_id=pk)
    except QaError as exc:
        if _wants_json(request):
            return JsonResponse({"ok": False, "message": str(exc)}, status=409)
        messages.error(request, str(exc))
    else:
        if _wants_json(request):
            return JsonResponse(
                {"ok": True, "votes": question.vote_count, "message": _("Your vote is counted.")}
            )
        messages.success(request, _("Your vote is counted."))
    stream_url = reverse("qa:stream", kwargs={"slug": registration.conference.slug})
    return redirect(stream_url + f"#q-{pk}")


def _viewer_stream_start(request: HttpRequest, slug: str) -> tuple[int | None, int]:
    registration = registration_for_request(request, slug=slug, active_only=True)
    if registration is None:
        return None, 0
    cursor = _cursor(request)
    if cursor is None:
        cursor = live.latest_event_id(
            conference_id=registration.conference_id, channel=Channel.VIEWERS
        )
    return registration.conference_id, cursor


@long_lived
async def viewer_events(request: HttpRequest, slug: str) -> HttpResponse:
    """Server-sent events for the viewers of one conference (published questions, answers,
    vote counts). Only a browser holding a registration for ``slug`` may listen."""
    conference_id, cursor = await _releasing(_viewer_stream_start)(request, slug)
    if conference_id is None:
        return HttpResponseForbidden(_("Open your personal link."))
    return _sse_response(
        live.event_stream(conference_id=conference_id, channel=Channel.VIEWERS, cursor=cursor)
    )


# --- Public log -------------------------------------------------------------------------------


@require_safe
def public_log(request: HttpRequest, slug: str) -> HttpResponse:
    conference = selectors.public_log_conference(slug=slug)
    after_event = conference.status in services.AFTER_EVENT_STATUSES
    questions = selectors.public_log(conference=conference) if after_event else []
    return render(
        request,
        "qa/public_log.html",
        {
            "conference": conference,
            "footer_buyer": conference.buyer,
            "questions": questions,
            "after_event": after_event,
            "Handling": Handling,
        },
    )


def _csv_time(value: Any) -> str:
    return oslo_iso(value, "seconds")


@require_safe
def public_log_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """The public Q&A log as CSV (UTF-8 with BOM for spreadsheets); no asker identities."""
    conference = selectors.public_log_conference(slug=slug)
    if conference.status not in services.AFTER_EVENT_STATUSES:
        return HttpResponse(
            _("The questions and answers are published after the conference."),
            status=404,
            content_type="text/plain; charset=utf-8",
        )
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(
        [
            _("Number"),
            _("Question"),
            _("Company (if the asker chose to show it)"),
            _("Topics"),
            _("Handling"),
            _("Reason or note"),
            _("Answer"),
            _("Published"),
            _("Answered"),
        ]
    )
    for question in selectors.public_log(conference=conference):
        public = question.is_public
        answer = getattr(question, "answer", None)
        note = ""
        if question.status == QuestionStatus.REJECTED:
            note = question.rejection_reason
        elif question.status == QuestionStatus.MERGED:
            note = _("Merged into question %(number)s") % {"number": question.merged_into_id}
        writer.writerow(
            [
                neutralise_cell(v)
                for v in (
                    question.pk,
                    question.text if public else "",
                    question.public_author if public else "",
                    question.topics if public else "",
                    question.handling.label,
                    note,
                    answer.text if answer is not None and public else "",
                    _csv_time(question.published_at) if public else "",
                    _csv_time(question.answered_at) if public else "",
                )
            ]
        )
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{conference.slug}-questions.csv"'
    return response


# --- Moderators -------------------------------------------------------------------------------


def moderator_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not can_moderate(request.user):
            return HttpResponseForbidden(_("You are not a moderator."))
        return view(request, *args, **kwargs)

    return private_page(wrapper)


def _with_suggestions(
    conference: Conference, questions: list[Question], targets: list[Question]
) -> None:
    """Give each awaiting question its ranked duplicate suggestions (``suggestions``)."""
    awaiting = [q for q in questions if q.status == QuestionStatus.AWAITING]
    ranked = selectors.duplicate_suggestions(
        conference=conference, questions=awaiting, candidates=targets
    )
    by_id = {t.pk: t for t in targets}
    for question in questions:
        question.suggestions = [by_id[pk] for pk in ranked.get(question.pk, ()) if pk in by_id]


@moderator_required
@require_GET
@ensure_csrf_cookie  # the cards arrive later (live) with their forms; the cookie is there first
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    conference = selectors.get_conference_for_moderation(slug=slug)
    cursor = live.latest_event_id(conference_id=conference.pk, channel=Channel.MODERATORS)
    questions = selectors.dashboard_questions(conference=conference)
    columns = selectors.split_for_dashboard(questions)
    targets = [q for q in questions if q.is_public]
    _with_suggestions(conference, questions, targets)
    unsent = sum(
        1 for q in questions if getattr(q, "answer", None) is not None and not q.answer.digest_id
    )
    return render(
        request,
        "qa/dashboard.html",
        {
            "conference": conference,
            "footer_buyer": conference.buyer,
            "columns": columns,
            "merge_targets": targets,
            "cursor": cursor,
            "after_event": conference.status in services.AFTER_EVENT_STATUSES,
            "unsent_answers": unsent,
            "QuestionStatus": QuestionStatus,
        },
    )


def _render_card(request: HttpRequest, conference: Conference, question_id: int) -> str:
    """One dashboard card as HTML, with its suggestions and merge targets (4 queries)."""
    question = selectors.get_dashboard_question(conference=conference, question_id=question_id)
    targets = selectors.merge_targets(conference=conference)
    _with_suggestions(conference, [question], targets)
    return render_to_string(
        "qa/_moderator_card.html",
        {
            "conference": conference,
            "question": question,
            "merge_targets": targets,
            "QuestionStatus": QuestionStatus,
        },
        request=request,
    )


@moderator_required
@require_GET
def card(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """One dashboard card, rendered for this moderator (the dashboard's script fetches it)."""
    conference = selectors.get_conference_for_moderation(slug=slug)
    return HttpResponse(_render_card(request, conference, pk))


def _moderation_result(
    request: HttpRequest,
    conference: Conference,
    pk: int,
    *,
    level: str,
    message: str,
    status: int = 200,
) -> HttpResponse:
    """The answer to a moderator action: JSON with the card as it is now for the dashboard's
    script (it replaces the card in place), else a message and a redirect back to the card."""
    if _wants_json(request):
        try:
            html = _render_card(request, conference, pk)
        except Http404:
            html = ""
        return JsonResponse(
            {"ok": level == "success", "level": level, "message": message, "id": pk, "card": html},
            status=status,
        )
    getattr(messages, level)(request, message)
    return redirect(reverse("qa:dashboard", kwargs={"slug": conference.slug}) + f"#q-{pk}")


@moderator_required
@require_POST
def moderate(request: HttpRequest, slug: str, pk: int, action: str) -> HttpResponse:
    conference = selectors.get_conference_for_moderation(slug=slug)
    form_class = MODERATION_FORMS.get(action)
    if form_class is None:
        return HttpResponse(status=404)
    form = form_class(request.POST)
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        return _moderation_result(
            request,
            conference,
            pk,
            level="error",
            message=_("Nothing was changed: %(errors)s") % {"errors": errors},
            status=400,
        )
    data = form.cleaned_data
    common = {
        "conference_id": conference.pk,
        "question_id": pk,
        "moderator": request.user,
        "expected_version": data["version"],
    }
    try:
        if action == "approve":
            services.approve_question(**common, text=data["text"])
            done = _("Question %(n)s is published.")
        elif action == "reject":
            services.reject_question(**common, reason=data["reason"])
            done = _("Question %(n)s is not published; the asker is told why.")
        elif action == "merge":
            services.merge_question(**common, into_id=data["into"])
            done = _("Question %(n)s is merged into question %(into)s.")
        elif action == "tag":
            services.tag_question(**common, topics=data["topics"])
            done = _("Topics of question %(n)s are saved.")
        elif action == "pin":
            services.pin_question(**common, pinned=data["pinned"])
            done = (
                _("Question %(n)s is marked as being answered now.")
                if data["pinned"]
                else _("Question %(n)s is no longer marked.")
            )
        elif action == "answered-live":
            services.mark_answered_live(**common)
            done = _("Question %(n)s is marked as answered live.")
        else:
            services.answer_question(**common, text=data["text"])
            done = _("The answer to question %(n)s is published to everyone.")
    except StaleQuestionError as exc:
        return _moderation_result(
            request, conference, pk, level="warning", message=str(exc), status=409
        )
    except QaError as exc:
        return _moderation_result(
            request, conference, pk, level="error", message=str(exc), status=409
        )
    message = done % {"n": pk, "into": data.get("into", "")}
    return _moderation_result(request, conference, pk, level="success", message=message)


@moderator_required
@require_POST
def digest(request: HttpRequest, slug: str) -> HttpResponse:
    conference = selectors.get_conference_for_moderation(slug=slug)
    try:
        sent = services.send_answer_digest(conference_id=conference.pk, moderator=request.user)
    except QaError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            ngettext(
                "The written answers are emailed to %(n)d registrant.",
                "The written answers are emailed to %(n)d registrants.",
                sent.recipients,
            )
            % {"n": sent.recipients},
        )
    return redirect("qa:dashboard", slug=slug)


def _moderator_stream_start(request: HttpRequest, slug: str) -> tuple[int | None, int]:
    if not can_moderate(request.user):
        return None, 0
    conference = Conference.objects.filter(slug=slug).exclude(status="draft").only("pk").first()
    if conference is None:
        return None, 0
    cursor = _cursor(request)
    if cursor is None:
        cursor = live.latest_event_id(conference_id=conference.pk, channel=Channel.MODERATORS)
    return conference.pk, cursor


@long_lived
async def moderator_events(request: HttpRequest, slug: str) -> HttpResponse:
    """Server-sent events for moderators: new and changed questions of one conference."""
    conference_id, cursor = await _releasing(_moderator_stream_start)(request, slug)
    if conference_id is None:
        return HttpResponseForbidden(_("You are not a moderator."))
    return _sse_response(
        live.event_stream(conference_id=conference_id, channel=Channel.MODERATORS, cursor=cursor)
    )
