"""Project-level views: health checks (liveness and readiness), the service's own privacy
notice, language switch and the error pages."""

from __future__ import annotations

import logging

import redis
from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_safe

from .common import redis_clients
from .privacy import configured_processors

logger = logging.getLogger(__name__)


# Readiness answers within a few seconds even when a dependency hangs: Redis gets this long
# per check; the database its connect timeout (DATABASE_CONNECT_TIMEOUT).
REDIS_CHECK_TIMEOUT_SECONDS = 1.0


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.warning("Health check: database unreachable", exc_info=True)
        return "error"
    return "ok"


def _check_redis(url: str) -> str:
    # The shared client: its pool keeps a connection open between checks.
    try:
        redis_clients.client(url, REDIS_CHECK_TIMEOUT_SECONDS).ping()
    except redis.RedisError:
        logger.warning("Health check: Redis unreachable at configured URL")
        return "error"
    return "ok"


def readiness_checks() -> dict[str, str]:
    """Each dependency a request may need, "ok" or "error": the database, the Redis cache, the
    live-update Redis when it is another one, and the broker when it is Redis."""
    checks = {"database": _check_database()}
    if settings.REDIS_URL:
        checks["cache"] = _check_redis(settings.REDIS_URL)
    live_url = getattr(settings, "QA_LIVE_REDIS_URL", "")
    if live_url and live_url != settings.REDIS_URL:
        checks["live"] = _check_redis(live_url)
    broker = settings.CELERY_BROKER_URL
    if broker.startswith(("redis://", "rediss://")):
        checks["broker"] = _check_redis(broker)
    return checks


@never_cache
@require_safe
def healthz_live(request: HttpRequest) -> JsonResponse:
    """Liveness: 200 whenever the process serves requests; touches no dependency."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def healthz_ready(request: HttpRequest) -> JsonResponse:
    """Readiness (also ``/healthz``): 200 with every check "ok", else 503 naming each failing
    one. Redis and the broker are checked only when set."""
    checks = readiness_checks()
    healthy = all(value == "ok" for value in checks.values())
    body: dict[str, object] = {"status": "ok" if healthy else "error", "checks": checks}
    if not healthy:
        body["failed"] = [name for name, value in checks.items() if value != "ok"]
    return JsonResponse(body, status=200 if healthy else 503)


def privacy_notice(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy.html", {"processors": configured_processors()})


@never_cache
@require_GET
def switch_language(request: HttpRequest, code: str) -> HttpResponse:
    """Remember the chosen language and go back to the page it was chosen on.

    A plain link rather than Django's POST form, so pages carry no form and set no cookie
    until the visitor asks for something (DOMAIN.md rule 12); the language cookie is set only
    here, at the visitor's request.
    """
    if code not in dict(settings.LANGUAGES):
        raise Http404("No such language.")
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response
