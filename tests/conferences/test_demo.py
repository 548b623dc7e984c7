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
    assert sorted(recording.captions.values_list("language", flat=True)) == ["en", "nb", "nn"]
    assert recording.chapters.count() == 3
    assert recording.size == (ROOT / "conferences" / "demo_media" / "demo.webm").stat().st_size
    assert len(recording.sha256) == 64


def test_seed_demo_content_in_three_languages_with_one_bokmal_only_field(settings, roles):
    from conferences.models import Clarification, Document, Recording
    from qa.models import Answer

    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")

    conference = Conference.objects.get()
    assert conference.languages_offered == ("nb", "nn", "en")
    assert conference.title_nn == "Dialogkonferanse: digital overvaking av farleier"
    assert conference.title_en == "Dialogue conference: digital monitoring of fairways"
    assert conference.dialogue_rules_nn
    assert conference.dialogue_rules_en
    assert conference.dialogue_rules_en != conference.dialogue_rules_nb
    # The one text left in Bokmål, so the English page shows the fallback note.
    assert conference.description_nb
    assert not conference.description_en
    assert all(item.title_nn and item.title_en for item in conference.agenda_items.all())
    speakers = [item for item in conference.agenda_items.all() if item.speaker_nb]
    assert speakers
    assert all(item.speaker_nn and item.speaker_en for item in speakers)
    assert conference.buyer.email_signature_nn.startswith("Med venleg helsing")
    assert conference.buyer.email_signature_en.startswith("Kind regards")
    # Translated before publishing: the changelog has each published title in English.
    assert all(change.title_en for change in conference.package_changes.all())
    [recording] = Recording.objects.published()
    assert recording.transcript_nn
    assert recording.transcript_en
    assert all(chapter.title_en for chapter in recording.chapters.all())
    [document] = Document.objects.published()
    assert (document.title_en, len(document.sha256)) == ("Presentation: need and timeline", 64)
    [clarification] = Clarification.objects.published()
    assert "Møtene" in clarification.text_nb  # the search finds "møte" in it
    assert clarification.text_en.startswith("Tenders may be submitted")
    answers = Answer.objects.filter(question__conference=conference)
    assert answers.count() >= 2
    assert all(a.text_nb and a.text_nn and a.text_en for a in answers)
    # Nothing is refused by the languages-offered rule.
    for obj in (conference, recording, document, clarification, *answers):
        obj.full_clean()


def test_seed_demo_english_page_shows_the_bokmal_description_with_the_note(settings, client, roles):
    settings.DEBUG = True
    call_command("seed_demo")
    conference = Conference.objects.get()

    page = client.get(conference.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Dialogue conference: digital monitoring of fairways" in page
    assert f'<div lang="nb"><p>{conference.description_nb}</p></div>' in page
    assert "Not available in English" in page


def test_seed_demo_refused_with_debug_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError):
        call_command("seed_demo")

    assert Conference.objects.count() == 0
