"""Oslo time as the product writes it, in one place (DOMAIN.md rule 14).

Times are stored in UTC and shown in ``TIME_ZONE`` (Europe/Oslo) the way each language
writes them: in Norwegian with the weekday and "kl." and a full stop between hours and minutes
(``lørdag 19. desember 2026 kl. 09.00\u201312.00``, Språkrådet's recommendation), in English
in British style (``Saturday 19 December 2026, 09:00\u201312:00``). The UTC offset is not
repeated after every time: a page or an email states it once (:func:`times_note`,
``Alle tider er norsk tid (UTC+1).``), naming both offsets when the times shown straddle a
daylight-saving change.

Durations (the countdown) are written out with plural forms (``13 dager 14 timer 25 minutter``).
Template filters, email subjects, the admin, exports and services' messages all format through
here. Imports only Django, so every layer may use it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

from django.utils import timezone
from django.utils.dateformat import format as django_format
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext, ngettext_lazy

EN_DASH = "\u2013"


class _Style:
    """How one language writes a day, a clock time and the two together."""

    def __init__(self, *, date: str, day: str, time: str, joiner: str) -> None:
        self.date = date  # weekday, day, month and year
        self.day = day  # weekday, day and month (a heading over a day's slots)
        self.time = time
        self.joiner = joiner  # between the date and the time


_NORWEGIAN = _Style(date="l j. F Y", day="l j. F", time="H.i", joiner=" \\k\\l. ")
_STYLES = {
    "nb": _NORWEGIAN,
    "nn": _NORWEGIAN,
    # British English: no "a.m.", no comma-less US month-first dates.
    "en": _Style(date="l j F Y", day="l j F", time="H:i", joiner=", "),
}


def _style() -> _Style:
    language = (get_language() or "nb").split("-")[0].lower()
    return _STYLES.get(language, _STYLES["en"])


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value)


def utc_offset(value: dt.datetime) -> str:
    """``UTC+01:00`` / ``UTC+02:00`` for an aware datetime already in local time (ISO style)."""
    offset = value.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"


def short_utc_offset(value: dt.datetime) -> str:
    """``UTC+1`` / ``UTC+2`` (``UTC+5:30`` for a part hour), as a reader says it."""
    offset = value.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{mins:02d}" if mins else "")


def oslo_text(value: dt.datetime | None, format_name: str | None = None) -> str:
    """``lørdag 19. desember 2026 kl. 09.00`` / ``Saturday 19 December 2026, 09:00``; ``""``
    for no value. A Django format name (``SHORT_DATETIME_FORMAT``, the admin's columns) uses
    that format instead."""
    if not value:
        return ""
    local = _local(value)
    if format_name:
        return date_format(local, format_name)
    style = _style()
    return django_format(local, style.date + style.joiner + style.time)


def oslo_date_text(value: dt.datetime | None, format_name: str | None = None) -> str:
    """The date in Oslo with its weekday (``lørdag 19. desember 2026``), no time."""
    if not value:
        return ""
    local = _local(value)
    if format_name:
        return date_format(local, format_name)
    return django_format(local, _style().date)


def oslo_day_text(value: dt.datetime | dt.date | None) -> str:
    """Weekday, day and month (``lørdag 19. desember`` / ``Saturday 19 December``): a heading
    over one day's times."""
    if not value:
        return ""
    local = _local(value) if isinstance(value, dt.datetime) else value
    return django_format(local, _style().day)


def oslo_time_text(value: dt.datetime | None) -> str:
    """The clock time alone (``09.00`` in Norwegian, ``09:00`` in English)."""
    if not value:
        return ""
    return django_format(_local(value), _style().time)


def oslo_span(start: dt.datetime | None, end: dt.datetime | None) -> str:
    """A span: within one day ``lørdag 19. desember 2026 kl. 09.00\u201312.00``; across days both
    dates, a spaced en dash between (``… kl. 09.00 \u2013 søndag 20. desember 2026 kl. 12.00``)."""
    if not start:
        return ""
    if not end:
        return oslo_text(start)
    if _local(start).date() == _local(end).date():
        return f"{oslo_text(start)}{EN_DASH}{oslo_time_text(end)}"
    return f"{oslo_text(start)} {EN_DASH} {oslo_text(end)}"


# A meeting slot is a span; the name stays for the templates that use it.
oslo_short_span = oslo_span


def oslo_offset(value: dt.datetime | None) -> str:
    """The offset Oslo has at ``value`` (``UTC+1`` in winter, ``UTC+2`` in summer)."""
    return short_utc_offset(_local(value)) if value else ""


def oslo_iso(value: dt.datetime | None, timespec: str = "minutes") -> str:
    """ISO 8601 in Oslo time with its offset, for spreadsheets and ``<time datetime>``."""
    return _local(value).isoformat(timespec=timespec) if value else ""


def _datetimes(values: Iterable[object], attr: str | None = None) -> list[dt.datetime]:
    """Datetimes out of the arguments: datetimes, objects with ``attr`` (or else
    ``starts_at``/``ends_at``: slots, agenda items, conferences), or iterables of these;
    ``None`` is skipped."""
    found: list[dt.datetime] = []
    for value in values:
        if value is None or isinstance(value, str | bytes):
            continue
        if isinstance(value, dt.datetime):
            found.append(value)
        elif isinstance(value, dt.date):
            continue
        elif attr and (hasattr(value, attr) or isinstance(value, dict)):
            found.extend(_datetimes([_get(value, attr)]))
        elif hasattr(value, "starts_at"):
            found.extend(_datetimes([value.starts_at, getattr(value, "ends_at", None)]))
        elif isinstance(value, Iterable):
            found.extend(_datetimes(value, attr))
    return found


def _get(value: object, attr: str) -> object:
    return value.get(attr) if isinstance(value, dict) else getattr(value, attr, None)


def _change_between(before: dt.datetime, after: dt.datetime) -> dt.datetime:
    """The moment Oslo's offset changes between two instants with different offsets (to the
    minute; zoneinfo does not list its transitions)."""
    low, high = before, after
    old = _local(before).utcoffset()
    while high - low > dt.timedelta(minutes=1):
        middle = low + (high - low) / 2
        if _local(middle).utcoffset() == old:
            low = middle
        else:
            high = middle
    return high


def times_note(*values: object, attr: str | None = None) -> str:
    """The line stated once per page or email: ``Alle tider er norsk tid (UTC+1).``; with two
    offsets among the times shown (a daylight-saving change between them) both, and the date
    of the change. ``values`` as for :func:`_datetimes`; ``attr`` names the time of each
    object in a list (``attr="when"``)."""
    instants = sorted(_datetimes(values, attr))
    if not instants:
        return gettext("All times are Norwegian time.")
    # One entry per run of the same offset, in time order.
    runs: list[tuple[dt.datetime, dt.datetime]] = []  # (first, last) of each run
    for instant in instants:
        if runs and _local(runs[-1][1]).utcoffset() == _local(instant).utcoffset():
            runs[-1] = (runs[-1][0], instant)
        else:
            runs.append((instant, instant))
    if len(runs) == 1:
        return gettext("All times are Norwegian time (%(offset)s).") % {
            "offset": oslo_offset(instants[0])
        }
    if len(runs) == 2:
        change = _local(_change_between(runs[0][1], runs[1][0]))
        return gettext(
            "All times are Norwegian time: %(before)s before %(date)s, %(after)s from %(date)s."
        ) % {
            "before": oslo_offset(runs[0][0]),
            "after": oslo_offset(runs[1][0]),
            "date": django_format(change, "j. F Y" if _style() is _NORWEGIAN else "j F Y"),
        }
    return gettext("All times are Norwegian time (UTC+1 in winter, UTC+2 in summer).")


# --- Durations ------------------------------------------------------------------------------

DURATION_UNITS = {
    "day": ngettext_lazy("%(count)s day", "%(count)s days", "count"),
    "hour": ngettext_lazy("%(count)s hour", "%(count)s hours", "count"),
    "minute": ngettext_lazy("%(count)s minute", "%(count)s minutes", "count"),
    "second": ngettext_lazy("%(count)s second", "%(count)s seconds", "count"),
}


def duration_text(seconds: int | float) -> str:
    """``13 dager 14 timer 25 minutter``: days, hours and minutes written out; seconds only
    under a day (a countdown's last day ticks)."""
    left = max(int(seconds), 0)
    days, rest = divmod(left, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if days:
        parts.append(DURATION_UNITS["day"] % {"count": days})
    if days or hours:
        parts.append(DURATION_UNITS["hour"] % {"count": hours})
    parts.append(DURATION_UNITS["minute"] % {"count": minutes})
    if not days:
        parts.append(DURATION_UNITS["second"] % {"count": secs})
    return " ".join(parts)


class _Slot(int):
    """A count that prints as ``{n}``: picks the plural form of its value, leaves a slot the
    browser fills in."""

    def __str__(self) -> str:
        return "{n}"


def plural_forms(phrase: object) -> list[str]:
    """The one and the many form of a ``ngettext_lazy(..., "count")`` phrase with ``{n}`` for
    the number (``["{n} dag", "{n} dager"]``). Bokmål, Nynorsk and English all use form one
    for 1 only, so these two forms are all a script needs."""
    return [phrase % {"count": _Slot(1)}, phrase % {"count": _Slot(2)}]  # type: ignore[operator]


def duration_units_json() -> str:
    """The duration units for a script, as JSON: ``{"day": ["{n} dag", "{n} dager"], …}``."""
    return json.dumps(
        {unit: plural_forms(phrase) for unit, phrase in DURATION_UNITS.items()},
        ensure_ascii=False,
    )
