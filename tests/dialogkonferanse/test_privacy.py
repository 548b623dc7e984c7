"""The privacy notice names the processors configured (DOMAIN.md rule 12)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conferences.choices import ConferenceStatus
from tests.factories import make_conference, make_meeting_settings

pytestmark = pytest.mark.django_db


def test_privacy_notice_names_email_stream_and_meeting_processors(client, settings):
    settings.PRIVACY_EMAIL_PROCESSOR = "smtp.posttjeneste.example"
    settings.JITSI_BASE_URL = "https://meet.jit.si"
    make_meeting_settings(
        conference=make_conference(
            status=ConferenceStatus.PUBLISHED,
            offers_one_to_one=True,
            stream_provider="vimeo",
            stream_url="https://player.vimeo.com/video/1",
        )
    )
    linked = make_meeting_settings(
        conference=make_conference(status=ConferenceStatus.LIVE, offers_one_to_one=True),
        video_provider="link",
    )
    linked.teams.update(video_url="https://teams.microsoft.com/l/meetup-join/abc")
    make_conference(status=ConferenceStatus.DRAFT, stream_provider="youtube")

    response = client.get(reverse("privacy"), HTTP_ACCEPT_LANGUAGE="en")

    text = response.content.decode()
    assert "Email delivery: smtp.posttjeneste.example." in text
    assert "Streaming: Vimeo." in text  # the draft's YouTube is not in use
    assert "One-to-one video meetings: Jitsi (8x8), Microsoft Teams." in text
