"""CSV export of registrations for procurement staff, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from dialogkonferanse.common.spreadsheet import neutralise_cell
from dialogkonferanse.common.timefmt import oslo_iso

from .models import Registration


def _when(value: object) -> str:
    return oslo_iso(value, "minutes")


def registrations_csv(registrations: Iterable[Registration]) -> str:
    """One row per registration; times in Oslo with their offset (ISO 8601)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Conference"),
            _("Organisation"),
            _("Country"),
            _("Organisation number"),
            _("National or VAT identifier"),
            _("Contact person"),
            _("Email"),
            _("Phone"),
            _("Language"),
            _("One-to-one meeting"),
            _("Topics"),
            _("Listed publicly"),
            _("Open to partnering"),
            _("Registered"),
            pgettext("registration status", "Cancelled"),
        ]
    )
    yes, no = _("yes"), _("no")
    for r in registrations:
        writer.writerow(
            neutralise_cell(cell)
            for cell in (
                r.conference.title,
                r.organisation_name,
                r.country,
                r.organisation_number,
                r.national_id,
                r.contact_name,
                r.email,
                r.phone,
                r.language,
                yes if r.wants_one_to_one else no,
                r.one_to_one_topics,
                yes if r.listed_publicly else no,
                yes if r.open_to_partnering else no,
                _when(r.created_at),
                _when(r.cancelled_at),
            )
        )
    return out.getvalue()
