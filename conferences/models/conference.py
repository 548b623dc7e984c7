from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dialogkonferanse.common.db import HttpsURLField, TimeStampedModel
from dialogkonferanse.common.translations import unoffered_language_errors
from dialogkonferanse.common.validators import validate_email_address, validate_single_line

from ..choices import PUBLIC_STATUSES, ConferenceStatus, StreamProvider
from ..validators import validate_notice_reference, validate_organisation_number

https_only = URLValidator(schemes=["https"], message=_("Enter a valid https:// address."))


def default_dialogue_rules() -> str:
    """Editable legal text prefilled for a new conference (the procurement act is being revised)."""
    return gettext(
        "The market dialogue is held under the Public Procurement Act and the Public "
        "Procurement Regulations, including the principles of equal treatment, transparency "
        "and proportionality. Everything the buyer tells one supplier is published to all. "
        "Information you give us may be released under the Freedom of Information Act; "
        "mark any business secrets when you give it."
    )


def default_dialogue_rules_nb() -> str:
    """The prefilled legal text in Bokmål, for the Bokmål field whatever the editor's language."""
    with translation.override("nb"):
        return default_dialogue_rules()


class BuyerOrganisation(TimeStampedModel):
    """The public buyer that holds conferences; its links appear in every page footer."""

    name = models.CharField(
        _("name"), max_length=200, unique=True, validators=[validate_single_line]
    )
    organisation_number = models.CharField(
        _("organisation number"),
        max_length=9,
        blank=True,
        validators=[validate_organisation_number],
        help_text=_("Nine digits, no spaces."),
    )
    website = HttpsURLField(_("website"), blank=True, validators=[https_only])
    accessibility_statement_url = HttpsURLField(
        _("accessibility statement"),
        validators=[https_only],
        help_text=_(
            "The buyer's own accessibility statement (required by law), shown in the footer."
        ),
    )
    privacy_url = HttpsURLField(
        _("privacy policy"),
        blank=True,
        validators=[https_only],
        help_text=_("Leave empty to link to this service's own privacy notice."),
    )
    contact_email = models.EmailField(_("contact email"), validators=[validate_email_address])
    email_signature = models.TextField(
        _("email signature"),
        blank=True,
        help_text=_("Closes every email sent on the buyer's behalf."),
    )

    class Meta:
        verbose_name = _("buyer organisation")
        verbose_name_plural = _("buyer organisations")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class ConferenceQuerySet(models.QuerySet["Conference"]):
    def public(self) -> ConferenceQuerySet:
        return self.filter(status__in=PUBLIC_STATUSES)


class Conference(TimeStampedModel):
    """A market-dialogue conference held before a tender, with a lifecycle (DOMAIN.md rule 1)."""

    buyer = models.ForeignKey(
        BuyerOrganisation,
        on_delete=models.PROTECT,
        related_name="conferences",
        verbose_name=_("buyer organisation"),
    )
    title = models.CharField(_("title"), max_length=200, validators=[validate_single_line])
    slug = models.SlugField(
        _("address name"),
        max_length=80,
        unique=True,
        help_text=_("Used in the page address; letters, digits and hyphens."),
    )
    summary = models.CharField(
        _("summary"), max_length=300, help_text=_("One or two sentences shown in lists.")
    )
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    registration_opens_at = models.DateTimeField(_("registration opens at"))
    registration_closes_at = models.DateTimeField(_("registration closes at"))
    stream_provider = models.CharField(
        _("stream provider"), max_length=20, choices=StreamProvider.choices, blank=True
    )
    stream_url = HttpsURLField(
        _("stream address"),
        max_length=500,
        blank=True,
        validators=[https_only],
        help_text=_("Embed or watch address of the stream; the player loads only after a click."),
    )
    fallback_stream_url = HttpsURLField(
        _("fallback stream address"),
        max_length=500,
        blank=True,
        validators=[https_only],
        help_text=_("Shown on the stream page in case the main player fails on the day."),
    )
    offers_one_to_one = models.BooleanField(_("offers one-to-one meetings"), default=False)
    # Languages offered: Bokmål always; Nynorsk and English when the buyer writes them too.
    offers_nn = models.BooleanField(
        _("content in Nynorsk"),
        default=False,
        help_text=_("The conference's texts are also written in Nynorsk."),
    )
    offers_en = models.BooleanField(
        _("content in English"),
        default=False,
        help_text=_("The conference's texts are also written in English."),
    )
    dialogue_rules = models.TextField(
        _("dialogue rules and legal references"),
        default=default_dialogue_rules,
        help_text=_("Shown to suppliers before they register. Editable, as the law changes."),
    )
    contact_email = models.EmailField(_("contact email"), validators=[validate_email_address])
    retention_months = models.PositiveSmallIntegerField(
        _("personal data kept for (months after closing)"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text=_(
            "After this many months from closing, the suppliers' personal data is anonymised; "
            "company names and all counts stay for the procurement record."
        ),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ConferenceStatus.choices,
        default=ConferenceStatus.DRAFT,
        editable=False,
    )
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    calendar_uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    calendar_sequence = models.PositiveIntegerField(default=0, editable=False)

    objects = ConferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("conference")
        verbose_name_plural = _("conferences")
        ordering = ("-starts_at",)
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="conference_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(registration_closes_at__gt=F("registration_opens_at")),
                name="conference_registration_window_ordered",
            ),
            models.CheckConstraint(
                condition=Q(registration_closes_at__lte=F("ends_at")),
                name="conference_registration_closes_by_end",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ConferenceStatus.values), name="conference_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "starts_at"], name="conference_status_start")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("conferences:detail", kwargs={"slug": self.slug})

    def clean(self) -> None:
        errors: dict[str, list[ValidationError]] = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors.setdefault("ends_at", []).append(
                ValidationError(_("The conference must end after it starts."), code="end_order")
            )
        opens, closes = self.registration_opens_at, self.registration_closes_at
        if opens and closes and closes <= opens:
            errors.setdefault("registration_closes_at", []).append(
                ValidationError(
                    _("Registration must close after it opens."), code="registration_order"
                )
            )
        if closes and self.ends_at and closes > self.ends_at:
            errors.setdefault("registration_closes_at", []).append(
                ValidationError(
                    _("Registration must close no later than the end of the conference."),
                    code="registration_after_end",
                )
            )
        if self.stream_url and not self.stream_provider:
            errors.setdefault("stream_provider", []).append(
                ValidationError(_("Choose the provider of the stream address."), code="provider")
            )
        for field, field_errors in unoffered_language_errors(self, self.languages_offered).items():
            errors.setdefault(field, []).extend(field_errors)
        if errors:
            raise ValidationError(errors)

    @property
    def languages_offered(self) -> tuple[str, ...]:
        """The content languages, Bokmål first: ``("nb",)``, ``("nb", "nn", "en")``, …"""
        return ("nb",) + (("nn",) if self.offers_nn else ()) + (("en",) if self.offers_en else ())

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES

    @property
    def is_closed(self) -> bool:
        return self.status == ConferenceStatus.CLOSED

    def registration_is_open(self, now: dt.datetime | None = None) -> bool:
        now = now or timezone.now()
        return (
            self.status in (ConferenceStatus.PUBLISHED, ConferenceStatus.LIVE)
            and self.registration_opens_at <= now < self.registration_closes_at
        )

    def registration_not_yet_open(self, now: dt.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.status == ConferenceStatus.PUBLISHED and now < self.registration_opens_at


class AgendaItem(TimeStampedModel):
    """One item of the programme; breaks are items too, so long sessions show their pauses."""

    conference = models.ForeignKey(
        Conference,
        on_delete=models.CASCADE,
        related_name="agenda_items",
        verbose_name=_("conference"),
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    title = models.CharField(_("title"), max_length=200)
    speaker = models.CharField(_("speaker"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    is_break = models.BooleanField(_("break"), default=False)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ("starts_at", "pk")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                name="agendaitem_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError(
                {"ends_at": _("The item must end after it starts.")}, code="end_order"
            )
        conference = getattr(self, "conference", None)
        if conference is not None:
            errors = unoffered_language_errors(self, conference.languages_offered)
            if errors:
                raise ValidationError(errors)
        if conference and conference.starts_at and conference.ends_at and self.starts_at:
            end = self.ends_at or self.starts_at
            if self.starts_at < conference.starts_at or end > conference.ends_at:
                raise ValidationError(
                    {"starts_at": _("The item must lie within the conference's start and end.")},
                    code="outside_conference",
                )


class NoticeReference(TimeStampedModel):
    """A Doffin notice linked to the conference; a corrected notice gets a new ID (rule 7)."""

    conference = models.ForeignKey(
        Conference,
        on_delete=models.CASCADE,
        related_name="notice_references",
        verbose_name=_("conference"),
    )
    reference = models.CharField(
        _("notice reference"),
        max_length=11,
        validators=[validate_notice_reference],
        help_text=_("Doffin ID in the form YYYY-NNNNNN."),
    )
    note = models.CharField(
        _("note"), max_length=200, blank=True, help_text=_("For example: corrected notice.")
    )

    class Meta:
        verbose_name = _("notice reference")
        verbose_name_plural = _("notice references")
        ordering = ("created_at", "pk")
        constraints = [
            models.UniqueConstraint(
                fields=["conference", "reference"], name="noticereference_unique_per_conference"
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class StatusChange(models.Model):
    """Append-only record of every lifecycle step: who moved the conference, when, from what."""

    conference = models.ForeignKey(
        Conference,
        on_delete=models.CASCADE,
        related_name="status_changes",
        verbose_name=_("conference"),
    )
    from_status = models.CharField(_("from"), max_length=20, choices=ConferenceStatus.choices)
    to_status = models.CharField(_("to"), max_length=20, choices=ConferenceStatus.choices)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    notice_reference = models.CharField(_("notice reference"), max_length=11, blank=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ("changed_at", "pk")

    def __str__(self) -> str:
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"
