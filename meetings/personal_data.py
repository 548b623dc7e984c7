"""The one-to-one meetings' part of the personal-data registry: meetings with their minutes,
waiting-list places and the meeting log. Registered in ``MeetingsConfig.ready()``."""

from __future__ import annotations

from typing import Any

from dialogkonferanse.personal_data import (
    Anonymisation,
    PersonalDataHandler,
    export_row,
    scrub_rows,
)
from registrations.models import Registration

from .models import Meeting, MeetingEvent, Minutes, WaitingListEntry


class MeetingsHandler(PersonalDataHandler):
    """Minutes and the meeting log lose the person's values in their text; meetings and
    waiting-list places hold only ids, times and statuses and stay as they are."""

    identifier = "meetings"
    order = 30
    models = (Meeting, Minutes, WaitingListEntry, MeetingEvent)

    def export(self, registration: Registration) -> dict[str, Any]:
        meetings = Meeting.objects.filter(registration=registration).select_related(
            "slot", "slot__team"
        )
        minutes = {m.meeting_id: m for m in Minutes.objects.filter(meeting__in=meetings)}
        return {
            "meetings": [
                {
                    **export_row(m, exclude=("registration", "conference")),
                    "starts_at": m.slot.starts_at.isoformat(),
                    "ends_at": m.slot.ends_at.isoformat(),
                    "team": m.slot.team.name,
                    "minutes": (
                        export_row(minutes[m.pk], exclude=("meeting",)) if m.pk in minutes else None
                    ),
                }
                for m in meetings.order_by("slot__starts_at", "pk")
            ],
            "waiting_list": [
                export_row(w, exclude=("registration", "conference"))
                for w in WaitingListEntry.objects.filter(registration=registration)
            ],
            "meeting_log": [
                export_row(e, exclude=("registration", "conference"))
                for e in MeetingEvent.objects.filter(registration=registration)
            ],
        }

    def anonymise(self, registration: Registration, run: Anonymisation) -> None:
        scrub_rows(
            Minutes.objects.filter(meeting__registration_id=registration.pk),
            # Every language's public summary (meetings/translation.py), not just the active one.
            (
                "internal_notes",
                "business_secret_passages",
                "public_summary",
                "public_summary_nb",
                "public_summary_nn",
                "public_summary_en",
            ),
            run.scrubber,
        )
        scrub_rows(
            MeetingEvent.objects.filter(registration_id=registration.pk), ("details",), run.scrubber
        )


def register_handlers(sender: Any, **kwargs: Any) -> list[type[PersonalDataHandler]]:
    return [MeetingsHandler]
