"""Demo registrations for ``make run``. Idempotent: existing demo suppliers are not duplicated."""

from __future__ import annotations

from django.db import transaction

from conferences.models import Conference

from .entry_links import issue_entry_link
from .exceptions import RegistrationError
from .links import personal_link
from .models import Registration
from .services import SupplierDetails, register_supplier

# The purpose staff see on a link the demo issued without an email (``PersonalLink.purpose``).
DEMO_LINK_PURPOSE = "demo"

DEMO_SUPPLIERS = (
    SupplierDetails(
        privacy_acknowledged=True,  # the demo's suppliers ticked the box
        organisation_name="Fjordsensor AS (demo)",
        country="NO",
        organisation_number="123456785",
        contact_name="Kari Nordmann",
        email="kari@fjordsensor.example",
        phone="+47 400 00 000",
        language="nb",
        wants_one_to_one=True,
        one_to_one_topics="Sensorer på bøyer og dekning langs kysten.",
        listed_publicly=True,
        open_to_partnering=True,
    ),
    SupplierDetails(
        privacy_acknowledged=True,  # the demo's suppliers ticked the box
        organisation_name="Havdata Nynorsk AS (demo)",
        country="NO",
        organisation_number="974760673",
        contact_name="Ola Nordmann",
        email="ola@havdata.example",
        language="nn",
        listed_publicly=True,
    ),
    SupplierDetails(
        privacy_acknowledged=True,  # the demo's suppliers ticked the box
        organisation_name="Baltic Maritime Systems AB (demo)",
        country="SE",
        national_id="SE556000000001",
        contact_name="Anna Svensson",
        email="anna@balticmaritime.example",
        language="en",
        listed_publicly=True,
        open_to_partnering=True,
    ),
)
# How the demo's own suppliers are told from anyone registered by hand: their fixed addresses.
DEMO_EMAILS = tuple(details.email for details in DEMO_SUPPLIERS)


def seed_registrations(conference: Conference) -> list[tuple[str, str]]:
    """Register the demo suppliers once; returns ``(organisation, personal link)`` pairs, one
    for each demo supplier registered, on every run.

    A new registration gets its confirmation email (in the embedded default: a file and the
    console) and its pair carries the link from that email. Only a link's hash is stored, so a
    demo supplier registered on an earlier run gets one more link, issued without any email
    (shown to staff as sent with ``demo``): running the demo again sends nothing and changes
    none of its registrations.
    """
    links: list[tuple[str, str]] = []
    for details in DEMO_SUPPLIERS:
        registration = Registration.objects.filter(
            conference=conference, email__iexact=details.email
        ).first()
        if registration is None:
            try:
                receipt = register_supplier(conference_id=conference.pk, details=details)
            except RegistrationError:
                continue  # registration is not open for the demo conference (any more)
            links.append((details.organisation_name, personal_link(receipt.token)))
        elif registration.anonymised_at is None:
            with transaction.atomic():
                link = issue_entry_link(registration=registration, purpose=DEMO_LINK_PURPOSE)
            links.append((registration.organisation_name, personal_link(link.token)))
    return links
