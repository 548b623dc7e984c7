from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from conferences.models import Conference
from dialogkonferanse.common.db import TimeStampedModel
from dialogkonferanse.common.validators import validate_email_address, validate_single_line

from .choices import Country, Language
from .fields import OrganisationNumberField
from .tokens import new_session_secret
from .validators import validate_multiline_text, validate_phone, validate_supplier_identifiers


class Registration(TimeStampedModel):
    """A supplier's registration for one conference; reached by personal links
    (``PersonalLink``), any number of them, each sent in one email."""

    conference = models.ForeignKey(
        Conference,
        on_delete=models.PROTECT,
        related_name="registrations",
        verbose_name=_("conference"),
        db_index=False,  # the index on (conference, created_at) serves it
    )
    organisation_name = models.CharField(
        _("organisation"), max_length=200, validators=[validate_single_line]
    )
    country = models.CharField(
        _("country"), max_length=2, choices=Country.choices, default=Country.NO
    )
    organisation_number = OrganisationNumberField(
        _("organisation number"), max_length=9, blank=True
    )
    national_id = models.CharField(
        _("national or VAT identifier"),
        max_length=50,
        blank=True,
        validators=[validate_single_line],
    )
    contact_name = models.CharField(
        _("contact person"), max_length=200, validators=[validate_single_line]
    )
    email = models.EmailField(_("email"), max_length=254, validators=[validate_email_address])
    phone = models.CharField(
        _("phone"), max_length=40, blank=True, validators=[validate_single_line, validate_phone]
    )
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.NB
    )
    wants_one_to_one = models.BooleanField(_("wants a one-to-one meeting"), default=False)
    one_to_one_topics = models.TextField(
        _("topics for the one-to-one meeting"), blank=True, validators=[validate_multiline_text]
    )
    listed_publicly = models.BooleanField(_("listed in the participant list"), default=False)
    open_to_partnering = models.BooleanField(
        _("open to partnering or subcontracting"), default=False
    )
    privacy_acknowledged_at = models.DateTimeField(_("privacy notice acknowledged at"))
    # Binds the sessions opened with any of this registration's links. A new link (the supplier
    # asking again, or someone typing their address) leaves it alone, so open sessions go on;
    # revoking every link (staff, or the supplier's "sign out everywhere"), or anonymisation,
    # replaces it and ends every session.
    session_secret = models.CharField(max_length=32, default=new_session_secret, editable=False)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ("created_at", "pk")
        constraints = [
            models.UniqueConstraint(
                Lower("email"), "conference", name="registration_unique_email_per_conference"
            ),
        ]
        indexes = [
            models.Index(fields=["conference", "created_at"], name="registration_conf_created")
        ]

    def __str__(self) -> str:
        return f"{self.organisation_name} ({self.contact_name})"

    def clean(self) -> None:
        """A Norwegian supplier gives its organisation number (DOMAIN.md rules 5 and 6), a
        supplier from another country its national or VAT identifier (the public form asks for
        the one that fits); a supplier who wants a one-to-one meeting says which topics to
        raise. An anonymised registration keeps only what the record needs and is exempt."""
        super().clean()
        if self.anonymised_at is not None:
            return
        validate_supplier_identifiers(
            country=self.country,
            organisation_number=self.organisation_number,
            national_id=self.national_id,
        )
        if self.wants_one_to_one and not self.one_to_one_topics.strip():
            raise ValidationError(
                {
                    "one_to_one_topics": _(
                        "Tell the buyer which topics you want to raise in the meeting."
                    )
                }
            )

    @property
    def is_active(self) -> bool:
        return self.cancelled_at is None and self.anonymised_at is None


class PersonalLink(TimeStampedModel):
    """One personal entry link of a registration, as sent in one email.

    Only the SHA-256 of the token is stored. A registration has any number of links: a new one
    never ends the others. A link works until it is revoked (staff, or the supplier signing
    out everywhere), until ``expires_at``, and never after the end of the conference's
    retention period (``registrations.expiry``); anonymisation deletes the registration's links.
    """

    registration = models.ForeignKey(
        Registration,
        on_delete=models.CASCADE,  # a link is nothing without its registration
        related_name="personal_links",
        verbose_name=_("registration"),
        db_index=False,  # the index on (registration, created_at) serves it
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # Why the link was issued: the kind of email that carried it (free text, so every app's
    # email kinds fit without this app knowing them).
    purpose = models.CharField(_("sent with"), max_length=50, editable=False)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("personal link")
        verbose_name_plural = _("personal links")
        ordering = ("registration", "created_at", "pk")
        indexes = [
            models.Index(fields=["registration", "created_at"], name="personallink_reg_created")
        ]

    def __str__(self) -> str:
        return f"{self.purpose} ({self.created_at:%Y-%m-%d %H:%M})" if self.created_at else ""
