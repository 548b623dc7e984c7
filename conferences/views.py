from __future__ import annotations

import logging
import posixpath
from types import SimpleNamespace

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from dialogkonferanse.common.asgi import transfers_file
from dialogkonferanse.common.caching import public_page_cache
from qa.player import Player, player_for
from registrations.selectors import public_participants

from .choices import BundleStatus
from .ics import conference_ics
from .models import Conference, PackageBundle, Recording
from .package.bundle import request_bundle, state_of
from .package.search import SearchQueryError, clean_query, search_package
from .package.selectors import (
    archive_conferences,
    get_caption_file,
    get_document_file,
    get_recording_file,
    information_package,
)
from .ranged import ranged_file_response
from .selectors import (
    get_conference_for_viewer,
    has_published_material,
    live_conference_slugs,
    upcoming_and_past_conferences,
)

logger = logging.getLogger(__name__)


_LIVE_STATUS_CACHE_KEY = "conferences:live-slugs"


def _live_poll_context() -> dict[str, object]:
    return {"live_poll_seconds": settings.CONFERENCE_LIVE_POLL_SECONDS}


@require_safe
def live_status(request: HttpRequest) -> JsonResponse:
    """Which public conferences are live now: ``{"live": [slug, ...]}``, for the badges of the
    conference list and landing pages (static/conferences/live.js).

    Polled, not streamed: a visitor asks every CONFERENCE_LIVE_POLL_SECONDS (20 s) and the
    answer, the same for everyone, is shared for PUBLIC_PAGE_CACHE_SECONDS in the cache and by
    any proxy. 5,000 open pages cost ~250 cache reads a second and one query per few seconds,
    with no connection held open; an event stream would hold an ASGI connection and a fan-out
    queue per visitor all day for a change that happens twice per conference, and a list page
    would need one per conference. The stream page hears it on its own Q&A event stream.
    """
    seconds = settings.PUBLIC_PAGE_CACHE_SECONDS
    slugs = None
    if seconds > 0:
        try:
            slugs = cache.get(_LIVE_STATUS_CACHE_KEY)
        except Exception:  # the cache backend's connection errors share no base class
            logger.warning("Live status cache unreachable", exc_info=True)
    if slugs is None:
        slugs = live_conference_slugs()
        if seconds > 0:
            try:
                cache.set(_LIVE_STATUS_CACHE_KEY, slugs, seconds)
            except Exception:
                logger.warning("Live status cache unreachable", exc_info=True)
    response = JsonResponse({"live": slugs})
    response["Cache-Control"] = f"public, max-age={seconds}" if seconds > 0 else "no-cache"
    return response


@require_safe
@public_page_cache
def conference_list(request: HttpRequest) -> HttpResponse:
    upcoming, past = upcoming_and_past_conferences()
    return render(
        request,
        "conferences/list.html",
        {"upcoming": upcoming, "past": past, **_live_poll_context()},
    )


@require_safe
@public_page_cache
def conference_detail(request: HttpRequest, slug: str) -> HttpResponse:
    conference = get_conference_for_viewer(slug=slug, user=request.user)
    now = timezone.now()
    context = {
        "conference": conference,
        "footer_buyer": conference.buyer,
        "agenda": conference.agenda_items.all(),
        "notices": conference.notice_references.all(),
        "registration_open": conference.registration_is_open(now),
        "registration_not_yet_open": conference.registration_not_yet_open(now),
        "has_ended": conference.ends_at <= now,
        "participants": public_participants(conference=conference),
        "has_package": has_published_material(conference=conference),
        **_live_poll_context(),
    }
    return render(request, "conferences/detail.html", context)


@require_safe
def conference_calendar(request: HttpRequest, slug: str) -> HttpResponse:
    conference = get_conference_for_viewer(slug=slug, user=request.user)
    response = HttpResponse(conference_ics(conference), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{conference.slug}.ics"'
    return response


# --- The public archive and information package (open without registration) ---------------


@require_safe
def archive(request: HttpRequest) -> HttpResponse:
    return render(request, "conferences/archive.html", {"conferences": archive_conferences()})


def external_player(recording: Recording) -> Player | None:
    """The click-to-load player of an external recording, chosen as for the live stream."""
    # qa.player decides embedding (YouTube no-cookie, Vimeo dnt, HLS, CSP frame hosts) from a
    # stream address and provider; a recording has the same two fields.
    return player_for(
        SimpleNamespace(stream_url=recording.external_url, stream_provider=recording.provider)  # type: ignore[arg-type]
    )


@require_safe
def information_package_view(request: HttpRequest, slug: str) -> HttpResponse:
    conference = get_conference_for_viewer(slug=slug, user=request.user, with_programme=False)
    package = information_package(conference=conference)
    for recording in package.recordings:
        recording.player = None if recording.is_uploaded else external_player(recording)
    context = {
        "conference": conference,
        "footer_buyer": conference.buyer,
        "package": package,
        "has_external_players": any(r.player for r in package.recordings),
        "participants": package.participants,
    }
    return render(request, "conferences/package.html", context)


@require_safe
def package_search(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """Search the published material of every public conference (the archive's box) or of one
    (its information package's box). Bad input is a message on the page, never an error."""
    # Only public material: no draft preview here, even for staff.
    conference = (
        get_conference_for_viewer(slug=slug, user=None, with_programme=False) if slug else None
    )
    raw = request.GET.get("q", "")
    results, error = None, ""
    if raw.strip() or "q" in request.GET:
        try:
            words = clean_query(raw)
        except SearchQueryError as exc:
            error = str(exc)
        else:
            page = request.GET.get("page", "1")
            results = search_package(
                words=words,
                language=get_language() or settings.LANGUAGE_CODE,
                conference_id=conference.pk if conference else None,
                page=int(page) if page.isdigit() and len(page) < 7 else 1,
            )
    context = {
        "conference": conference,
        "footer_buyer": conference.buyer if conference else None,
        "query": raw[:500],
        "results": results,
        "search_error": error,
    }
    return render(request, "conferences/search.html", context)


def _etag(sha256: str, fallback: str) -> str:
    return f'"{sha256[:40] or fallback}"'


def _cache_control(published: bool) -> str:
    # Unpublished files reach staff only (preview); never keep them in shared caches.
    return "public, max-age=300" if published else "private, no-store"


@transfers_file
@require_safe
def recording_video(request: HttpRequest, slug: str, pk: int) -> HttpResponseBase:
    """The uploaded video, with range requests (seeking); ``?download=1`` saves it."""
    recording = get_recording_file(slug=slug, pk=pk, user=request.user)
    ext = posixpath.splitext(recording.video_file.name)[1]
    return ranged_file_response(
        request,
        field_file=recording.video_file,
        content_type=recording.content_type or "application/octet-stream",
        etag=_etag(recording.sha256, f"r{recording.pk}-{recording.size}"),
        last_modified=recording.published_at or recording.updated_at,
        filename=f"{slugify(recording.title, allow_unicode=True) or 'recording'}{ext}",
        as_attachment=request.GET.get("download") == "1",
        cache_control=_cache_control(recording.is_published),
    )


@require_safe
def recording_captions(request: HttpRequest, slug: str, pk: int, language: str) -> HttpResponse:
    """A caption track as ``text/vtt`` (small: read whole; the size is limited on upload)."""
    caption = get_caption_file(slug=slug, pk=pk, language=language, user=request.user)
    with caption.file.open("rb") as handle:
        content = handle.read()
    response = HttpResponse(content, content_type="text/vtt; charset=utf-8")
    response["Cache-Control"] = _cache_control(caption.recording.is_published)
    return response


@transfers_file
@require_safe
def document_file(request: HttpRequest, slug: str, pk: int) -> HttpResponseBase:
    document = get_document_file(slug=slug, pk=pk, user=request.user)
    return ranged_file_response(
        request,
        field_file=document.file,
        content_type="application/pdf",
        etag=_etag(document.sha256, f"d{document.pk}-{document.size}"),
        last_modified=document.published_at or document.updated_at,
        filename=f"{slugify(document.title, allow_unicode=True) or 'document'}.pdf",
        as_attachment=True,
        cache_control=_cache_control(document.is_published),
    )


# --- The information package as one file (ZIP) for the tender ------------------------------


def package_bundle_response(
    request: HttpRequest, *, bundle: PackageBundle, conference: Conference
) -> HttpResponseBase:
    """The ready ZIP file, streamed from storage (or a redirect to object storage's address)."""
    return ranged_file_response(
        request,
        field_file=bundle.file,
        content_type="application/zip",
        etag=_etag(bundle.sha256, f"b{bundle.pk}-{bundle.size}"),
        last_modified=bundle.finished_at,
        filename=f"{conference.slug}-information-package.zip",
        as_attachment=True,
        # The address stays while the content changes with each publication: revalidate.
        cache_control="public, no-cache" if conference.is_public else "private, no-store",
    )


@transfers_file
@require_safe
def package_download(request: HttpRequest, slug: str) -> HttpResponseBase:
    """The information package as one ZIP file, when it is prepared for what is published now;
    otherwise a page saying it is being prepared (which follows its progress), and the build
    is queued. Open to everyone while the conference is public (staff: drafts too)."""
    conference = get_conference_for_viewer(slug=slug, user=request.user, with_programme=False)
    bundle = request_bundle(conference_id=conference.pk)
    if bundle.status == BundleStatus.READY:
        return package_bundle_response(request, bundle=bundle, conference=conference)
    context = {
        "conference": conference,
        "footer_buyer": conference.buyer,
        "state": state_of(bundle, current_fingerprint=bundle.fingerprint),
    }
    response = render(request, "conferences/package_bundle/preparing.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def package_download_status(request: HttpRequest, slug: str) -> JsonResponse:
    """Where the file stands, for the "being prepared" page: ``{"status", "label", "step",
    "progress", "ready"}`` (labels in the page's language). Queues the build like the page."""
    conference = get_conference_for_viewer(slug=slug, user=request.user, with_programme=False)
    bundle = request_bundle(conference_id=conference.pk)
    state = state_of(bundle, current_fingerprint=bundle.fingerprint)
    response = JsonResponse(state.polled())
    response["Cache-Control"] = "no-store"
    return response
