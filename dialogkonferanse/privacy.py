"""The processors the privacy notice names (DOMAIN.md rule 12): the email provider configured,
the stream providers and the video-meeting providers used by public conferences."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

KNOWN_HOSTS = {
    "teams.microsoft.com": "Microsoft Teams",
    "teams.live.com": "Microsoft Teams",
    "whereby.com": "Whereby",
    "zoom.us": "Zoom",
    "meet.jit.si": "Jitsi (8x8)",
    "meet.google.com": "Google Meet",
}


def _provider(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    for known, name in KNOWN_HOSTS.items():
        if host == known or host.endswith("." + known):
            return name
    return host


@dataclass(frozen=True)
class Processors:
    email: str
    streams: list[str]
    meetings: list[str]


def configured_processors() -> Processors:
    """Read once per request: a handful of small distinct queries."""
    from conferences.choices import PUBLIC_STATUSES, StreamProvider
    from conferences.models import Conference
    from meetings.choices import VideoProvider
    from meetings.models import MeetingSettings, Slot, Team

    email = settings.PRIVACY_EMAIL_PROCESSOR or _("the service's own mail server")
    labels = dict(StreamProvider.choices)
    streams = sorted(
        {
            str(labels.get(value, value))
            for value in Conference.objects.filter(status__in=PUBLIC_STATUSES)
            .exclude(stream_provider="")
            .values_list("stream_provider", flat=True)
            .distinct()
        }
    )
    used = MeetingSettings.objects.filter(conference__status__in=PUBLIC_STATUSES)
    meetings: set[str] = set()
    if used.filter(video_provider=VideoProvider.JITSI).exists():
        meetings.add(_provider(settings.JITSI_BASE_URL) or "Jitsi")
    conference_ids = used.filter(video_provider=VideoProvider.LINK).values("conference_id")
    urls = list(
        Team.objects.filter(meeting_settings__conference_id__in=conference_ids)
        .exclude(video_url="")
        .values_list("video_url", flat=True)
        .distinct()
    ) + list(
        Slot.objects.filter(conference_id__in=conference_ids)
        .exclude(video_url="")
        .values_list("video_url", flat=True)
        .distinct()
    )
    meetings.update(p for p in (_provider(u) for u in urls) if p)
    return Processors(email=str(email), streams=streams, meetings=sorted(meetings))
