"""Demo meetings for ``make run``: a setup with two teams, slots, and a few meetings. Idempotent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower

from conferences.models import Conference
from registrations.models import Registration

from .choices import AllocationMode, MeetingStatus, VideoProvider
from .exceptions import MeetingError
from .models import Meeting, MeetingSettings, MeetingWindow, Slot, Team
from .services import book_slot, generate_slots

OSLO = ZoneInfo("Europe/Oslo")
DEMO_AGENDA = (
    "1. Leverandøren presenterer seg og sin løsning (10 min)\n"
    "2. Spørsmål fra innkjøpsteamet om behovet (10 min)\n"
    "3. Leverandørens innspill til konkurransen (10 min)"
)
DEMO_AGENDA_NN = (
    "1. Leverandøren presenterer seg og løysinga si (10 min)\n"
    "2. Spørsmål frå innkjøpsteamet om behovet (10 min)\n"
    "3. Innspel frå leverandøren til konkurransen (10 min)"
)
DEMO_AGENDA_EN = (
    "1. The supplier presents itself and its solution (10 min)\n"
    "2. Questions from the procurement team about the need (10 min)\n"
    "3. The supplier's input on the competition (10 min)"
)


def seed_meetings(conference: Conference, *, emails: Collection[str]) -> int:
    """Set up meetings the day after the demo conference and book the demo's own opted-in
    suppliers, the registrations with one of ``emails`` (the demo's fixed addresses): a
    supplier registered by hand is never booked.

    Returns how many meetings were booked now. Safe to run again, and then changes nothing and
    sends no email: the setup and its slots are created once, and a supplier who has had any
    meeting (booked, or since cancelled) is skipped.
    """
    if not conference.offers_one_to_one:
        return 0
    with transaction.atomic():
        settings_row, created = MeetingSettings.objects.get_or_create(
            conference=conference,
            defaults={
                "slot_minutes": 30,
                "buffer_minutes": 10,
                "agenda_nb": DEMO_AGENDA,
                "agenda_nn": DEMO_AGENDA_NN if conference.offers_nn else None,
                "agenda_en": DEMO_AGENDA_EN if conference.offers_en else None,
                "booking_deadline": conference.ends_at,
                "allocation_mode": AllocationMode.SELF_SERVICE,
                "video_provider": VideoProvider.JITSI,
            },
        )
        if not created and settings_row.agenda_nb == DEMO_AGENDA:
            # A demo set up before the agenda was translated: add the other languages.
            MeetingSettings.objects.filter(pk=settings_row.pk, agenda_nn__isnull=True).update(
                agenda_nn=DEMO_AGENDA_NN if conference.offers_nn else None,
                agenda_en=DEMO_AGENDA_EN if conference.offers_en else None,
            )
        if created:
            day = conference.starts_at.astimezone(OSLO).date() + dt.timedelta(days=1)
            MeetingWindow.objects.bulk_create(
                [
                    MeetingWindow(
                        meeting_settings=settings_row,
                        date=day,
                        start_time=dt.time(9),
                        end_time=dt.time(11, 30),
                    ),
                    MeetingWindow(
                        meeting_settings=settings_row,
                        date=day,
                        start_time=dt.time(12, 30),
                        end_time=dt.time(15),
                    ),
                ]
            )
            Team.objects.bulk_create(
                [
                    Team(meeting_settings=settings_row, name="Team Farled"),
                    Team(meeting_settings=settings_row, name="Team Sensor"),
                ]
            )
    if created or not Slot.objects.filter(conference=conference).exists():
        generate_slots(conference_id=conference.pk)
    booked = 0
    waiting = (
        Registration.objects.annotate(address=Lower("email"))
        .filter(
            conference=conference,
            address__in=[email.lower() for email in emails],
            wants_one_to_one=True,
            cancelled_at__isnull=True,
            anonymised_at__isnull=True,
        )
        .exclude(Exists(Meeting.objects.filter(registration=OuterRef("pk"))))
    )
    taken = Meeting.objects.filter(status=MeetingStatus.BOOKED).values("slot_id")
    for registration in waiting.order_by("created_at", "pk"):
        # Every other slot, so the demo's booking page still shows free times.
        slot = (
            Slot.objects.filter(conference=conference)
            .exclude(pk__in=taken)
            .order_by("starts_at", "team__name", "pk")[2 * booked : 2 * booked + 1]
            .first()
        )
        if slot is None:
            break
        try:
            book_slot(registration_id=registration.pk, slot_id=slot.pk)
        except MeetingError:
            continue
        booked += 1
    return booked
