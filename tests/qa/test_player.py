from __future__ import annotations

import pytest

from conferences.choices import StreamProvider
from qa.player import player_for, vimeo_embed, youtube_embed
from tests.factories import make_conference


@pytest.mark.parametrize(
    ("url", "embed"),
    [
        (
            "https://www.youtube.com/watch?v=abcDEF12345",
            "https://www.youtube-nocookie.com/embed/abcDEF12345",
        ),
        ("https://youtu.be/abcDEF12345", "https://www.youtube-nocookie.com/embed/abcDEF12345"),
        (
            "https://www.youtube.com/live/abcDEF12345?si=x",
            "https://www.youtube-nocookie.com/embed/abcDEF12345",
        ),
        (
            "https://www.youtube.com/embed/abcDEF12345",
            "https://www.youtube-nocookie.com/embed/abcDEF12345",
        ),
        (
            "https://www.youtube-nocookie.com/embed/live_stream?channel=UCabc",
            "https://www.youtube-nocookie.com/embed/live_stream?channel=UCabc",
        ),
        ('https://www.youtube.com/watch?v="><script>', ""),
        ("https://evil.example/watch?v=abcDEF12345", ""),
    ],
)
def test_youtube_embed_always_nocookie(url, embed):
    assert youtube_embed(url) == embed


@pytest.mark.parametrize(
    ("url", "embed"),
    [
        ("https://vimeo.com/123456", "https://player.vimeo.com/video/123456?dnt=1"),
        ("https://player.vimeo.com/video/123456", "https://player.vimeo.com/video/123456?dnt=1"),
        ("https://vimeo.com/event/42", "https://vimeo.com/event/42/embed?dnt=1"),
        ("https://vimeo.example/123", ""),
    ],
)
def test_vimeo_embed(url, embed):
    assert vimeo_embed(url) == embed


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("provider", "url", "kind"),
    [
        (StreamProvider.YOUTUBE, "https://youtu.be/abcDEF12345", "iframe"),
        (StreamProvider.VIMEO, "https://vimeo.com/123456", "iframe"),
        (StreamProvider.HLS, "https://cdn.example/live/stream.m3u8", "video"),
        (StreamProvider.TEAMS, "https://teams.microsoft.com/l/meetup-join/x", "link"),
        (StreamProvider.VIMEO, "https://vimeo.com/event/42", "link"),  # host not in CSP frame-src
    ],
)
def test_player_for_provider(provider, url, kind):
    conference = make_conference(stream_provider=provider, stream_url=url)

    player = player_for(conference)

    assert player is not None
    assert (player.kind, player.watch_url) == (kind, url)
