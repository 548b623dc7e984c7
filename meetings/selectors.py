"""Reads of meetings reused by views, tasks and the admin.

Everything a supplier reaches is looked up through their own registration id (taken from the
session by ``registrations.access``), never through an id from the request alone.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from conferences.choices import ConferenceStatus
from registrations.models import Registration

from .choices import (
    BOOKABLE_STATUSES,
    AllocationMode,
    Attendance,
    EventKind,
    MeetingStatus,
    SupplierMeetingState,
    WaitingStatus,
)
from .models import Meeting, MeetingEvent, MeetingSettings, Slot, Team, WaitingListEntry


def get_meeting_settings(*, conference_id: int) -> MeetingSettings | None:
    return MeetingSettings.objects.filter(conference_id=conference_id).first()


def booked_meetings() -> QuerySet[Meeting]:
    return Meeting.objects.filter(status=MeetingStatus.BOOKED).select_related(
        "slot", "slot__team", "registration", "conference", "conference__buyer"
    )


def meetings_still_on() -> QuerySet[Meeting]:
    """Booked meetings that may still take place: the dialogue is not closed and the
    supplier's registration is neither cancelled nor anonymised (DOMAIN.md rule 1)."""
    return (
        booked_meetings()
        .filter(registration__cancelled_at__isnull=True, registration__anonymised_at__isnull=True)
        .exclude(conference__status=ConferenceStatus.CLOSED)
    )


def remaining_meetings(*, conference_id: int, now: dt.datetime | None = None) -> QuerySet[Meeting]:
    """Booked meetings of the conference that have not started yet, earliest first: what
    staff decide about when the dialogue moves to follow-up or closes."""
    return (
        booked_meetings()
        .filter(conference_id=conference_id, slot__starts_at__gt=now or timezone.now())
        .order_by("slot__starts_at", "slot__team__name", "pk")
    )


def meeting_for_registration(*, registration_id: int) -> Meeting | None:
    """The supplier's booked meeting, with slot, team and conference loaded."""
    return booked_meetings().filter(registration_id=registration_id).first()


def waiting_entry_for_registration(*, registration_id: int) -> WaitingListEntry | None:
    return (
        WaitingListEntry.objects.filter(
            registration_id=registration_id,
            status__in=(WaitingStatus.WAITING, WaitingStatus.OFFERED),
        )
        .select_related("offered_slot", "offered_slot__team")
        .first()
    )


def _booked_subquery() -> Exists:
    return Exists(Meeting.objects.filter(slot=OuterRef("pk"), status=MeetingStatus.BOOKED))


def free_slots(
    *, conference_id: int, registration_id: int | None = None, now: dt.datetime | None = None
) -> QuerySet[Slot]:
    """Future slots without a booked meeting and not held for another supplier's offer."""
    now = now or timezone.now()
    held = WaitingListEntry.objects.filter(
        offered_slot=OuterRef("pk"), status=WaitingStatus.OFFERED, offer_expires_at__gt=now
    )
    if registration_id is not None:
        held = held.exclude(registration_id=registration_id)
    return (
        Slot.objects.filter(conference_id=conference_id, starts_at__gt=now)
        .filter(~_booked_subquery(), ~Exists(held))
        .select_related("team")
        .order_by("starts_at", "team__name", "pk")
    )


@dataclass(frozen=True)
class FreeTime:
    """A meeting time as a supplier sees it: once, however many teams are free then."""

    starts_at: dt.datetime
    ends_at: dt.datetime

    @property
    def key(self) -> int:
        """The time as the picker sends it: whole seconds since the epoch (UTC)."""
        return int(self.starts_at.timestamp())


@dataclass(frozen=True)
class FreeDay:
    """The free times of one Oslo day, earliest first."""

    date: dt.date
    times: list[FreeTime]


def free_times(
    *,
    conference_id: int,
    registration_id: int | None = None,
    now: dt.datetime | None = None,
    exclude: dt.datetime | None = None,
) -> list[FreeDay]:
    """The future times at which at least one team is free (``free_slots``), each once, by
    Oslo day; ``exclude`` leaves out one time (a meeting's own, when moving). One query."""
    rows = (
        free_slots(conference_id=conference_id, registration_id=registration_id, now=now)
        .order_by("starts_at", "ends_at")
        .values_list("starts_at", "ends_at")
        .distinct()
    )
    days: OrderedDict[dt.date, list[FreeTime]] = OrderedDict()
    for starts_at, ends_at in rows:
        if exclude is not None and starts_at == exclude:
            continue
        days.setdefault(timezone.localtime(starts_at).date(), []).append(
            FreeTime(starts_at=starts_at, ends_at=ends_at)
        )
    return [FreeDay(date=date, times=times) for date, times in days.items()]


def free_time_at(
    *, conference_id: int, registration_id: int, starts_at: dt.datetime, now: dt.datetime
) -> FreeTime | None:
    """The chosen time if a team is still free then (for the confirmation step). One query."""
    row = (
        free_slots(conference_id=conference_id, registration_id=registration_id, now=now)
        .filter(starts_at=starts_at)
        .values_list("starts_at", "ends_at")
        .first()
    )
    return FreeTime(starts_at=row[0], ends_at=row[1]) if row else None


@dataclass(frozen=True)
class SupplierMeetingStatus:
    """Where a supplier's one-to-one meeting stands, and what they may do now: the one answer
    the personal page, the meeting page and every meeting email give."""

    state: SupplierMeetingState
    meeting: Meeting | None = None  # booked, held, or the last one cancelled
    waiting: WaitingListEntry | None = None  # the active waiting-list entry (with any offer)
    deadline: dt.datetime | None = None
    self_service: bool = False
    can_book: bool = False  # may choose a time now (or accept the time held for them)
    can_change: bool = False  # may move or cancel the booked meeting now
    can_request: bool = False  # may still ask for a meeting

    @property
    def shown(self) -> bool:
        return self.state != SupplierMeetingState.NOT_OFFERED

    @property
    def offer(self) -> WaitingListEntry | None:
        return self.waiting if self.state == SupplierMeetingState.OFFERED else None


def meeting_status_for(
    registration: Registration, *, now: dt.datetime | None = None, just_registered: bool = False
) -> SupplierMeetingStatus:
    """The supplier's meeting status, from the registration (with its conference loaded), the
    meeting setup, their meetings and their waiting-list entry. At most three queries.

    ``just_registered``: the registration was created in the caller's transaction (the
    registration confirmation), so it has no meeting and no waiting-list entry yet and neither
    is read: one query, the setup. Nothing at registration books or queues a meeting.

    Booking, changes and new wishes are open while the setup exists, its deadline has not
    passed, the dialogue is in a bookable status and the registration is active: the same
    rules the services enforce.
    """
    state = SupplierMeetingState
    conference = registration.conference
    if not conference.offers_one_to_one:
        return SupplierMeetingStatus(state=state.NOT_OFFERED)
    now = now or timezone.now()
    setup = get_meeting_settings(conference_id=conference.pk)
    is_open = bool(
        setup
        and now < setup.booking_deadline
        and conference.status in BOOKABLE_STATUSES
        and registration.is_active
    )
    common = {
        "deadline": setup.booking_deadline if setup else None,
        "self_service": bool(setup and setup.allocation_mode == AllocationMode.SELF_SERVICE),
    }
    if not registration.wants_one_to_one:
        return SupplierMeetingStatus(state=state.NOT_REQUESTED, can_request=is_open, **common)
    meetings = (
        []
        if just_registered
        else list(
            Meeting.objects.filter(registration_id=registration.pk)
            .select_related("slot")
            .order_by("-booked_at", "-pk")
        )
    )
    booked = next((m for m in meetings if m.is_booked), None)
    if booked is not None:
        if booked.slot.ends_at <= now:
            return SupplierMeetingStatus(state=state.HELD, meeting=booked, **common)
        return SupplierMeetingStatus(
            state=state.BOOKED,
            meeting=booked,
            can_change=is_open and common["self_service"] and booked.slot.starts_at > now,
            **common,
        )
    waiting = (
        None if just_registered else waiting_entry_for_registration(registration_id=registration.pk)
    )
    if waiting is not None:
        if (
            waiting.status == WaitingStatus.OFFERED
            and waiting.offer_expires_at
            and waiting.offer_expires_at > now
            and is_open
        ):
            return SupplierMeetingStatus(
                state=state.OFFERED, waiting=waiting, can_book=True, **common
            )
        return SupplierMeetingStatus(state=state.WAITING_LIST, waiting=waiting, **common)
    if setup is None:
        return SupplierMeetingStatus(state=state.NOT_PUBLISHED, **common)
    if meetings:
        return SupplierMeetingStatus(
            state=state.CANCELLED,
            meeting=meetings[0],
            can_book=is_open and common["self_service"],
            **common,
        )
    if not is_open:
        return SupplierMeetingStatus(state=state.BOOKING_CLOSED, **common)
    if not common["self_service"]:
        return SupplierMeetingStatus(state=state.AWAITING_ALLOCATION, **common)
    return SupplierMeetingStatus(state=state.BOOKING_OPEN, can_book=True, **common)


@dataclass
class DayPlan:
    """One day of the staff overview: the teams (columns) and, per time, each team's slot."""

    date: dt.date
    teams: list[Team] = field(default_factory=list)
    rows: list[tuple[dt.datetime, list[tuple[Slot | None, Meeting | None]]]] = field(
        default_factory=list
    )


def staff_overview(*, conference_id: int) -> list[DayPlan]:
    """Every slot of the conference by Oslo day and team, with its booked meeting. Two queries."""
    slots = list(
        Slot.objects.filter(conference_id=conference_id)
        .select_related("team")
        .order_by("starts_at", "team__name", "pk")
    )
    meetings = {
        m.slot_id: m
        for m in Meeting.objects.filter(
            conference_id=conference_id, status=MeetingStatus.BOOKED
        ).select_related("registration", "minutes")
    }
    days: OrderedDict[dt.date, dict[dt.datetime, dict[int, Slot]]] = OrderedDict()
    teams_by_day: dict[dt.date, dict[int, Team]] = {}
    for slot in slots:
        day = timezone.localtime(slot.starts_at).date()
        days.setdefault(day, OrderedDict()).setdefault(slot.starts_at, {})[slot.team_id] = slot
        teams_by_day.setdefault(day, {})[slot.team_id] = slot.team
    plans = []
    for day, times in days.items():
        teams = sorted(teams_by_day[day].values(), key=lambda t: (t.name, t.pk))
        plan = DayPlan(date=day, teams=teams)
        for start, by_team in times.items():
            cells = []
            for team in teams:
                slot = by_team.get(team.pk)
                cells.append((slot, meetings.get(slot.pk) if slot else None))
            plan.rows.append((start, cells))
        plans.append(plan)
    return plans


def meetings_due_reminder(
    *, now: dt.datetime, lead: dt.timedelta, not_within: dt.timedelta | None = None
) -> QuerySet[Meeting]:
    """Meetings still on (``meetings_still_on``) starting within ``lead`` from ``now`` (but not
    within ``not_within``) that were booked before the reminder fell due: a meeting booked later
    has just had its invitation. The outbox key makes each reminder once-only; this only
    narrows the work."""
    return (
        meetings_still_on()
        .filter(
            slot__starts_at__gt=now + (not_within or dt.timedelta(0)),
            slot__starts_at__lte=now + lead,
            booked_at__lte=F("slot__starts_at") - lead,
        )
        .order_by("pk")
    )


def meetings_awaiting_notification(*, conference_id: int | None = None) -> QuerySet[Meeting]:
    """Meetings still on (``meetings_still_on``) whose supplier has not been emailed the current
    version (allocations): no video link goes out once the dialogue is closed."""
    queryset = meetings_still_on().filter(notified_sequence__lt=F("sequence"))
    if conference_id is not None:
        queryset = queryset.filter(conference_id=conference_id)
    return queryset.order_by("pk")


@dataclass(frozen=True)
class PublicSummary:
    """One meeting's non-confidential summary for the information package: no supplier named."""

    text: str
    meeting_date: dt.datetime
    updated_at: dt.datetime
    # Each language's own text (empty where missing), for ``{% translated summary "text" %}``.
    text_nb: str = ""
    text_nn: str = ""
    text_en: str = ""


def public_meeting_summaries(*, conference_id: int) -> list[PublicSummary]:
    """The public summaries of the conference's one-to-one meetings, by meeting time. One query.

    Only the text staff wrote for the public; minutes, secrets and who met are never read.
    """
    from .models import Minutes

    rows = (
        Minutes.objects.filter(meeting__conference_id=conference_id)
        .exclude(public_summary_nb__isnull=True)
        .exclude(public_summary_nb="")
        .order_by("meeting__slot__starts_at", "pk")
        .values_list(
            "public_summary_nb",
            "public_summary_nn",
            "public_summary_en",
            "meeting__slot__starts_at",
            "updated_at",
        )
    )
    return [
        PublicSummary(
            text=nb,
            meeting_date=starts_at,
            updated_at=updated_at,
            text_nb=nb,
            text_nn=nn or "",
            text_en=en or "",
        )
        for nb, nn, en, starts_at, updated_at in rows
    ]


def meetings_for_report(*, conference_id: int) -> QuerySet[Meeting]:
    """Every meeting of the conference, cancelled ones included, with slot, team, supplier and
    minutes, earliest first, for the dialogue report."""
    return (
        Meeting.objects.filter(conference_id=conference_id)
        .select_related("slot", "slot__team", "registration", "minutes")
        .order_by("slot__starts_at", "slot__team__name", "pk")
    )


@dataclass(frozen=True)
class MeetingFigures:
    """What the records say about a conference's one-to-one meetings (DOMAIN.md rules 4 and 8).

    ``booked`` counts every booking; each ends up in exactly one of ``held``, ``no_shows``
    (attendance as recorded in the minutes), ``cancelled`` or ``not_recorded``.
    """

    slots_offered: int
    slots_unbooked: int
    booked: int
    held: int
    no_shows: int
    cancelled: int
    not_recorded: int
    waiting_list_entries: int
    offers_made: int
    offers_accepted: int


def meeting_figures_for_report(*, conference_id: int) -> MeetingFigures:
    """The figures of the dialogue report's meeting section, from slots, meetings, minutes,
    the waiting list and the meeting log (offers). Four queries."""
    slots = Slot.objects.filter(conference_id=conference_id).aggregate(
        offered=Count("pk"),
        unbooked=Count(
            "pk",
            filter=~Exists(
                Meeting.objects.filter(slot=OuterRef("pk"), status=MeetingStatus.BOOKED)
            ),
        ),
    )
    booked = Q(status=MeetingStatus.BOOKED)
    meetings = Meeting.objects.filter(conference_id=conference_id).aggregate(
        booked=Count("pk"),
        cancelled=Count("pk", filter=Q(status=MeetingStatus.CANCELLED)),
        held=Count("pk", filter=booked & Q(minutes__attendance=Attendance.HELD)),
        no_shows=Count("pk", filter=booked & Q(minutes__attendance=Attendance.NO_SHOW)),
    )
    offers = MeetingEvent.objects.filter(conference_id=conference_id).aggregate(
        made=Count("pk", filter=Q(kind=EventKind.OFFERED)),
        accepted=Count("pk", filter=Q(kind=EventKind.OFFER_ACCEPTED)),
    )
    return MeetingFigures(
        slots_offered=slots["offered"],
        slots_unbooked=slots["unbooked"],
        booked=meetings["booked"],
        held=meetings["held"],
        no_shows=meetings["no_shows"],
        cancelled=meetings["cancelled"],
        not_recorded=(
            meetings["booked"] - meetings["cancelled"] - meetings["held"] - meetings["no_shows"]
        ),
        waiting_list_entries=WaitingListEntry.objects.filter(conference_id=conference_id).count(),
        offers_made=offers["made"],
        offers_accepted=offers["accepted"],
    )
