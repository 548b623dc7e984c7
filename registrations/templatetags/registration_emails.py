"""Plain-text date filters for emails: Oslo time, the offset stated once (DOMAIN.md rule 14).

The formatting itself lives in ``dialogkonferanse.common.timefmt``; this library names it for
templates.
"""

from __future__ import annotations

from django import template

from dialogkonferanse.common import timefmt

register = template.Library()

# ``lørdag 19. desember 2026 kl. 09.00``, for subjects and text bodies.
register.filter("oslo_text", timefmt.oslo_text)
register.filter("oslo_time_text", timefmt.oslo_time_text)
# Start and end in Oslo time, en dash between; the end date only when it differs.
register.filter("oslo_span", timefmt.oslo_span)
# The email's one line about the offset: ``Alle tider er norsk tid (UTC+1).``
register.simple_tag(timefmt.times_note, name="oslo_times_note")
