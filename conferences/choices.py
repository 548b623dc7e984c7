from django.db import models
from django.utils.translation import gettext_lazy as _


class ConferenceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published (registration open)")
    LIVE = "live", _("Live")
    FOLLOW_UP = "follow_up", _("Follow-up")
    CLOSED = "closed", _("Closed")


# Which lifecycle steps staff may take from each status (DOMAIN.md rule 1).
ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ConferenceStatus.DRAFT: (ConferenceStatus.PUBLISHED,),
    ConferenceStatus.PUBLISHED: (
        ConferenceStatus.DRAFT,
        ConferenceStatus.LIVE,
        ConferenceStatus.CLOSED,
    ),
    ConferenceStatus.LIVE: (ConferenceStatus.FOLLOW_UP,),
    ConferenceStatus.FOLLOW_UP: (ConferenceStatus.CLOSED,),
    ConferenceStatus.CLOSED: (),
}

# Statuses in which the conference is visible to the public.
PUBLIC_STATUSES = (
    ConferenceStatus.PUBLISHED,
    ConferenceStatus.LIVE,
    ConferenceStatus.FOLLOW_UP,
    ConferenceStatus.CLOSED,
)


class StreamProvider(models.TextChoices):
    NONE = "", _("Not set yet")
    YOUTUBE = "youtube", _("YouTube (no-cookie mode)")
    VIMEO = "vimeo", _("Vimeo")
    HLS = "hls", _("HLS stream (.m3u8)")
    TEAMS = "teams", _("Microsoft Teams town hall (link)")
    OTHER = "other", _("Other (link)")


class CaptionLanguage(models.TextChoices):
    NB = "nb", _("Norwegian Bokmål")
    NN = "nn", _("Norwegian Nynorsk")
    EN = "en", _("English")
    SE = "se", _("Northern Sami")


class PackageItemKind(models.TextChoices):
    """What an entry of the information package's changelog is about."""

    RECORDING = "recording", _("Recording")
    DOCUMENT = "document", _("Presentation document")
    CLARIFICATION = "clarification", _("Written clarification")


class PackageAction(models.TextChoices):
    PUBLISHED = "published", _("Published")
    UNPUBLISHED = "unpublished", _("Withdrawn")


# External players a recording may use (uploaded files play in the page's own player).
RECORDING_PROVIDERS = (
    StreamProvider.YOUTUBE,
    StreamProvider.VIMEO,
    StreamProvider.HLS,
    StreamProvider.OTHER,
)
