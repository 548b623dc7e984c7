"""Real PostgreSQL, real threads: many suppliers book one slot at the same instant."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.utils import translation

from dialogkonferanse.models import OutboundEmail
from meetings.exceptions import SlotTakenError
from meetings.models import Meeting, Slot
from meetings.services import book_slot, book_time

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8


def test_book_slot_race_for_one_slot_has_exactly_one_winner(meeting_settings, supplier_factory):
    slot = Slot.objects.filter(conference=meeting_settings.conference).order_by("pk").first()
    suppliers = [supplier_factory() for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(registration_id: int) -> None:
        try:
            barrier.wait(timeout=10)
            try:
                book_slot(registration_id=registration_id, slot_id=slot.pk)
                result = "won"
            except SlotTakenError:
                result = "taken"
            with lock:
                outcomes.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(s.pk,)) for s in suppliers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["taken"] * (THREADS - 1) + ["won"]
    [meeting] = Meeting.objects.filter(slot=slot)
    assert meeting.is_booked
    assert OutboundEmail.objects.count() == 1
    assert OutboundEmail.objects.get().registration_id == meeting.registration_id


def test_book_slot_race_same_supplier_two_slots_gets_one_meeting(
    meeting_settings, supplier_factory
):
    first, second = Slot.objects.filter(conference=meeting_settings.conference).order_by("pk")[:2]
    supplier = supplier_factory()
    barrier = threading.Barrier(2)
    errors: list[str] = []

    def attempt(slot_id: int) -> None:
        try:
            barrier.wait(timeout=10)
            try:
                book_slot(registration_id=supplier.pk, slot_id=slot_id)
            except Exception as exc:
                errors.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(s.pk,)) for s in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert Meeting.objects.filter(registration=supplier).count() == 1
    assert errors == ["MeetingError"]


def test_book_time_race_gives_one_winner_per_free_team(meeting_settings, supplier_factory):
    """Two teams at the first time: of eight suppliers choosing it at once, exactly two get a
    meeting (one per team, the service choosing the team under lock), six are told it is
    taken."""
    first = (
        Slot.objects.filter(conference=meeting_settings.conference).order_by("starts_at").first()
    )
    at_that_time = set(
        Slot.objects.filter(
            conference=meeting_settings.conference, starts_at=first.starts_at
        ).values_list("pk", flat=True)
    )
    suppliers = [supplier_factory() for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(registration_id: int) -> None:
        try:
            barrier.wait(timeout=10)
            translation.activate("en")
            try:
                book_time(registration_id=registration_id, starts_at=first.starts_at)
                result = "won"
            except SlotTakenError as exc:
                result = "taken" if "That time was just taken" in str(exc) else str(exc)
            with lock:
                outcomes.append(result)
        finally:
            translation.deactivate()
            connection.close()

    threads = [threading.Thread(target=attempt, args=(s.pk,)) for s in suppliers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(at_that_time) == 2
    assert sorted(outcomes) == ["taken"] * (THREADS - 2) + ["won"] * 2
    booked = Meeting.objects.filter(status="booked")
    assert set(booked.values_list("slot_id", flat=True)) == at_that_time
    assert OutboundEmail.objects.count() == 2
