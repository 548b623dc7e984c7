"""The information package as read by ``conferences.package.selectors``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from conferences.choices import ConferenceStatus
from conferences.package.selectors import information_package
from meetings.models import Meeting, Minutes
from tests.factories import make_conference, make_meeting_settings, make_registration, make_slot

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "title"),
    [("nb", "Møte 26.11.2026"), ("en", "Meeting on 26/11/2026")],
)
def test_information_package_changelog_dates_meeting_summary_in_oslo(language, title):
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP)
    team = make_meeting_settings(conference=conference).teams.first()
    # 23:30 UTC on 25 November is 00:30 on 26 November in Oslo (UTC+1 in winter).
    slot = make_slot(team=team, starts_at=dt.datetime(2026, 11, 25, 23, 30, tzinfo=dt.UTC))
    meeting = Meeting.objects.create(
        conference=conference,
        slot=slot,
        registration=make_registration(conference=conference),
    )
    Minutes.objects.create(meeting=meeting, public_summary="Markedet er modent.")

    with translation.override(language):
        package = information_package(conference=conference)

    assert [entry.title.text for entry in package.changelog] == [title]
    assert [summary.text for summary in package.summaries] == ["Markedet er modent."]
