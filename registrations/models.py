from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from conferences.models import Conference
from dialogkonferanse.common.db import TimeStampedModel
from dialogkonferanse.common.validators import validate_email_address, validate_single_line

from .choices import Country, Language
from .fields import OrganisationNumberField
from .tokens import new_session_secret
from .validators import validate_supplier_identifiers


class Registration(TimeStampedModel):
    """A supplier's registration for one conference; reached by a personal link (token).

    Only the SHA-256 of the token is stored; ``token_hash`` is null while no link is valid.
    """

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
    national_id = models.CharField(_("national or VAT identifier"), max_length=50, blank=True)
    contact_name = models.CharField(
        _("contact person"), max_length=200, validators=[validate_single_line]
    )
    email = models.EmailField(_("email"), max_length=254, validators=[validate_email_address])
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.NB
    )
    wants_one_to_one = models.BooleanField(_("wants a one-to-one meeting"), default=False)
    one_to_one_topics = models.TextField(_("topics for the one-to-one meeting"), blank=True)
    listed_publicly = models.BooleanField(_("listed in the participant list"), default=False)
    open_to_partnering = models.BooleanField(
        _("open to partnering or subcontracting"), default=False
    )
    privacy_acknowledged_at = models.DateTimeField(_("privacy notice acknowledged at"))
    # Null, not "", while no link is valid: the partial unique constraint skips nulls.
    token_hash = models.CharField(max_length=64, null=True, blank=True, editable=False)  # noqa: DJ001
    token_issued_at = models.DateTimeField(_("link issued at"), null=True, editable=False)
    # Binds the sessions opened with any of this registration's links. A new link (the supplier
    # asking again, or someone typing their address) leaves it alone, so open sessions go on;
    # staff withdrawing access, or anonymisation, replaces it and ends every session.
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
            models.UniqueConstraint(
                fields=["token_hash"],
                condition=Q(token_hash__isnull=False),
                name="registration_unique_token_hash",
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
        the one that fits). An anonymised registration keeps only what the record needs and is
        exempt."""
        super().clean()
        if self.anonymised_at is None:
            validate_supplier_identifiers(
                country=self.country,
                organisation_number=self.organisation_number,
                national_id=self.national_id,
            )

    @property
    def is_active(self) -> bool:
        return self.cancelled_at is None and self.anonymised_at is None
