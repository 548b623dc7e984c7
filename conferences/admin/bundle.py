"""The information package file (ZIP) in the conference admin: a page with its state and
progress (polled while it is being built), a button to prepare it, and the download.

Staff who may view the conference may prepare and download it: it holds only what is
published to everyone.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext

from dialogkonferanse.common.admin_mixins import admin_pages
from dialogkonferanse.common.asgi import transfers_file

from ..choices import BundleStatus
from ..models import Conference
from ..package.bundle import bundle_overview, request_bundle
from ..views import package_bundle_response


class ConferencePackageBundleMixin:
    """Adds ``<id>/package-file/`` (page, POST prepares), ``…/status.json`` and
    ``…/download/`` to the conference admin, and the button on the conference page."""

    def get_urls(self) -> list[Any]:
        return [
            *admin_pages(
                self,
                ("<int:object_id>/package-file/", self.package_file_view, "package_file"),
                (
                    "<int:object_id>/package-file/status.json",
                    self.package_file_status_view,
                    "package_file_status",
                ),
                (
                    "<int:object_id>/package-file/download/",
                    self.package_file_download_view,
                    "package_file_download",
                ),
            ),
            *super().get_urls(),  # type: ignore[misc]
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        if object_id and str(object_id).isdigit():
            extra_context["package_file_url"] = reverse(
                "admin:conferences_conference_package_file", args=[int(object_id)]
            )
        return super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]

    def _bundle_conference(self, request: HttpRequest, object_id: int) -> Conference:
        model_admin: ModelAdmin = self  # type: ignore[assignment]
        conference = get_object_or_404(Conference.objects.select_related("buyer"), pk=object_id)
        if not model_admin.has_view_permission(request, conference):
            raise PermissionDenied
        return conference

    def package_file_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        model_admin: ModelAdmin = self  # type: ignore[assignment]
        conference = self._bundle_conference(request, object_id)
        page_url = reverse("admin:conferences_conference_package_file", args=[conference.pk])
        if request.method == "POST":
            request_bundle(conference_id=conference.pk, retry_failed=True)
            messages.success(
                request,
                gettext(
                    "The file is being prepared with everything published now. This page "
                    "shows its progress."
                ),
            )
            return HttpResponseRedirect(page_url)
        bundle, state = bundle_overview(conference_id=conference.pk)
        context = {
            **model_admin.admin_site.each_context(request),
            "opts": Conference._meta,
            "original": conference,
            "conference": conference,
            "bundle": bundle,
            "state": state,
            "in_progress": state.status in (BundleStatus.QUEUED, BundleStatus.BUILDING),
            "change_url": reverse("admin:conferences_conference_change", args=[conference.pk]),
            "title": gettext("Information package file of “%(title)s”")
            % {"title": conference.title},
        }
        return TemplateResponse(
            request, "admin/conferences/conference/package_bundle.html", context
        )

    def package_file_status_view(self, request: HttpRequest, object_id: int) -> JsonResponse:
        conference = self._bundle_conference(request, object_id)
        _bundle, state = bundle_overview(conference_id=conference.pk)
        response = JsonResponse(state.polled())
        response["Cache-Control"] = "no-store"
        return response

    @transfers_file
    def package_file_download_view(self, request: HttpRequest, object_id: int) -> HttpResponseBase:
        conference = self._bundle_conference(request, object_id)
        bundle, state = bundle_overview(conference_id=conference.pk)
        if bundle is None or not state.ready:
            messages.warning(
                request,
                gettext("The file is not ready for what is published now. Prepare it first."),
            )
            return HttpResponseRedirect(
                reverse("admin:conferences_conference_package_file", args=[conference.pk])
            )
        return package_bundle_response(request, bundle=bundle, conference=conference)
