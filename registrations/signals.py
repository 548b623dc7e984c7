"""Domain signals of the registrations app: how it tells the apps built on it what happened
(ARCHITECTURE.md: one explicit signal per upward notification; no model signals).

The services send them inside their own transaction with ``send`` (never ``send_robust``): a
receiver that raises rolls the whole change back, and its exception reaches the caller.
"""

from __future__ import annotations

from django.dispatch import Signal

registration_cancelled = Signal()
"""A supplier cancelled a registration; sent by ``cancel_registration`` after ``cancelled_at``
is saved, with the registration row still locked (FOR UPDATE). Not sent when the registration
was already cancelled.

Keyword arguments: ``registration`` (the locked instance, ``cancelled_at`` saved) and ``now``
(the time of the cancellation). Receivers give up what the registration held (the meetings
app: its one-to-one meeting and waiting-list place).
"""
