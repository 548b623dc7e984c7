"""Personal entry links: each email that leads to a personal page carries its own link, which
signs the browser in (``access.grant_access``) and opens the page the email is about.

A new link never ends the others: only revoking (staff, or the supplier signing out
everywhere: ``services.revoke_personal_links``) or the end of the retention period does. The
token exists only in memory and in the sent email; the row keeps its SHA-256. Other apps issue
links through ``issue_entry_link`` and pass ``EntryLink.token`` as the email's secret, so the
outbox keeps only redacted bodies.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils import timezone

from .expiry import retention_ends_at
from .links import absolute
from .models import PersonalLink, Registration
from .tokens import new_token

# The pages an entry link may open, by name: the link's address names one of these, never an
# address, so a link cannot send anyone off the supplier's own pages.
ENTRY_TARGETS = {
    "personal": "registrations:personal",
    "stream": "qa:stream",
    "meeting": "meetings:booking",
}
DEFAULT_TARGET = "personal"


@dataclass(frozen=True)
class EntryLink:
    """A link just issued: ``url`` (the page it was issued for) and ``url_for`` (another of
    the supplier's pages, same link) carry the token; never store or log any of them."""

    token: str = field(repr=False)
    target: str = DEFAULT_TARGET

    @property
    def url(self) -> str:
        return self.url_for(self.target)

    def url_for(self, target: str) -> str:
        return absolute(entry_path(self.token, target=target))


def entry_path(token: str, *, target: str = DEFAULT_TARGET) -> str:
    """The site path of an entry link opening ``target`` (one of ``ENTRY_TARGETS``)."""
    if target not in ENTRY_TARGETS:  # a programming error, not user input
        raise ValueError(f"Unknown entry target {target!r}.")
    if target == DEFAULT_TARGET:
        return reverse("registrations:access", kwargs={"token": token})
    return reverse("registrations:access_to", kwargs={"token": token, "target": target})


def target_path(registration: Registration, *, target: str) -> str:
    """Where an entry link for ``target`` lands (no token in it); the personal page for a
    target that is not one of ``ENTRY_TARGETS``."""
    name = ENTRY_TARGETS.get(target, ENTRY_TARGETS[DEFAULT_TARGET])
    return reverse(name, kwargs={"slug": registration.conference.slug})


def issue_entry_link(
    *,
    registration: Registration,
    purpose: str,
    target: str = DEFAULT_TARGET,
) -> EntryLink:
    """Add a personal link to ``registration`` (its other links keep working) and return its
    address (``.url``, opening ``target``).

    Call it inside the transaction that queues the email carrying the link (a rollback then
    leaves no link), and give the email ``secrets=[link.token]``. ``purpose`` (the email's
    kind) is shown to staff. The link expires with the conference's retention period, if it is
    already known (the conference is closed); otherwise the check at use covers it.
    Lock: none (an insert; the token's unique index).
    """
    token, digest = new_token()
    PersonalLink.objects.create(
        registration=registration,
        token_hash=digest,
        purpose=str(purpose)[:50],
        expires_at=retention_ends_at(registration.conference),
    )
    return EntryLink(token=token, target=target)


def record_link_use(*, link_id: int, now: dt.datetime | None = None) -> None:
    """Remember when the link was last opened (staff see it). Lock: none (one UPDATE)."""
    PersonalLink.objects.filter(pk=link_id).update(last_used_at=now or timezone.now())
