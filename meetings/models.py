"""One-to-one meetings: setup per conference, slots per team, meetings, waiting list, log, minutes.

Every scarce resource has a database constraint as the last guard: one booked meeting per slot,
one booked meeting per registration, no overlapping slots per team (PostgreSQL exclusion
constraint), start before end.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.db.models import F, Func, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from conferences.models import Conference
from dialogkonferanse.common.db import HttpsURLField, TimeStampedModel
from dialogkonferanse.common.translations import unoffered_language_errors

from .choices import (
    ACTIVE_WAITING,
    AllocationMode,
    Attendance,
    EventKind,
    MeetingStatus,
    VideoProvider,
    WaitingStatus,
)

https_only = URLValidator(schemes=["https"], message=_("Enter a valid https:// address."))


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class PostgresExclusionConstraint(ExclusionConstraint):
    """An exclusion constraint that other databases skip.

    The embedded default (``make run``) is SQLite, which has no exclusion constraints; there
    the booking service's row locks and the unique constraints still hold.
    """

    def constraint_sql(self, model, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().constraint_sql(model, schema_editor)

    def create_sql(self, model, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().create_sql(model, schema_editor)

    def remove_sql(self, model, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().remove_sql(model, schema_editor)

    def validate(self, model, instance, exclude=None, using="default"):  # type: ignore[no-untyped-def]
        from django.db import connections

        if connections[using].vendor != "postgresql":
            return
        super().validate(model, instance, exclude=exclude, using=using)


class MeetingSettings(TimeStampedModel):
    """How a conference's one-to-one meetings are set up; the same length and agenda for all."""

    conference = models.OneToOneField(
        Conference,
        on_delete=models.CASCADE,
        related_name="meeting_settings",
        verbose_name=_("conference"),
    )
    slot_minutes = models.PositiveSmallIntegerField(
        _("meeting length (minutes)"),
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(480)],
    )
    buffer_minutes = models.PositiveSmallIntegerField(
        _("buffer between meetings (minutes)"),
        default=10,
        validators=[MaxValueValidator(240)],
    )
    agenda = models.TextField(
        _("meeting agenda"),
        help_text=_("The same agenda for every supplier; sent with each invitation."),
    )
    booking_deadline = models.DateTimeField(
        _("booking deadline"),
        help_text=_("Suppliers can book, change or cancel until this time."),
    )
    allocation_mode = models.CharField(
        _("how slots are filled"),
        max_length=20,
        choices=AllocationMode.choices,
        default=AllocationMode.SELF_SERVICE,
    )
    video_provider = models.CharField(
        _("video meeting provider"),
        max_length=10,
        choices=VideoProvider.choices,
        default=VideoProvider.JITSI,
    )
    offer_hours = models.PositiveSmallIntegerField(
        _("hours a freed slot is held for the first on the waiting list"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(168)],
    )

    class Meta:
        verbose_name = _("meeting setup")
        verbose_name_plural = _("meeting setups")
        ordering = ("conference",)
        constraints = [
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=5), name="meetingsettings_slot_length_positive"
            ),
            models.CheckConstraint(
                condition=Q(allocation_mode__in=AllocationMode.values),
                name="meetingsettings_allocation_mode_valid",
            ),
            models.CheckConstraint(
                condition=Q(video_provider__in=VideoProvider.values),
                name="meetingsettings_video_provider_valid",
            ),
        ]

    def __str__(self) -> str:
        return str(self.conference)

    def clean(self) -> None:
        conference = getattr(self, "conference", None)
        if conference is not None:
            errors = unoffered_language_errors(self, conference.languages_offered)
            if errors:
                raise ValidationError(errors)


class MeetingWindow(TimeStampedModel):
    """A period of a day (Oslo wall time) in which every team holds meetings."""

    meeting_settings = models.ForeignKey(
        MeetingSettings,
        on_delete=models.CASCADE,
        related_name="windows",
        verbose_name=_("meeting setup"),
    )
    date = models.DateField(_("date"))
    start_time = models.TimeField(_("from (Oslo time)"))
    end_time = models.TimeField(_("until (Oslo time)"))

    class Meta:
        verbose_name = _("meeting window")
        verbose_name_plural = _("meeting windows")
        ordering = ("date", "start_time", "pk")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")), name="meetingwindow_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.start_time:%H:%M}\u2013{self.end_time:%H:%M}"


class Team(TimeStampedModel):
    """One of the buyer's parallel teams, each in its own video room."""

    meeting_settings = models.ForeignKey(
        MeetingSettings,
        on_delete=models.PROTECT,
        related_name="teams",
        verbose_name=_("meeting setup"),
    )
    name = models.CharField(_("name"), max_length=100)
    video_url = HttpsURLField(
        _("meeting link"),
        max_length=500,
        blank=True,
        validators=[https_only],
        help_text=_(
            "With a pasted link: the team's Teams, Whereby, Zoom or other https link, used "
            "for every slot that has no link of its own."
        ),
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ("meeting_settings", "name", "pk")
        constraints = [
            models.UniqueConstraint(fields=["meeting_settings", "name"], name="team_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Slot(TimeStampedModel):
    """A time one team can meet one supplier. Stored in UTC; shown in Oslo time."""

    conference = models.ForeignKey(
        Conference,
        on_delete=models.PROTECT,
        related_name="meeting_slots",
        verbose_name=_("conference"),
    )
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="slots", verbose_name=_("team")
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    video_url = HttpsURLField(
        _("meeting link"),
        max_length=500,
        blank=True,
        validators=[https_only],
        help_text=_("With a pasted link: overrides the team's link for this slot."),
    )

    class Meta:
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        ordering = ("starts_at", "team__name", "pk")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="slot_ends_after_start"
            ),
            models.UniqueConstraint(fields=["team", "starts_at"], name="slot_unique_team_start"),
            PostgresExclusionConstraint(
                name="slot_no_overlap_per_team",
                expressions=[
                    ("team", RangeOperators.EQUAL),
                    (
                        TsTzRange("starts_at", "ends_at", RangeBoundary()),
                        RangeOperators.OVERLAPS,
                    ),
                ],
            ),
        ]
        indexes = [models.Index(fields=["conference", "starts_at"], name="slot_conf_start")]

    def __str__(self) -> str:
        start = timezone.localtime(self.starts_at)
        return f"{self.team} {start:%Y-%m-%d %H:%M}"


class Meeting(TimeStampedModel):
    """A booked (or cancelled) one-to-one meeting. ``uid``/``sequence`` drive the calendar.

    A move keeps the meeting (same UID) and raises ``sequence``; a cancelled meeting keeps its
    slot for the record, and the slot is free again (the uniqueness only covers booked rows).
    ``notified_sequence`` is the last sequence the supplier was emailed about: a booked meeting
    whose ``notified_sequence`` lags behind is picked up by the invite sweep.
    """

    conference = models.ForeignKey(
        Conference, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("conference")
    )
    slot = models.ForeignKey(
        Slot, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("slot")
    )
    registration = models.ForeignKey(
        "registrations.Registration",
        on_delete=models.PROTECT,
        related_name="meetings",
        verbose_name=_("supplier"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.BOOKED
    )
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(_("calendar sequence"), default=0, editable=False)
    notified_sequence = models.IntegerField(default=-1, editable=False)
    video_url = HttpsURLField(_("meeting link"), max_length=500, blank=True)
    booked_at = models.DateTimeField(_("booked at"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ("slot__starts_at", "pk")
        constraints = [
            models.UniqueConstraint(
                fields=["slot"],
                condition=Q(status=MeetingStatus.BOOKED),
                name="meeting_one_per_slot",
            ),
            models.UniqueConstraint(
                fields=["registration"],
                condition=Q(status=MeetingStatus.BOOKED),
                name="meeting_one_per_registration",
            ),
            models.CheckConstraint(
                condition=Q(status__in=MeetingStatus.values), name="meeting_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=MeetingStatus.BOOKED) | Q(cancelled_at__isnull=False),
                name="meeting_cancelled_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["conference", "status"], name="meeting_conf_status"),
            models.Index(
                fields=["notified_sequence"],
                condition=Q(status=MeetingStatus.BOOKED),
                name="meeting_booked_notified",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.registration} \u2013 {self.slot}"

    @property
    def is_booked(self) -> bool:
        return self.status == MeetingStatus.BOOKED


class WaitingListEntry(TimeStampedModel):
    """A supplier waiting for a slot; the first waiting is offered a freed slot, held a while."""

    conference = models.ForeignKey(
        Conference,
        on_delete=models.PROTECT,
        related_name="meeting_waiting_list",
        verbose_name=_("conference"),
    )
    registration = models.ForeignKey(
        "registrations.Registration",
        on_delete=models.PROTECT,
        related_name="meeting_waiting_entries",
        verbose_name=_("supplier"),
    )
    position = models.PositiveIntegerField(_("position"))
    status = models.CharField(
        _("status"), max_length=10, choices=WaitingStatus.choices, default=WaitingStatus.WAITING
    )
    offered_slot = models.ForeignKey(
        Slot,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="offers",
        verbose_name=_("offered slot"),
    )
    offered_at = models.DateTimeField(_("offered at"), null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("offer expires at"), null=True, blank=True)

    class Meta:
        verbose_name = _("waiting list entry")
        verbose_name_plural = _("waiting list")
        ordering = ("conference", "position", "pk")
        constraints = [
            models.UniqueConstraint(
                fields=["registration"],
                condition=Q(status__in=ACTIVE_WAITING),
                name="waiting_one_active_per_registration",
            ),
            models.UniqueConstraint(
                fields=["offered_slot"],
                condition=Q(status=WaitingStatus.OFFERED),
                name="waiting_one_offer_per_slot",
            ),
            models.CheckConstraint(
                condition=~Q(status=WaitingStatus.OFFERED)
                | Q(offered_slot__isnull=False, offer_expires_at__isnull=False),
                name="waiting_offer_has_slot_and_expiry",
            ),
        ]
        indexes = [
            models.Index(fields=["conference", "status", "position"], name="waiting_conf_queue")
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.registration}"


class MeetingEvent(models.Model):
    """Append-only record: every booking, allocation (with its seed), offer, move and cancel."""

    conference = models.ForeignKey(
        Conference,
        on_delete=models.PROTECT,
        related_name="meeting_events",
        verbose_name=_("conference"),
    )
    kind = models.CharField(_("what"), max_length=20, choices=EventKind.choices)
    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("meeting"),
    )
    registration = models.ForeignKey(
        "registrations.Registration",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meeting_events",
        verbose_name=_("supplier"),
    )
    slot = models.ForeignKey(
        Slot,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("slot"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by staff member"),
    )
    seed = models.BigIntegerField(_("lottery seed"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("meeting log entry")
        verbose_name_plural = _("meeting log")
        ordering = ("created_at", "pk")
        indexes = [models.Index(fields=["conference", "created_at"], name="meetingevent_conf")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d %H:%M})"


class Minutes(TimeStampedModel):
    """Internal minutes of one meeting (may be released on request: DOMAIN.md rule 9)."""

    meeting = models.OneToOneField(
        Meeting, on_delete=models.PROTECT, related_name="minutes", verbose_name=_("meeting")
    )
    attendance = models.CharField(
        _("attendance"), max_length=10, choices=Attendance.choices, blank=True
    )
    internal_notes = models.TextField(_("internal minutes"), blank=True)
    business_secret_passages = models.TextField(
        _("passages the supplier considers business secrets"),
        blank=True,
        help_text=_(
            "Kept apart from the minutes so they can be redacted if the minutes are released "
            "under the Freedom of Information Act."
        ),
    )
    public_summary = models.TextField(
        _("public summary"),
        blank=True,
        help_text=_(
            "Non-confidential themes that may influence the tender; joins the public "
            "information package."
        ),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        verbose_name = _("minutes")
        verbose_name_plural = _("minutes")
        ordering = ("meeting__slot__starts_at", "pk")
        constraints = [
            models.CheckConstraint(
                condition=Q(attendance__in=Attendance.values), name="minutes_attendance_valid"
            ),
        ]

    def __str__(self) -> str:
        return str(self.meeting)

    def clean(self) -> None:
        meeting = getattr(self, "meeting", None)
        if meeting is not None:
            languages = meeting.conference.languages_offered
            errors = unoffered_language_errors(self, languages)
            if errors:
                raise ValidationError(errors)
