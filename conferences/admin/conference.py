from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from dialogkonferanse.audit.log import AuditedAdminMixin
from dialogkonferanse.common.admin_mixins import (
    ChangePageContextMixin,
    CompactInlineMixin,
    LabelledWidgetsMixin,
    ReadOnlyAdminMixin,
    admin_pages,
)
from dialogkonferanse.common.translations import language_name
from meetings.admin import meeting_tools
from meetings.selectors import get_meeting_settings, remaining_meetings

from ..choices import (
    SETTLES_REMAINING_MEETINGS,
    ConferenceStatus,
    RemainingMeetings,
)
from ..exceptions import ConferenceError
from ..models import AgendaItem, BuyerOrganisation, Conference, NoticeReference, StatusChange
from ..package.report import (
    DialogueReport,
    PdfEngineUnavailable,
    build_report,
    render_report_html,
    render_report_pdf,
)
from ..services import can_transition, next_statuses, save_conference, transition_conference
from ..validators import validate_notice_reference
from .bundle import ConferencePackageBundleMixin
from .dashboard import ConferenceDashboardMixin
from .translation_status import translation_status

logger = logging.getLogger(__name__)


@admin.register(BuyerOrganisation)
class BuyerOrganisationAdmin(TranslationAdmin):
    list_display = ("name", "organisation_number", "contact_email", "conference_count")
    search_fields = ("name_nb", "name_nn", "name_en", "organisation_number", "contact_email")

    def get_queryset(self, request: HttpRequest) -> QuerySet[BuyerOrganisation]:
        return super().get_queryset(request).annotate(_conference_count=Count("conferences"))

    @admin.display(description=_("conferences"), ordering="_conference_count")
    def conference_count(self, obj: BuyerOrganisation) -> int:
        return obj._conference_count  # type: ignore[attr-defined]


class AgendaItemInline(CompactInlineMixin, TranslationTabularInline):
    model = AgendaItem
    extra = 1
    fields = ("starts_at", "ends_at", "title", "speaker", "is_break", "description")


class NoticeReferenceInline(CompactInlineMixin, admin.TabularInline):
    model = NoticeReference
    extra = 0
    fields = ("reference", "note", "created_at")
    readonly_fields = ("created_at",)


class StatusChangeInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = StatusChange
    extra = 0
    can_delete = False
    fields = ("changed_at", "from_status", "to_status", "changed_by", "notice_reference")
    readonly_fields = fields


class TransitionForm(forms.Form):
    notice_reference = forms.CharField(
        label=_("Notice reference of the competition"),
        max_length=11,
        required=False,
        validators=[validate_notice_reference],
        help_text=_("Doffin ID in the form YYYY-NNNNNN. Required to close the dialogue."),
    )
    remaining_meetings = forms.ChoiceField(
        label=_("What happens to the meetings not yet held"),
        choices=RemainingMeetings.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Decide what happens to the meetings not yet held.")},
    )

    def __init__(self, *args: Any, target: ConferenceStatus, remaining: int, **kwargs: Any) -> None:
        """``remaining``: booked meetings not yet held. Staff decide about them when there are
        any and the step settles them; closing offers only cancelling (DOMAIN.md rule 1)."""
        super().__init__(*args, **kwargs)
        if not remaining or target not in SETTLES_REMAINING_MEETINGS:
            del self.fields["remaining_meetings"]
        elif target == ConferenceStatus.CLOSED:
            self.fields["remaining_meetings"].choices = [
                (RemainingMeetings.CANCEL.value, RemainingMeetings.CANCEL.label)
            ]


@admin.register(Conference)
class ConferenceAdmin(
    ConferenceDashboardMixin,
    ConferencePackageBundleMixin,
    ChangePageContextMixin,
    LabelledWidgetsMixin,
    AuditedAdminMixin,
    TranslationAdmin,
):
    list_display = ("title", "buyer", "starts_at", "status", "offers_one_to_one")
    list_filter = ("status", "offers_one_to_one", "buyer", "starts_at")
    list_select_related = ("buyer",)
    # Every language's text (a plain name searches only the admin's own language).
    search_fields = (
        "title_nb",
        "title_nn",
        "title_en",
        "slug",
        "summary_nb",
        "notice_references__reference",
    )
    prepopulated_fields = {"slug": ("title_nb",)}  # the Bokmål title (required)
    date_hierarchy = "starts_at"
    readonly_fields = ("status", "status_changed_at", "closed_at", "created_at", "updated_at")
    inlines = (AgendaItemInline, NoticeReferenceInline, StatusChangeInline)
    fieldsets = (
        (
            _("Languages offered"),
            {
                "fields": ("offers_nn", "offers_en"),
                "description": _(
                    "Bokmål is always offered. Texts in Nynorsk or English can be written only "
                    "when the conference offers that language; where one is missing, the pages "
                    "show the Bokmål text and say so."
                ),
            },
        ),
        (None, {"fields": ("buyer", "title", "slug", "summary", "description", "contact_email")}),
        (
            _("Times"),
            {
                "fields": (
                    "starts_at",
                    "ends_at",
                    "registration_opens_at",
                    "registration_closes_at",
                )
            },
        ),
        (_("Stream"), {"fields": ("stream_provider", "stream_url", "fallback_stream_url")}),
        (_("Dialogue"), {"fields": ("offers_one_to_one", "dialogue_rules", "retention_months")}),
        (
            _("Status"),
            {"fields": ("status", "status_changed_at", "closed_at", "created_at", "updated_at")},
        ),
    )

    def save_model(self, request: HttpRequest, obj: Conference, form: Any, change: bool) -> None:
        save_conference(conference=obj, changed_fields=set(form.changed_data), is_new=not change)

    def get_urls(self) -> list[Any]:
        return [
            *admin_pages(
                self,
                (
                    "<int:object_id>/transition/<str:to_status>/",
                    self.transition_view,
                    "transition",
                ),
                ("<int:object_id>/report/", self.report_view, "report"),
                ("<int:object_id>/report/pdf/", self.report_pdf_view, "report_pdf"),
            ),
            *super().get_urls(),
        ]

    def _report_for(self, request: HttpRequest, object_id: int) -> DialogueReport:
        conference = get_object_or_404(Conference, pk=object_id)
        # Procurement staff: the report lists the participating companies.
        if not (
            self.has_view_permission(request, conference)
            and request.user.has_perm("registrations.view_registration")
        ):
            raise PermissionDenied
        return build_report(conference_id=conference.pk)

    def report_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """The dialogue report as a printable page (DOMAIN.md rule 8)."""
        report = self._report_for(request, object_id)
        return HttpResponse(render_report_html(report, request=request))

    def report_pdf_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        report = self._report_for(request, object_id)
        try:
            pdf = render_report_pdf(report)
        except PdfEngineUnavailable:
            logger.exception("Dialogue report PDF: the PDF engine cannot load its libraries")
            messages.warning(
                request,
                gettext(
                    "The PDF engine is not installed on the server (Pango), so here is the "
                    "report as a web page. Print the page from the browser to save the report "
                    "as PDF."
                ),
            )
            return HttpResponseRedirect(
                reverse("admin:conferences_conference_report", args=[report.conference.pk])
            )
        response = HttpResponse(pdf, content_type="application/pdf")
        filename = f"dialogue-report-{report.conference.slug}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def change_page_context(self, request: HttpRequest, conference: Conference) -> dict[str, Any]:
        context: dict[str, Any] = {}
        if request.user.has_perm("registrations.view_registration"):
            context["report_url"] = reverse(
                "admin:conferences_conference_report", args=[conference.pk]
            )
        if self.has_change_permission(request, conference):
            # Only the steps the lifecycle service accepts from the current status.
            context["transitions"] = [
                {
                    "status": status.value,
                    "label": status.label,
                    "url": reverse(
                        "admin:conferences_conference_transition", args=[conference.pk, status]
                    ),
                }
                for status in next_statuses(conference.status)
            ]
        if conference.offers_one_to_one:
            meeting_settings = get_meeting_settings(conference_id=conference.pk)
            if meeting_settings is not None and request.user.has_perm(
                "meetings.change_meetingsettings"
            ):
                context["meeting_tools"] = meeting_tools(meeting_settings)
        # Translation status and a preview of the public page in each language.
        context["translation_status"] = translation_status(conference)
        context["preview_links"] = [
            {
                "language": language,
                "name": language_name(language),
                "url": reverse("switch_language", args=[language])
                + "?"
                + urlencode({"next": conference.get_absolute_url()}),
            }
            for language in conference.languages_offered
        ]
        return context

    def transition_view(self, request: HttpRequest, object_id: int, to_status: str) -> HttpResponse:
        conference = get_object_or_404(Conference, pk=object_id)
        if not self.has_change_permission(request, conference):
            raise PermissionDenied
        if to_status not in ConferenceStatus.values:
            raise PermissionDenied
        change_url = reverse("admin:conferences_conference_change", args=[conference.pk])
        if not can_transition(from_status=conference.status, to_status=to_status):
            # A stale page or a hand-made request: say so where staff were, change nothing.
            self.message_user(
                request,
                gettext("A conference cannot go from “%(from)s” to “%(to)s”.")
                % {
                    "from": conference.get_status_display(),
                    "to": ConferenceStatus(to_status).label,
                },
                level=messages.ERROR,
            )
            return HttpResponseRedirect(change_url)
        target = ConferenceStatus(to_status)
        remaining = (
            list(remaining_meetings(conference_id=conference.pk))
            if target in SETTLES_REMAINING_MEETINGS
            else []
        )
        form = TransitionForm(
            request.POST if request.method == "POST" else None,
            target=target,
            remaining=len(remaining),
        )
        if request.method == "POST" and form.is_valid():
            try:
                transition_conference(
                    conference_id=conference.pk,
                    to_status=target,
                    actor=request.user,
                    notice_reference=form.cleaned_data["notice_reference"],
                    remaining_meetings=form.cleaned_data.get("remaining_meetings", ""),
                )
            except ConferenceError as exc:
                self.message_user(request, str(exc), level=messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("“%(title)s” is now: %(status)s.")
                    % {"title": conference.title, "status": target.label},
                    level=messages.SUCCESS,
                )
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": conference,
            "conference": conference,
            "target": target,
            "form": form,
            "needs_notice": target == ConferenceStatus.CLOSED,
            "remaining_meetings": remaining,
            "remaining_intro": ngettext(
                "%(count)d booked meeting has not been held yet:",
                "%(count)d booked meetings have not been held yet:",
                len(remaining),
            )
            % {"count": len(remaining)},
            "change_url": change_url,
            "title": gettext("Change status of “%(title)s”") % {"title": conference.title},
        }
        return TemplateResponse(request, "admin/conferences/conference/transition.html", context)
