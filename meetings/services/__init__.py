"""Everything that writes meetings: slots, bookings, moves, cancellations, the waiting list.

Split by concern; import from here. Lock order, everywhere: the meeting setup row (slot
generation, allocation, waiting-list positions), then registration rows (ascending id), then
the conference row FOR SHARE (a supplier's own actions), then the registration's own
waiting-list entry, then meeting rows, then slot rows; other suppliers' waiting-list entries
are only taken with SKIP LOCKED. A conference's status change holds its row FOR UPDATE and
then locks meetings (``settle_remaining_meetings``); reminders take the conference FOR SHARE,
then the meeting. The partial unique constraints on ``Meeting`` and the exclusion constraint
on ``Slot`` are the last guard; an ``IntegrityError`` becomes ``SlotTakenError``. Emails are
outbox rows written in the same transaction, so a change that rolls back sends nothing.
"""

from ._common import video_link
from .booking import (
    book_slot,
    book_time,
    cancel_meeting,
    cancel_meeting_by_staff,
    change_meeting,
    change_meeting_time,
    move_meeting,
    release_meeting_for_registration,
    settle_remaining_meetings,
    swap_meetings,
)
from .notifications import REMINDERS, send_meeting_reminders, send_pending_invitations
from .slots import GenerationResult, generate_slots, plan_slots
from .waiting import expire_offers, join_waiting_list
from .wishes import request_meeting

__all__ = [
    "REMINDERS",
    "GenerationResult",
    "book_slot",
    "book_time",
    "cancel_meeting",
    "cancel_meeting_by_staff",
    "change_meeting",
    "change_meeting_time",
    "expire_offers",
    "generate_slots",
    "join_waiting_list",
    "move_meeting",
    "plan_slots",
    "release_meeting_for_registration",
    "request_meeting",
    "send_meeting_reminders",
    "send_pending_invitations",
    "settle_remaining_meetings",
    "swap_meetings",
    "video_link",
]
