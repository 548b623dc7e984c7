from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from conferences.choices import ConferenceStatus
from conferences.models import AgendaItem, BuyerOrganisation, Conference
from registrations.demo import DEMO_SUPPLIERS
from registrations.models import Registration
from tests.browser.fixtures import ROOT

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


def _counts() -> dict[str, int]:
    from meetings.models import Meeting, Slot
    from qa.models import Question

    return {
        "conferences": Conference.objects.count(),
        "registrations": Registration.objects.count(),
        "slots": Slot.objects.count(),
        "meetings": Meeting.objects.count(),
        "questions": Question.objects.count(),
    }


def test_seed_demo_twice_creates_one_published_conference(settings, capsys, roles):
    settings.DEBUG = True

    call_command("seed_demo")
    first = _counts()
    call_command("seed_demo")

    out = capsys.readouterr().out
    assert _counts() == first
    assert Conference.objects.count() == 1
    assert BuyerOrganisation.objects.count() == 1
    assert Conference.objects.get().status == ConferenceStatus.PUBLISHED
    assert AgendaItem.objects.count() == 5
    assert set(get_user_model().objects.values_list("username", flat=True)) >= {
        "staff",
        "moderator",
    }
    assert "staff / dialog-demo-staff" in out
    assert Registration.objects.count() >= len(DEMO_SUPPLIERS)
    assert first["questions"] > 0
    assert first["meetings"] > 0
    assert "Personal link for" in out
    from conferences.models import Recording

    [recording] = Recording.objects.published()
    assert sorted(recording.captions.values_list("language", flat=True)) == ["en", "nb"]
    assert recording.chapters.count() == 3
    assert recording.size == (ROOT / "conferences" / "demo_media" / "demo.webm").stat().st_size
    assert len(recording.sha256) == 64


def test_seed_demo_refused_with_debug_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError):
        call_command("seed_demo")

    assert Conference.objects.count() == 0
