"""The registration's own part of the personal-data registry: the person's fields on the row,
their personal links and sessions. Registered in ``RegistrationsConfig.ready()``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dialogkonferanse.models import AuditEntry
from dialogkonferanse.personal_data import (
    ANONYMISED,
    Anonymisation,
    PersonalDataHandler,
    export_row,
)

from .models import PersonalLink, Registration
from .tokens import new_session_secret

# Fields of a registration that describe the person, not the company.
PERSONAL_FIELDS = ("contact_name", "email", "phone", "one_to_one_topics")
# Those that identify the person wherever they are copied (the topics are free text).
IDENTIFYING_FIELDS = ("contact_name", "email", "phone")


def anonymised_email(registration_id: int) -> str:
    return f"anonymised-{registration_id}@invalid"


class RegistrationHandler(PersonalDataHandler):
    """The registration row keeps the company facts, choices and times; the person goes."""

    identifier = "registrations"
    order = 0  # first: the other handlers see the anonymised row and its new address
    # Personal links hold no personal data beyond whose they are; anonymising deletes them.
    models = (Registration, PersonalLink)
    personal_fields = PERSONAL_FIELDS

    def identifying_values(self, registration: Registration) -> Iterable[str]:
        values = [getattr(registration, field) for field in IDENTIFYING_FIELDS]
        # Earlier values (a corrected name or address), as the audit log remembers them.
        for changes in AuditEntry.objects.filter(registration_id=registration.pk).values_list(
            "changes", flat=True
        ):
            for field in IDENTIFYING_FIELDS:
                pair = (changes or {}).get(field)
                if isinstance(pair, list):
                    values.extend(v for v in pair if isinstance(v, str) and v != ANONYMISED)
        return values

    def export(self, registration: Registration) -> dict[str, Any]:
        return {
            "registration": export_row(registration),
            "conference": {
                "id": registration.conference_id,
                "title": registration.conference.title,
                "slug": registration.conference.slug,
            },
            # When each link was sent, used, revoked; never the token's hash.
            "personal_links": [
                export_row(link, exclude=("registration",))
                for link in registration.personal_links.order_by("created_at", "pk")
            ],
        }

    def anonymise(self, registration: Registration, run: Anonymisation) -> None:
        registration.contact_name = ANONYMISED
        registration.email = anonymised_email(registration.pk)
        registration.phone = ""
        registration.one_to_one_topics = ""
        # Every personal link is gone and every signed-in session ends.
        PersonalLink.objects.filter(registration=registration).delete()
        registration.session_secret = new_session_secret()
        registration.anonymised_at = run.now
        registration.save()


def register_handlers(sender: Any, **kwargs: Any) -> list[type[PersonalDataHandler]]:
    return [RegistrationHandler]
