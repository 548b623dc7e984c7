"""When a conference's personal data is due for anonymisation, and so when its personal links
stop working (DOMAIN.md rule 12)."""

from __future__ import annotations

import datetime as dt

from conferences.models import Conference


def add_months(value: dt.datetime, months: int) -> dt.datetime:
    """``value`` plus whole calendar months (the 31st becomes the month's last day)."""
    month_index = value.month - 1 + months
    year, month = value.year + month_index // 12, month_index % 12 + 1
    for day in range(value.day, 27, -1):
        try:
            return value.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return value.replace(year=year, month=month, day=min(value.day, 28))


def retention_ends_at(conference: Conference) -> dt.datetime | None:
    """When the registrations' personal data is anonymised: ``retention_months`` after closing;
    ``None`` while the conference is not closed (the date is not known yet)."""
    if conference.closed_at is None:
        return None
    return add_months(conference.closed_at, conference.retention_months)
