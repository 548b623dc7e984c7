"""Procurement staff's tools for one-to-one meetings: setup, slot generation, allocation,
moves, swaps, cancellations, minutes, and the read-only meeting log."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline

from dialogkonferanse.audit.log import AuditedAdminMixin
from dialogkonferanse.common.admin_mixins import (
    ChangePageContextMixin,
    CompactInlineMixin,
    LabelledWidgetsMixin,
    NoAddOrDeleteAdminMixin,
    ReadOnlyAdminMixin,
    admin_pages,
)
from dialogkonferanse.common.timefmt import oslo_span, oslo_text
from registrations.models import Registration

from .allocation import AllocationChanged, AllocationResult, allocate_meetings
from .choices import AllocationMethod, MeetingStatus
from .exceptions import MeetingError
from .forms import AllocationForm, MoveMeetingForm
from .models import (
    Meeting,
    MeetingEvent,
    MeetingSettings,
    MeetingWindow,
    Minutes,
    Slot,
    Team,
    WaitingListEntry,
)
from .selectors import free_slots
from .services import cancel_meeting_by_staff, generate_slots, move_meeting, swap_meetings


def _oslo(value: Any) -> str:
    return oslo_text(value, "SHORT_DATETIME_FORMAT") or "\u2013"


class MeetingWindowInline(CompactInlineMixin, admin.TabularInline):
    model = MeetingWindow
    extra = 1
    fields = ("date", "start_time", "end_time")


class TeamInline(CompactInlineMixin, admin.TabularInline):
    model = Team
    extra = 1
    fields = ("name", "video_url")


@admin.register(MeetingSettings)
class MeetingSettingsAdmin(
    ChangePageContextMixin, LabelledWidgetsMixin, AuditedAdminMixin, TranslationAdmin
):
    list_display = (
        "conference",
        "allocation_mode",
        "video_provider",
        "slot_minutes",
        "buffer_minutes",
        "deadline",
        "team_count",
        "overview_link",
    )
    list_filter = ("allocation_mode", "video_provider")
    list_select_related = ("conference",)
    search_fields = ("conference__title", "conference__slug")
    autocomplete_fields = ()
    inlines = (MeetingWindowInline, TeamInline)
    actions = ("generate_slots_action",)
    fieldsets = (
        (None, {"fields": ("conference", "allocation_mode", "video_provider")}),
        (_("Equal meetings"), {"fields": ("slot_minutes", "buffer_minutes", "agenda")}),
        (_("Deadlines"), {"fields": ("booking_deadline", "offer_hours")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[MeetingSettings]:
        return super().get_queryset(request).annotate(_team_count=Count("teams"))

    @admin.display(description=_("teams"), ordering="_team_count")
    def team_count(self, obj: MeetingSettings) -> int:
        return obj._team_count  # type: ignore[attr-defined]

    @admin.display(description=_("booking deadline"), ordering="booking_deadline")
    def deadline(self, obj: MeetingSettings) -> str:
        return _oslo(obj.booking_deadline)

    @admin.display(description=_("overview"))
    def overview_link(self, obj: MeetingSettings) -> str:
        url = reverse("meetings:staff_overview", kwargs={"slug": obj.conference.slug})
        return format_html('<a href="{}">{}</a>', url, gettext("Day overview (printable)"))

    @admin.action(
        description=_("Generate slots (booked slots are never touched)"), permissions=["change"]
    )
    def generate_slots_action(self, request: HttpRequest, queryset: QuerySet) -> None:
        for item in queryset:
            self._generate_for(request, item)

    def get_urls(self) -> list[Any]:
        return [
            *admin_pages(
                self,
                ("<int:object_id>/generate-slots/", self.generate_slots_view, "generate"),
                ("<int:object_id>/allocate/", self.allocate_view, "allocate"),
            ),
            *super().get_urls(),
        ]

    def change_page_context(self, request: HttpRequest, obj: MeetingSettings) -> dict[str, Any]:
        if not self.has_change_permission(request, obj):
            return {}
        return {"meeting_tools": meeting_tools(obj)}

    def _settings_for(self, request: HttpRequest, object_id: int) -> MeetingSettings:
        item = get_object_or_404(MeetingSettings.objects.select_related("conference"), pk=object_id)
        if not self.has_change_permission(request, item):
            raise PermissionDenied
        return item

    def _back_url(self, request: HttpRequest, item: MeetingSettings) -> str:
        """Where staff came from (the conference page or this setup), never another site."""
        candidate = request.POST.get("next") or request.GET.get("next") or ""
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
        return reverse("admin:conferences_conference_change", args=[item.conference_id])

    def generate_slots_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """The "Generate meeting times" button: creates the planned slots (never touching a
        booked one) and returns to the page the button was on."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        item = self._settings_for(request, object_id)
        self._generate_for(request, item)
        return HttpResponseRedirect(self._back_url(request, item))

    def _generate_for(self, request: HttpRequest, item: MeetingSettings) -> None:
        try:
            result = generate_slots(conference_id=item.conference_id, actor=request.user)
        except MeetingError as exc:
            self.message_user(request, f"{item}: {exc}", messages.ERROR)
            return
        self.message_user(
            request,
            gettext(
                "%(conference)s: %(created)d slots created, %(removed)d free slots removed, "
                "%(unchanged)d unchanged."
            )
            % {"conference": item, **result.__dict__},
            messages.SUCCESS,
        )
        if result.kept_booked or result.skipped:
            self.message_user(
                request,
                gettext(
                    "%(conference)s: %(kept)d booked slots outside the new plan were kept; "
                    "%(skipped)d planned slots overlapping them were not created."
                )
                % {"conference": item, "kept": result.kept_booked, "skipped": result.skipped},
                messages.WARNING,
            )

    def allocate_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Allocation in two steps: a preview (a dry run of ``allocate_meetings``: who gets
        which time, who waits, how many invitations go out), then the confirmation, which runs
        the allocation only if its inputs still match the preview's fingerprint; otherwise the
        new preview is shown with a message."""
        item = self._settings_for(request, object_id)
        back_url = self._back_url(request, item)
        confirming = request.method == "POST" and "confirm" in request.POST
        form = AllocationForm(
            request.POST if request.method == "POST" else None,
            initial={"method": AllocationMethod.REGISTRATION_ORDER},
        )
        if request.method == "POST" and not form.is_valid():
            return self._render_allocation(request, item, form, None, back_url)
        method = form.cleaned_data["method"] if form.is_bound else form.initial["method"]
        seed = form.cleaned_data["seed"] if form.is_bound else None
        if confirming:
            try:
                result = allocate_meetings(
                    conference_id=item.conference_id,
                    method=method,
                    seed=seed,
                    actor=request.user,
                    expected_fingerprint=request.POST.get("fingerprint", ""),
                )
            except AllocationChanged as exc:
                self.message_user(request, str(exc), messages.WARNING)
            except MeetingError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, allocation_message(item, result), messages.SUCCESS)
                return HttpResponseRedirect(back_url)
        try:
            preview = allocate_meetings(
                conference_id=item.conference_id, method=method, seed=seed, dry_run=True
            )
        except MeetingError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            preview = None
        return self._render_allocation(request, item, form, preview, back_url)

    def _render_allocation(
        self,
        request: HttpRequest,
        item: MeetingSettings,
        form: AllocationForm,
        preview: AllocationResult | None,
        back_url: str,
    ) -> TemplateResponse:
        conference = item.conference
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "conference_opts": conference._meta,
            "original": item,
            "conference": conference,
            "conference_url": reverse("admin:conferences_conference_change", args=[conference.pk]),
            "form": form,
            "back_url": back_url,
            "title": gettext("Allocate meetings: %(conference)s") % {"conference": conference},
            "preview": preview and allocation_preview(preview),
        }
        return TemplateResponse(request, "admin/meetings/meetingsettings/allocate.html", context)


def meeting_tools(item: MeetingSettings) -> dict[str, str]:
    """The URLs behind the "Generate meeting times" and "Allocate meetings" buttons."""
    return {
        "generate_url": reverse("admin:meetings_meetingsettings_generate", args=[item.pk]),
        "allocate_url": reverse("admin:meetings_meetingsettings_allocate", args=[item.pk]),
        "settings_url": reverse("admin:meetings_meetingsettings_change", args=[item.pk]),
    }


def allocation_preview(result: AllocationResult) -> dict[str, Any]:
    """What the preview shows: the allocated times by day (Oslo time), the waiting list in
    order, the slots left free and the invitations that will be emailed (one per meeting)."""
    reg_ids = [r for r, _slot in result.allocated] + list(result.waitlisted)
    names = dict(Registration.objects.filter(pk__in=reg_ids).values_list("pk", "organisation_name"))
    slots = Slot.objects.select_related("team").in_bulk([s for _r, s in result.allocated])
    rows = []
    for reg_id, slot_id in result.allocated:
        slot = slots[slot_id]
        rows.append(
            {
                "when": oslo_span(slot.starts_at, slot.ends_at),
                "team": slot.team.name,
                "supplier": names.get(reg_id, ""),
                "registration_id": reg_id,
                "slot_id": slot_id,
            }
        )
    allocated = len(result.allocated)
    return {
        "result": result,
        "rows": rows,
        "waiting": [
            {"position": i, "supplier": names.get(reg_id, ""), "registration_id": reg_id}
            for i, reg_id in enumerate(result.waitlisted, start=1)
        ],
        "allocated": allocated,
        "waitlisted": len(result.waitlisted),
        "free_after": result.free_slots - allocated,
        "emails": allocated,
        "summary": [
            ngettext(
                "%(count)d supplier gets a meeting time.",
                "%(count)d suppliers get a meeting time.",
                allocated,
            )
            % {"count": allocated},
            ngettext(
                "%(count)d supplier goes on the waiting list.",
                "%(count)d suppliers go on the waiting list.",
                len(result.waitlisted),
            )
            % {"count": len(result.waitlisted)},
            ngettext(
                "%(count)d meeting time stays free.",
                "%(count)d meeting times stay free.",
                result.free_slots - allocated,
            )
            % {"count": result.free_slots - allocated},
            ngettext(
                "%(count)d invitation will be emailed, with a calendar invite.",
                "%(count)d invitations will be emailed, each with a calendar invite.",
                allocated,
            )
            % {"count": allocated},
        ],
    }


def allocation_message(item: MeetingSettings, result: AllocationResult) -> str:
    allocated, waiting = len(result.allocated), len(result.waitlisted)
    return gettext(
        "%(conference)s: %(allocated)s, %(waiting)s (seed: %(seed)s). Invitations are being sent."
    ) % {
        "conference": item,
        "allocated": ngettext(
            "%(count)d meeting allocated", "%(count)d meetings allocated", allocated
        )
        % {"count": allocated},
        "waiting": ngettext(
            "%(count)d on the waiting list",
            "%(count)d on the waiting list",
            waiting,
        )
        % {"count": waiting},
        "seed": result.seed if result.seed is not None else "\u2013",
    }


@admin.register(Slot)
class SlotAdmin(LabelledWidgetsMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("starts", "ends", "team", "conference", "booked")
    list_filter = ("conference", "team")
    list_select_related = ("team", "conference")
    date_hierarchy = "starts_at"
    fields = ("conference", "team", "starts_at", "ends_at", "video_url")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Slot]:
        booked = Meeting.objects.filter(slot=OuterRef("pk"), status=MeetingStatus.BOOKED)
        return super().get_queryset(request).annotate(_booked=Exists(booked))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # Times of an existing slot stay fixed: a booked meeting's invitation depends on them.
        return ("conference", "team", "starts_at", "ends_at") if obj else ()

    @admin.display(description=_("starts at"), ordering="starts_at")
    def starts(self, obj: Slot) -> str:
        return _oslo(obj.starts_at)

    @admin.display(description=_("ends at"), ordering="ends_at")
    def ends(self, obj: Slot) -> str:
        return _oslo(obj.ends_at)

    @admin.display(description=_("booked"), boolean=True, ordering="_booked")
    def booked(self, obj: Slot) -> bool:
        return obj._booked  # type: ignore[attr-defined]


class MinutesInline(TranslationStackedInline):
    model = Minutes
    extra = 1
    max_num = 1
    can_delete = False
    fields = (
        "attendance",
        "internal_notes",
        "business_secret_passages",
        "public_summary",
        "recorded_by",
        "updated_at",
    )
    readonly_fields = ("recorded_by", "updated_at")


@admin.register(Meeting)
class MeetingAdmin(NoAddOrDeleteAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    # Meetings come from bookings and allocations (services); cancel instead of deleting:
    # the record stays.
    list_display = ("starts", "team", "supplier", "status", "sequence", "attendance")
    list_filter = ("status", "conference", "slot__team", "minutes__attendance")
    list_select_related = ("slot", "slot__team", "registration", "conference", "minutes")
    search_fields = (
        "registration__organisation_name",
        "registration__email",
        "registration__contact_name",
    )
    ordering = ("slot__starts_at", "pk")
    inlines = (MinutesInline,)
    actions = ("cancel_action", "swap_action", "move_action")
    fields = (
        "conference",
        "slot",
        "registration",
        "status",
        "video_url",
        "uid",
        "sequence",
        "booked_at",
        "cancelled_at",
    )
    readonly_fields = fields

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        for minutes in formset.save(commit=False):
            minutes.recorded_by = request.user
            minutes.save()
        formset.save_m2m()

    @admin.display(description=_("starts at"), ordering="slot__starts_at")
    def starts(self, obj: Meeting) -> str:
        return _oslo(obj.slot.starts_at)

    @admin.display(description=_("team"), ordering="slot__team__name")
    def team(self, obj: Meeting) -> str:
        return obj.slot.team.name

    @admin.display(description=_("supplier"), ordering="registration__organisation_name")
    def supplier(self, obj: Meeting) -> str:
        return obj.registration.organisation_name

    @admin.display(description=_("attendance"))
    def attendance(self, obj: Meeting) -> str:
        minutes = getattr(obj, "minutes", None)
        return minutes.get_attendance_display() if minutes else "\u2013"

    @admin.action(
        description=_("Cancel the selected meetings (suppliers are emailed)"),
        permissions=["change"],
    )
    def cancel_action(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = 0
        for meeting_id in queryset.filter(status=MeetingStatus.BOOKED).values_list("pk", flat=True):
            try:
                cancel_meeting_by_staff(meeting_id=meeting_id, actor=request.user)
            except MeetingError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                done += 1
        self.message_user(
            request,
            ngettext("%(count)d meeting cancelled.", "%(count)d meetings cancelled.", done)
            % {"count": done},
        )

    @admin.action(description=_("Swap the two selected meetings"), permissions=["change"])
    def swap_action(self, request: HttpRequest, queryset: QuerySet) -> None:
        ids = list(queryset.values_list("pk", flat=True)[:3])
        if len(ids) != 2:
            self.message_user(request, gettext("Select exactly two meetings."), messages.ERROR)
            return
        try:
            swap_meetings(meeting_a_id=ids[0], meeting_b_id=ids[1], actor=request.user)
        except MeetingError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(
                request, gettext("The meetings are swapped; both suppliers are emailed.")
            )

    @admin.action(description=_("Move the selected meeting…"), permissions=["change"])
    def move_action(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        meetings = list(queryset.select_related("slot", "registration")[:2])
        if len(meetings) != 1 or meetings[0].status != MeetingStatus.BOOKED:
            self.message_user(
                request, gettext("Select exactly one booked meeting."), messages.ERROR
            )
            return None
        meeting = meetings[0]
        choices = [
            (slot.pk, f"{_oslo(slot.starts_at)} \u2013 {slot.team.name}")
            for slot in free_slots(conference_id=meeting.conference_id)
        ]
        form = MoveMeetingForm(
            request.POST if "apply" in request.POST else None, slot_choices=choices
        )
        if "apply" in request.POST and form.is_valid():
            try:
                move_meeting(
                    meeting_id=meeting.pk, to_slot_id=form.cleaned_data["slot"], actor=request.user
                )
            except MeetingError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(
                    request, gettext("The meeting is moved; the supplier is emailed.")
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Move a meeting"),
            "form": form,
            "queryset": [meeting],
            "action": "move_action",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "dialogkonferanse/admin_action.html", context)


@admin.register(WaitingListEntry)
class WaitingListEntryAdmin(NoAddOrDeleteAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("position", "supplier", "conference", "status", "offered", "expires")
    list_filter = ("status", "conference")
    list_select_related = ("registration", "conference", "offered_slot")
    search_fields = ("registration__organisation_name", "registration__email")
    readonly_fields = (
        "conference",
        "registration",
        "position",
        "status",
        "offered_slot",
        "offered_at",
        "offer_expires_at",
        "created_at",
    )
    fields = readonly_fields

    @admin.display(description=_("supplier"), ordering="registration__organisation_name")
    def supplier(self, obj: WaitingListEntry) -> str:
        return obj.registration.organisation_name

    @admin.display(description=_("offered slot"))
    def offered(self, obj: WaitingListEntry) -> str:
        return _oslo(obj.offered_slot.starts_at) if obj.offered_slot else "\u2013"

    @admin.display(description=_("offer expires at"), ordering="offer_expires_at")
    def expires(self, obj: WaitingListEntry) -> str:
        return _oslo(obj.offer_expires_at)


@admin.register(MeetingEvent)
class MeetingEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The append-only log: who was offered or given what, and the lottery seeds."""

    list_display = ("created", "kind", "conference", "supplier", "slot_time", "seed", "actor")
    list_filter = ("kind", "conference")
    list_select_related = ("conference", "registration", "slot", "actor")
    search_fields = ("registration__organisation_name", "=seed")
    date_hierarchy = "created_at"
    readonly_fields = (
        "created_at",
        "kind",
        "conference",
        "meeting",
        "registration",
        "slot",
        "actor",
        "seed",
        "details",
    )
    fields = readonly_fields

    @admin.display(description=_("when"), ordering="created_at")
    def created(self, obj: MeetingEvent) -> str:
        return _oslo(obj.created_at)

    @admin.display(description=_("supplier"))
    def supplier(self, obj: MeetingEvent) -> str:
        return obj.registration.organisation_name if obj.registration else "\u2013"

    @admin.display(description=_("slot"))
    def slot_time(self, obj: MeetingEvent) -> str:
        return _oslo(obj.slot.starts_at) if obj.slot else "\u2013"
