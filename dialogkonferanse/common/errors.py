"""The project's error pages (400, 403 and CSRF failure, 404, 500): translated, styled, and
never reading the request body."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

# None of these reads request.POST: Django's own handlers are wrapped in requires_csrf_token,
# which reads it again, so a body that could not be parsed raised once more and the visitor got
# a 500. A page that cannot be rendered falls back to plain HTML built without templates.

ERROR_PAGES = {
    400: (
        _("Bad request"),
        _(
            "Your browser sent something this service cannot read. Nothing was saved. "
            "Go back, reload the page and try again."
        ),
    ),
    403: (_("Access denied"), _("You do not have access to this page.")),
    404: (
        _("Page not found"),
        _("There is no page at this address. It may have been moved, or the link may be mistyped."),
    ),
    500: (
        _("Something went wrong"),
        _("An error occurred on our side and has been logged. Please try again in a little while."),
    ),
}
CSRF_FAILURE_PAGE = (
    _("The form could not be sent"),
    _(
        "The page had expired, or your browser did not send the cookie that protects this "
        "form. Nothing was saved. Go back, reload the page and send the form again."
    ),
)


def _plain_error_page(status: int, title: str, message: str) -> HttpResponse:
    html = format_html(
        '<!doctype html><html lang="{}"><head><meta charset="utf-8"><title>{} &ndash; '
        "Dialogkonferanse</title></head><body><main><h1>{}</h1><p>{}</p></main></body></html>",
        get_language() or settings.LANGUAGE_CODE,
        title,
        title,
        message,
    )
    return HttpResponse(html, status=status)


def _error_page(
    request: HttpRequest, template_name: str, status: int, *, csrf_failure: bool = False
) -> HttpResponse:
    title, message = CSRF_FAILURE_PAGE if csrf_failure else ERROR_PAGES[status]
    context = {"status": status, "title": title, "message": message, "csrf_failure": csrf_failure}
    try:
        return render(request, template_name, context, status=status)
    except Exception:
        logger.exception("Error page %s could not be rendered", template_name)
        return _plain_error_page(status, title, message)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler400``; also the answer of ``UnreadableRequestMiddleware``."""
    return _error_page(request, "400.html", 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler403``."""
    return _error_page(request, "403.html", 403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: a form sent without a valid CSRF token or from another origin."""
    return _error_page(request, "403.html", 403, csrf_failure=True)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler404``. The address is not repeated on the page (it may carry a token)."""
    return _error_page(request, "404.html", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: a standalone page rendered without the request, so neither the database
    nor a context processor can stop it (as Django's ``server_error``)."""
    title, message = ERROR_PAGES[500]
    try:
        html = loader.get_template("500.html").render({"title": title, "message": message})
    except Exception:
        logger.exception("Error page 500.html could not be rendered")
        return _plain_error_page(500, title, message)
    return HttpResponse(html, status=500)
