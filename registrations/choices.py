from django.db import models
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    """The languages a supplier can choose for emails (DOMAIN.md rule 11)."""

    NB = "nb", _("Norwegian Bokmål")
    NN = "nn", _("Norwegian Nynorsk")
    EN = "en", _("English")


class Country(models.TextChoices):
    """The EEA states and Switzerland: suppliers from all of them may take part (rule 5)."""

    NO = "NO", _("Norway")
    AT = "AT", _("Austria")
    BE = "BE", _("Belgium")
    BG = "BG", _("Bulgaria")
    HR = "HR", _("Croatia")
    CY = "CY", _("Cyprus")
    CZ = "CZ", _("Czechia")
    DK = "DK", _("Denmark")
    EE = "EE", _("Estonia")
    FI = "FI", _("Finland")
    FR = "FR", _("France")
    DE = "DE", _("Germany")
    GR = "GR", _("Greece")
    HU = "HU", _("Hungary")
    IS = "IS", _("Iceland")
    IE = "IE", _("Ireland")
    IT = "IT", _("Italy")
    LV = "LV", _("Latvia")
    LI = "LI", _("Liechtenstein")
    LT = "LT", _("Lithuania")
    LU = "LU", _("Luxembourg")
    MT = "MT", _("Malta")
    NL = "NL", _("Netherlands")
    PL = "PL", _("Poland")
    PT = "PT", _("Portugal")
    RO = "RO", _("Romania")
    SK = "SK", _("Slovakia")
    SI = "SI", _("Slovenia")
    ES = "ES", _("Spain")
    SE = "SE", _("Sweden")
    CH = "CH", _("Switzerland")


class EmailKind(models.TextChoices):
    """Kinds of email this app queues in the shared outbox (stored on each outbox row)."""

    CONFIRMATION = "registration_confirmation", _("Registration confirmation")
    ALREADY = "registration_already", _("Already registered")
    LINK = "registration_link", _("Personal link")
    REMINDER_DAY = "registration_reminder_day", _("Reminder the day before")
    REMINDER_HOUR = "registration_reminder_hour", _("Reminder one hour before")
