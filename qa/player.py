"""How the stream page shows a conference's stream: which player, from which address.

Third-party players load only after the viewer clicks (DOMAIN.md rule 12): the page renders a
link to the provider, which ``static/qa/stream.js`` swaps for the embedded player on click.
YouTube is always embedded from youtube-nocookie.com.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.conf import settings

from conferences.choices import StreamProvider
from conferences.models import Conference

_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{6,20}$")


@dataclass(frozen=True)
class Player:
    kind: str  # "iframe", "video" or "link"
    provider: str
    provider_label: str
    watch_url: str  # opens in the provider's own page (works without JavaScript)
    embed_url: str = ""


def youtube_embed(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    video = ""
    query = parse_qs(parts.query)
    if host == "youtu.be":
        video = parts.path.strip("/").split("/")[0]
    elif host in ("youtube.com", "youtube-nocookie.com"):
        segments = [s for s in parts.path.split("/") if s]
        if segments[:1] == ["watch"]:
            video = (query.get("v") or [""])[0]
        elif segments[:1] in (["embed"], ["live"], ["shorts"]) and len(segments) > 1:
            if segments[1] == "live_stream":
                channel = (query.get("channel") or [""])[0]
                if re.fullmatch(r"[A-Za-z0-9_-]{1,64}", channel):
                    return "https://www.youtube-nocookie.com/embed/live_stream?channel=" + channel
                return ""
            video = segments[1]
    if not _YOUTUBE_ID.fullmatch(video):
        return ""
    return f"https://www.youtube-nocookie.com/embed/{video}"


def vimeo_embed(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    segments = [s for s in parts.path.split("/") if s]
    digits = [s for s in segments if s.isdigit()]
    if host not in ("vimeo.com", "player.vimeo.com") or not digits:
        return ""
    if segments[:1] == ["event"]:
        return f"https://vimeo.com/event/{digits[0]}/embed?dnt=1"
    return f"https://player.vimeo.com/video/{digits[0]}?dnt=1"


def _frame_allowed(url: str) -> bool:
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.hostname}"
    return origin in settings.CSP_FRAME_SRC or any(
        origin == src.rstrip("/") for src in settings.CSP_FRAME_SRC
    )


def player_for(conference: Conference) -> Player | None:
    """The player for the conference's stream, or ``None`` when no stream is set."""
    url = conference.stream_url
    if not url:
        return None
    provider = conference.stream_provider or StreamProvider.OTHER
    label = str(StreamProvider(provider).label) if provider in StreamProvider.values else provider
    embed = ""
    if provider == StreamProvider.YOUTUBE:
        embed = youtube_embed(url)
    elif provider == StreamProvider.VIMEO:
        embed = vimeo_embed(url)
    elif provider == StreamProvider.HLS:
        return Player("video", provider, label, url, url)
    if embed and _frame_allowed(embed):
        return Player("iframe", provider, label, url, embed)
    return Player("link", provider, label, url)
