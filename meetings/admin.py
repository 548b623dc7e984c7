"""Procurement staff's tools for one-to-one meetings: setup, slot generation, allocation,
moves, swaps, cancellations, minutes, and the read-only meeting log."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from dialogkonferanse.audit.log import AuditedAdminMixin
from dialogkonferanse.common.admin_mixins import NoAddOrDeleteAdminMixin, ReadOnlyAdminMixin
from dialogkonferanse.common.timefmt import oslo_text

from .allocation import allocate_meetings
from .choices import MeetingStatus
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


class MeetingWindowInline(admin.TabularInline):
    model = MeetingWindow
    extra = 1
    fields = ("date", "start_time", "end_time")


class TeamInline(admin.TabularInline):
    model = Team
    extra = 1
    fields = ("name", "video_url")


@admin.register(MeetingSettings)
class MeetingSettingsAdmin(AuditedAdminMixin, admin.ModelAdmin):
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
    actions = ("generate_slots_action", "allocate_action")
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
            try:
                result = generate_slots(conference_id=item.conference_id, actor=request.user)
            except MeetingError as exc:
                self.message_user(request, f"{item}: {exc}", messages.ERROR)
                continue
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

    @admin.action(
        description=_("Allocate slots to suppliers without a meeting…"), permissions=["change"]
    )
    def allocate_action(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        form = AllocationForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            for item in queryset:
                try:
                    result = allocate_meetings(
                        conference_id=item.conference_id,
                        method=form.cleaned_data["method"],
                        seed=form.cleaned_data["seed"],
                        actor=request.user,
                    )
                except MeetingError as exc:
                    self.message_user(request, f"{item}: {exc}", messages.ERROR)
                    continue
                allocated, waiting = len(result.allocated), len(result.waitlisted)
                self.message_user(
                    request,
                    gettext(
                        "%(conference)s: %(allocated)s, %(waiting)s (seed: %(seed)s). "
                        "Invitations are being sent."
                    )
                    % {
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
                    },
                    messages.SUCCESS,
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Allocate one-to-one meetings"),
            "form": form,
            "queryset": queryset,
            "action": "allocate_action",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "dialogkonferanse/admin_action.html", context)


@admin.register(Slot)
class SlotAdmin(AuditedAdminMixin, admin.ModelAdmin):
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


class MinutesInline(admin.StackedInline):
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
