"""Domain signals of the conferences app: how it tells the apps built on it what happened
(ARCHITECTURE.md: one explicit signal per upward notification; no model signals).

The services send them inside their own transaction with ``send`` (never ``send_robust``): a
receiver that raises rolls the whole change back, and its exception reaches the caller.
Receivers raise ``conferences.exceptions.ConferenceError`` to refuse a change with a message
for the user.
"""

from __future__ import annotations

from django.dispatch import Signal

conference_status_changed = Signal()
"""A conference moved one lifecycle step; sent by ``transition_conference`` after the new status
is saved, with the conference row still locked (FOR UPDATE).

Keyword arguments: ``conference`` (the locked instance, new status saved), ``from_status`` and
``to_status`` (``ConferenceStatus``), ``actor`` (the staff member, or ``None``),
``remaining_meetings`` (a ``RemainingMeetings`` value, or ``""`` when staff gave no decision)
and ``now``.
"""
