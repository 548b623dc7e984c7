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


class RemainingMeetings(models.TextChoices):
    """What staff decide for the booked one-to-one meetings not yet held when the dialogue
    moves to follow-up or closes (DOMAIN.md rule 1). Closing allows only ``CANCEL``: once the
    competition is announced, the dialogue has ended and no meeting may be held."""

    CANCEL = "cancel", _("Cancel them: each supplier gets a calendar cancellation")
    KEEP = "keep", _("Keep them: they are held during the follow-up")


# Steps that settle the meetings not yet held.
SETTLES_REMAINING_MEETINGS = (ConferenceStatus.FOLLOW_UP, ConferenceStatus.CLOSED)

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


class UploadKind(models.TextChoices):
    """What a resumable upload becomes when staff save the form it belongs to."""

    RECORDING = "recording", _("Recording")
    DOCUMENT = "document", _("Presentation document")


class BundleStatus(models.TextChoices):
    """Where the downloadable information package (one ZIP file) of a conference stands."""

    QUEUED = "queued", _("Waiting to be prepared")
    BUILDING = "building", _("Being prepared")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class BundleStep(models.TextChoices):
    """What the build of the ZIP file is doing now (shown to staff as progress)."""

    WAITING = "waiting", _("Waiting for a worker")
    COLLECTING = "collecting", _("Collecting what is published")
    SUMMARY = "summary", _("Writing the PDF summary")
    TEXTS = "texts", _("Adding the questions and answers, captions and transcripts")
    DOCUMENTS = "documents", _("Adding the presentation documents")
    RECORDINGS = "recordings", _("Adding the video files")
    STORING = "storing", _("Storing the ZIP file")
    DONE = "done", _("Done")
