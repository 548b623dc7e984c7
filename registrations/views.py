"""Supplier-facing views: register, resend my link, and the personal page behind the link."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from conferences.models import Conference
from conferences.selectors import (
    can_preview_drafts,
    get_conference_for_viewer,
    public_conference_for_registration,
)
from dialogkonferanse.common.ratelimit import client_ip, is_limited

from .access import forget_access, grant_access, personal_link_required
from .entry_links import DEFAULT_TARGET, ENTRY_TARGETS, record_link_use, target_path
from .exceptions import RegistrationError
from .forms import ContactDetailsForm, RegistrationForm, ResendLinkForm
from .ics import plenary_calendar
from .links import stream_page_url
from .models import Registration
from .selectors import get_personal_link, link_works
from .services import (
    cancel_registration,
    ensure_registration_open,
    register_supplier,
    reinstate_registration,
    request_access_link,
    revoke_personal_links,
    update_registration_details,
)


def private_page(
    view: Callable[..., HttpResponse] | None = None, *, referrer_policy: str = "same-origin"
) -> Any:
    """Pages reached through a personal link: nothing caches or indexes them, and no Referer
    leaves the site from them.

    The address that carries the token (``/r/<token>/``) sends ``no-referrer``. The personal
    pages behind it (``/me/…``, no token in their address) send ``same-origin``: with
    ``no-referrer`` browsers send ``Origin: null`` with the page's own forms, which the CSRF
    check rightly refuses.
    """

    def decorate(func: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(func)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            response = func(request, *args, **kwargs)
            response["Referrer-Policy"] = referrer_policy
            response["X-Robots-Tag"] = "noindex, nofollow"
            return response

        return never_cache(wrapper)

    return decorate(view) if view is not None else decorate


def _rate_limited(
    request: HttpRequest, *, scope: str, rate: str, key: str | None = None
) -> HttpResponse | None:
    limited, retry_after = is_limited(scope=scope, key=key or client_ip(request), rate=rate)
    if not limited:
        return None
    response = render(
        request,
        "registrations/rate_limited.html",
        {"retry_minutes": max(1, math.ceil(retry_after / 60))},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


def _address_limited(
    request: HttpRequest, conference: Conference, email: str
) -> HttpResponse | None:
    """A limit per address, from any number of client addresses: nobody can flood a supplier's
    inbox with links. It counts every address alike, so it reveals nothing about who is
    registered."""
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return _rate_limited(
        request,
        scope="address",
        rate=settings.REGISTRATION_ADDRESS_RATE_LIMIT,
        key=f"{conference.pk}:{digest}",
    )


def _submission_limited(
    request: HttpRequest, conference: Conference, email: str, *, scope: str, rate: str
) -> HttpResponse | None:
    """The limits of a valid submission that sends an email: per client address (``scope``,
    ``rate``), then per target address. Only valid submissions count, so a supplier correcting
    a typo is not locked out."""
    return _rate_limited(request, scope=scope, rate=rate) or _address_limited(
        request, conference, email
    )


def _conference(request: HttpRequest, slug: str) -> Conference:
    if can_preview_drafts(request.user):  # staff may look at drafts: always read afresh
        return get_conference_for_viewer(slug=slug, user=request.user, with_programme=False)
    return public_conference_for_registration(slug=slug)


@require_http_methods(["GET", "HEAD", "POST"])
def register(request: HttpRequest, slug: str) -> HttpResponse:
    conference = _conference(request, slug)
    closed_message = ""
    try:
        ensure_registration_open(conference=conference, now=timezone.now())
    except RegistrationError as exc:
        closed_message = str(exc)
    form = RegistrationForm(request.POST or None, conference=conference)
    if request.method == "POST" and form.is_valid():
        limited = _submission_limited(
            request,
            conference,
            form.cleaned_data["email"],
            scope="register",
            rate=settings.REGISTRATION_RATE_LIMIT,
        )
        if limited:
            return limited
        try:
            register_supplier(conference_id=conference.pk, details=form.to_details())
        except RegistrationError as exc:
            closed_message = str(exc)
        else:
            return redirect("registrations:registered", slug=conference.slug)
    context = {
        "conference": conference,
        "footer_buyer": conference.buyer,
        "form": form,
        "form_cache_seconds": settings.REGISTRATION_FORM_CACHE_SECONDS,
        "closed_message": closed_message,
    }
    return render(request, "registrations/register.html", context)


@require_safe
def registered(request: HttpRequest, slug: str) -> HttpResponse:
    """The same neutral page whether the address was new or already registered."""
    conference = _conference(request, slug)
    return render(
        request,
        "registrations/registered.html",
        {"conference": conference, "footer_buyer": conference.buyer},
    )


@require_http_methods(["GET", "HEAD", "POST"])
def resend_link(request: HttpRequest, slug: str) -> HttpResponse:
    conference = _conference(request, slug)
    form = ResendLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        limited = _submission_limited(
            request,
            conference,
            form.cleaned_data["email"],
            scope="resend",
            rate=settings.REGISTRATION_RESEND_RATE_LIMIT,
        )
        if limited:
            return limited
        request_access_link(conference_id=conference.pk, email=form.cleaned_data["email"])
        return redirect("registrations:link_sent", slug=conference.slug)
    return render(
        request,
        "registrations/resend.html",
        {"conference": conference, "footer_buyer": conference.buyer, "form": form},
    )


@require_safe
def link_sent(request: HttpRequest, slug: str) -> HttpResponse:
    conference = _conference(request, slug)
    return render(
        request,
        "registrations/link_sent.html",
        {"conference": conference, "footer_buyer": conference.buyer},
    )


@private_page(referrer_policy="no-referrer")
@require_GET
def access(request: HttpRequest, token: str, target: str = DEFAULT_TARGET) -> HttpResponse:
    """Exchange the token in the email for a session and leave the token-bearing address for
    the page the link names (``target``: one of ``ENTRY_TARGETS``, never an address, so the
    link cannot lead off the supplier's own pages)."""
    link = get_personal_link(token=token)
    if link is None or target not in ENTRY_TARGETS:
        return render(request, "registrations/link_invalid.html", status=404)
    registration = link.registration
    if not link_works(link):
        # Revoked, past the retention period, or its registration anonymised: say so and
        # offer a new link for that conference (unless its personal data is gone).
        resend_url = ""
        if link.revoked_at is not None and registration.anonymised_at is None:
            slug = registration.conference.slug
            resend_url = reverse("registrations:resend", kwargs={"slug": slug})
        return render(
            request,
            "registrations/link_invalid.html",
            {"resend_url": resend_url, "conference": registration.conference},
            status=410,
        )
    record_link_use(link_id=link.pk)
    grant_access(request, registration)
    return HttpResponseRedirect(target_path(registration, target=target))


@private_page
@require_http_methods(["GET", "POST"])
@personal_link_required
def personal(request: HttpRequest, registration: Registration) -> HttpResponse:
    slug = registration.conference.slug
    initial = {
        "contact_name": registration.contact_name,
        "phone": registration.phone,
        "language": registration.language,
        "listed_publicly": registration.listed_publicly,
        "open_to_partnering": registration.open_to_partnering,
    }
    form = ContactDetailsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            update_registration_details(registration_id=registration.pk, **form.cleaned_data)
        except RegistrationError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Your details are saved."))
        return redirect("registrations:personal", slug=slug)
    conference = registration.conference
    context = {
        "registration": registration,
        "conference": conference,
        "footer_buyer": conference.buyer,
        "form": form,
        "stream_url": stream_page_url(conference),
        "registration_open": conference.registration_is_open(),
    }
    return render(request, "registrations/personal.html", context)


@private_page
@require_http_methods(["GET", "POST"])
@personal_link_required
def cancel(request: HttpRequest, registration: Registration) -> HttpResponse:
    slug = registration.conference.slug
    if request.method == "POST":
        try:
            cancel_registration(registration_id=registration.pk)
        except RegistrationError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Your registration is cancelled."))
        return redirect("registrations:personal", slug=slug)
    return render(
        request,
        "registrations/cancel.html",
        {
            "registration": registration,
            "conference": registration.conference,
            "footer_buyer": registration.conference.buyer,
        },
    )


@private_page
@require_POST
@personal_link_required
def reinstate(request: HttpRequest, registration: Registration) -> HttpResponse:
    slug = registration.conference.slug
    try:
        reinstate_registration(registration_id=registration.pk)
    except RegistrationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Your registration is active again."))
    return redirect("registrations:personal", slug=slug)


@private_page
@require_POST
def leave(request: HttpRequest, slug: str) -> HttpResponse:
    """Forget the registration on this device (shared computers)."""
    forget_access(request, slug=slug)
    messages.info(request, _("This browser no longer opens your registration."))
    return redirect("conferences:detail", slug=slug)


@private_page
@require_http_methods(["GET", "POST"])
@personal_link_required
def sign_out_everywhere(request: HttpRequest, registration: Registration) -> HttpResponse:
    """GET asks to confirm; POST revokes every personal link and ends every session, this one
    too. The supplier can then ask for a new link by email."""
    conference = registration.conference
    if request.method == "POST":
        try:
            revoke_personal_links(registration_id=registration.pk, by_supplier=True)
        except RegistrationError as exc:
            messages.error(request, str(exc))
            return redirect("registrations:personal", slug=conference.slug)
        forget_access(request, slug=conference.slug)
        messages.success(
            request,
            _(
                "You are signed out on every device, and the personal links we sent you no "
                "longer work. Ask for a new link below when you need one."
            ),
        )
        return redirect("registrations:resend", slug=conference.slug)
    return render(
        request,
        "registrations/sign_out_everywhere.html",
        {"registration": registration, "conference": conference, "footer_buyer": conference.buyer},
    )


@private_page
@require_GET
@personal_link_required
def calendar(request: HttpRequest, registration: Registration) -> HttpResponse:
    slug = registration.conference.slug
    response = HttpResponse(
        plenary_calendar(registration), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{slug}.ics"'
    return response
