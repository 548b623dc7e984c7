"""Demo registrations for ``make run``. Idempotent: existing demo suppliers are not duplicated."""

from __future__ import annotations

from conferences.models import Conference

from .exceptions import RegistrationError
from .links import personal_link
from .models import Registration
from .services import SupplierDetails, register_supplier, reissue_access_link

DEMO_SUPPLIERS = (
    SupplierDetails(
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
        organisation_name="Havdata Nynorsk AS (demo)",
        country="NO",
        organisation_number="974760673",
        contact_name="Ola Nordmann",
        email="ola@havdata.example",
        language="nn",
        listed_publicly=True,
    ),
    SupplierDetails(
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


def seed_registrations(conference: Conference) -> list[tuple[str, str]]:
    """Register the demo suppliers once; returns ``(organisation, personal link)`` pairs.

    New registrations get their confirmation email (in the embedded default: a file and the
    console). On later runs the first demo supplier gets a fresh link, so the console always
    shows one that works.
    """
    links: list[tuple[str, str]] = []
    for details in DEMO_SUPPLIERS:
        if Registration.objects.filter(conference=conference, email__iexact=details.email).exists():
            continue
        try:
            receipt = register_supplier(conference_id=conference.pk, details=details)
        except RegistrationError:
            return links  # registration is not open for the demo conference (any more)
        links.append((details.organisation_name, personal_link(receipt.token)))
    if not links:
        first = Registration.objects.filter(
            conference=conference, email__iexact=DEMO_SUPPLIERS[0].email
        ).first()
        if first is not None and first.anonymised_at is None:
            token = reissue_access_link(registration_id=first.pk)
            links.append((first.organisation_name, personal_link(token)))
    return links
