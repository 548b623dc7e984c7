from django.db import models
from django.utils.translation import gettext_lazy as _

from conferences.choices import ConferenceStatus

# Suppliers cannot book in a draft (nobody is registered) or once the competition is announced.
BOOKABLE_STATUSES = (ConferenceStatus.PUBLISHED, ConferenceStatus.LIVE, ConferenceStatus.FOLLOW_UP)


class AllocationMode(models.TextChoices):
    """How the slots of a conference are filled (issue: self-service or allocation by staff)."""

    SELF_SERVICE = "self_service", _("Suppliers pick a slot themselves")
    STAFF = "staff", _("Staff allocate the slots")


class VideoProvider(models.TextChoices):
    """Where the meeting takes place (DOMAIN.md rule 13): nothing depends on one provider."""

    JITSI = "jitsi", _("Jitsi room generated per meeting")
    LINK = "link", _("Pasted link (Teams, Whereby, Zoom or other), per slot or per team")


class MeetingStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CANCELLED = "cancelled", _("Cancelled")


class Attendance(models.TextChoices):
    UNKNOWN = "", _("Not recorded")
    HELD = "held", _("Held")
    NO_SHOW = "no_show", _("Supplier did not attend")


class WaitingStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    OFFERED = "offered", _("Offered a slot")
    BOOKED = "booked", _("Got a meeting")
    REMOVED = "removed", _("Removed")


# Entries still in the queue (hold a place or an offer).
ACTIVE_WAITING = (WaitingStatus.WAITING, WaitingStatus.OFFERED)


class AllocationMethod(models.TextChoices):
    REGISTRATION_ORDER = "registration_order", _("Registration order")
    LOTTERY = "lottery", _("Seeded lottery")


class EventKind(models.TextChoices):
    """What the append-only meeting log records: who was offered or given what (rule 4)."""

    BOOKED = "booked", _("Booked by the supplier")
    ALLOCATED = "allocated", _("Allocated by staff")
    ALLOCATION_RUN = "allocation_run", _("Allocation run")
    MOVED = "moved", _("Moved")
    SWAPPED = "swapped", _("Swapped")
    CANCELLED = "cancelled", _("Cancelled")
    REQUESTED = "requested", _("Asked for a meeting after registering")
    WAITLISTED = "waitlisted", _("Put on the waiting list")
    OFFERED = "offered", _("Offered a freed slot")
    OFFER_ACCEPTED = "offer_accepted", _("Offer accepted")
    OFFER_EXPIRED = "offer_expired", _("Offer expired")
    SLOTS_GENERATED = "slots_generated", _("Slots generated")


class EmailKind(models.TextChoices):
    """Kinds of email this app queues in the shared outbox."""

    INVITE = "meeting_invite", _("Meeting invitation")
    UPDATE = "meeting_update", _("Meeting changed")
    CANCEL = "meeting_cancel", _("Meeting cancelled")
    REMINDER_DAY = "meeting_reminder_day", _("Meeting reminder the day before")
    REMINDER_HOUR = "meeting_reminder_hour", _("Meeting reminder one hour before")
    OFFER = "meeting_offer", _("Freed slot offered")
    REQUEST = "meeting_request", _("Meeting asked for after registering")


class SupplierMeetingState(models.TextChoices):
    """Where a supplier's one-to-one meeting stands, as every page and email tells it
    (``meetings.selectors.meeting_status_for``)."""

    NOT_OFFERED = "not_offered", _("No one-to-one meetings at this conference")
    NOT_REQUESTED = "not_requested", _("Not requested")
    NOT_PUBLISHED = "not_published", _("Requested; the times are not published yet")
    AWAITING_ALLOCATION = "awaiting_allocation", _("Requested; waiting for the buyer to allocate")
    BOOKING_OPEN = "booking_open", _("Requested; choose a time")
    WAITING_LIST = "waiting_list", _("On the waiting list")
    OFFERED = "offered", _("A time is held for the supplier")
    BOOKED = "booked", _("Booked")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")
    BOOKING_CLOSED = "booking_closed", _("Requested; booking has closed without a meeting")
