"""Conference content in Bokmål, Nynorsk and English: the admin round trip, the pages in each
language with the honest Bokmål fallback, emails in the recipient's language, the translation
status and the languages-offered rule."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from conferences.admin.translation_status import translation_status
from conferences.choices import ConferenceStatus
from conferences.exceptions import ConferenceError
from conferences.models import AgendaItem, Clarification, Conference
from conferences.services import transition_conference
from dialogkonferanse.models import OutboundEmail
from qa import services as qa_services
from qa.models import Answer
from tests.conferences.test_admin import _conference_form
from tests.factories import (
    make_buyer,
    make_conference,
    make_question,
    make_registration,
    make_staff,
)

pytestmark = pytest.mark.django_db

NOTE_EN = "Not available in English"
NOTE_NN = "Ikkje tilgjengeleg på nynorsk"


def _trilingual(**overrides) -> Conference:
    values = {
        "title_nb": "Dialog om farleder",
        "title_nn": "Dialog om farleier",
        "title_en": "Dialogue on fairways",
        "summary_nb": "Vi vil høre fra markedet.",
        "summary_nn": "Vi vil høyre frå marknaden.",
        "summary_en": "We want to hear from the market.",
        "description_nb": "Konferansen strømmes i nettleseren.",
        "description_nn": "Konferansen blir strøymd i nettlesaren.",
        "offers_nn": True,
        "offers_en": True,
    }
    values.update(overrides)
    return make_conference(**values)


# --- Admin ---------------------------------------------------------------------------------


def test_admin_conference_fields_in_three_languages_round_trip(client, roles):
    client.force_login(make_staff())
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    buyer = make_buyer()
    data = _conference_form(
        buyer,
        offers_nn="on",
        offers_en="on",
        title_nn="Digital dialog om farleier",
        title_en="Digital dialogue on fairways",
        summary_nn="Vi vil høyre frå marknaden.",
        summary_en="We want to hear from the market.",
        description_nn="Konferansen blir strøymd.",
        description_en="The conference is streamed.",
        dialogue_rules_nn="Reglar.",
        dialogue_rules_en="Rules.",
        **{
            "agenda_items-0-title_nn": "Velkomen",
            "agenda_items-0-title_en": "Welcome",
        },
    )

    response = client.post(reverse("admin:conferences_conference_add"), data)

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    conference = Conference.objects.get(slug=data["slug"])
    assert (conference.title_nb, conference.title_nn, conference.title_en) == (
        data["title_nb"],
        "Digital dialog om farleier",
        "Digital dialogue on fairways",
    )
    assert (conference.dialogue_rules_nb, conference.dialogue_rules_nn) == ("Regler.", "Reglar.")
    assert conference.languages_offered == ("nb", "nn", "en")
    item = conference.agenda_items.get()
    assert (item.title_nb, item.title_nn, item.title_en) == ("Velkommen", "Velkomen", "Welcome")

    # The change page shows each language's value in its own, labelled field.
    change_url = reverse("admin:conferences_conference_change", args=[conference.pk])
    page = client.get(change_url).content.decode()
    assert 'value="Digital dialog om farleier"' in page
    assert 'value="Digital dialogue on fairways"' in page
    assert re.search(r'<label[^>]*for="id_title_nn"[^>]*>Title \(Norwegian Nynorsk\)', page)
    assert re.search(r'<label[^>]*for="id_title_en"[^>]*>Title \(English\)', page)

    # Posting the change form back changes only what was edited.
    data.update(
        {
            "title_en": "Digital dialogue on fairways (corrected)",
            "agenda_items-INITIAL_FORMS": "1",
            "agenda_items-0-id": str(item.pk),
            "agenda_items-0-conference": str(conference.pk),
            "notice_references-TOTAL_FORMS": "0",
        }
    )
    response = client.post(change_url, data)

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    conference.refresh_from_db()
    assert conference.title_en == "Digital dialogue on fairways (corrected)"
    assert conference.title_nn == "Digital dialog om farleier"
    assert conference.title_nb == data["title_nb"]


def test_admin_text_in_a_language_not_offered_is_refused(client, roles):
    client.force_login(make_staff())
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    data = _conference_form(make_buyer(), title_en="Dialogue")  # English not offered

    response = client.post(reverse("admin:conferences_conference_add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["title_en"] == [
        "The conference does not offer content in English."
    ]
    assert not Conference.objects.filter(slug=data["slug"]).exists()


def test_admin_conference_page_shows_translation_status_and_previews(client, roles):
    conference = _trilingual(agenda_items=1)
    client.force_login(make_staff())
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    page = client.get(
        reverse("admin:conferences_conference_change", args=[conference.pk])
    ).content.decode()

    start = page.index('id="translation-status"')
    table = page[start : page.index("</table>", start)]
    assert "Description" in table
    assert "English" in table
    assert "Agenda item: Punkt 1" in table
    for language in ("nb", "nn", "en"):
        preview = reverse("switch_language", args=[language])
        assert f"{preview}?next={quote(conference.get_absolute_url(), safe='')}" in page
    assert 'lang="en">English</a>' in page


# --- Translation status and the languages-offered rule -------------------------------------


def test_translation_status_lists_the_missing_fields_per_language():
    conference = _trilingual(agenda_items=1)
    AgendaItem.objects.filter(conference=conference).update(title_nn="Punkt 1 (nn)", title_en=None)

    with translation.override("en"):
        rows = {(row.item, row.field): row.languages for row in translation_status(conference)}

    assert rows == {
        ("Conference: Dialogue on fairways", "Description"): ("English",),
        ("Conference: Dialogue on fairways", "Dialogue rules and legal references"): (
            "Nynorsk",
            "English",
        ),
        # The factory wrote the buyer's name in English too (tests run in English).
        ("Buyer organisation: " + conference.buyer.name_nb, "Name"): ("Nynorsk",),
        ("Agenda item: Punkt 1", "Title"): ("English",),
        # The factory's speaker, written in English too, like the buyer's name.
        ("Agenda item: Punkt 1", "Speaker"): ("Nynorsk",),
    }


def test_translation_status_is_empty_when_only_bokmal_is_offered():
    conference = make_conference(
        agenda_items=2, offers_nn=False, offers_en=False, title_en=None, summary_en=None
    )

    assert translation_status(conference) == []


@pytest.mark.parametrize(
    ("offers", "field", "language_name"),
    [
        ({"offers_nn": True}, "title_en", "English"),
        ({"offers_en": True}, "summary_nn", "Nynorsk"),
    ],
)
def test_conference_clean_refuses_text_in_a_language_not_offered(offers, field, language_name):
    # Outside a request the tests run in English: the factory's plain texts are Bokmål only here.
    conference = make_conference(
        title_en=None, summary_en=None, **{"offers_nn": False, "offers_en": False, **offers}
    )
    setattr(conference, field, "Tekst")

    with translation.override("en"), pytest.raises(ValidationError) as caught:
        conference.full_clean()

    assert caught.value.message_dict == {
        field: [f"The conference does not offer content in {language_name}."]
    }


def test_conference_clean_accepts_a_copy_of_the_bokmal_text_in_a_language_not_offered():
    """Code writing a plain field name while English is active stores the text in English too
    (modeltranslation); that copy is not English content."""
    with translation.override("en"):
        conference = make_conference(title="Dialog om fyr")

    assert (conference.title_nb, conference.title_en) == ("Dialog om fyr", "Dialog om fyr")
    conference.full_clean()


def test_child_items_obey_the_conference_languages_offered():
    conference = make_conference(offers_nn=True, title_en=None, summary_en=None)
    item = conference.agenda_items.model(
        conference=conference,
        starts_at=conference.starts_at,
        title_nb="Velkommen",
        title_nn="Velkomen",
    )
    item.full_clean()  # Nynorsk is offered
    clarification = Clarification(
        conference=conference, title_nb="Avklaring", text_nb="Tekst", text_en="Text"
    )

    with pytest.raises(ValidationError) as caught:
        clarification.full_clean()

    assert list(caught.value.message_dict) == ["text_en"]


# --- Public pages --------------------------------------------------------------------------


def test_nynorsk_page_shows_the_nynorsk_content(client):
    conference = _trilingual()

    page = client.get(conference.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="nn").content.decode()

    assert '<h1 id="conference-title">Dialog om farleier</h1>' in page
    assert "Vi vil høyre frå marknaden." in page
    assert "<p>Konferansen blir strøymd i nettlesaren.</p>" in page
    assert "Konferansen strømmes" not in page


def test_english_page_with_missing_english_shows_bokmal_marked_and_the_note(client):
    conference = _trilingual()  # no English description

    page = client.get(conference.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert '<h1 id="conference-title">Dialogue on fairways</h1>' in page
    assert (
        '<div lang="nb"><p>Konferansen strømmes i nettleseren.</p></div>'
        '<p class="translation-note small text-body-secondary">Not available in English</p>'
    ) in page


def test_nynorsk_page_with_missing_nynorsk_title_notes_it_inline(client):
    conference = _trilingual(title_nn=None)

    page = client.get(conference.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="nn").content.decode()

    assert (
        '<h1 id="conference-title"><span lang="nb">Dialog om farleder</span> '
        '<small class="translation-note text-body-secondary">(Ikkje tilgjengeleg på nynorsk)'
        "</small></h1>"
    ) in page


def test_bokmal_page_never_shows_a_note(client):
    conference = _trilingual()

    page = client.get(conference.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="nb").content.decode()

    assert '<h1 id="conference-title">Dialog om farleder</h1>' in page
    assert "translation-note" not in page


def test_package_page_answers_and_clarifications_fall_back_with_the_note(client):
    conference = _trilingual(status=ConferenceStatus.FOLLOW_UP)
    question = make_question(conference=conference, status="answered", text="Pris?")
    Answer.objects.create(
        question=question,
        text_nb="Fastpris.",
        text_nn="Fast pris.",
        published_at=question.published_at,
    )
    Clarification.objects.create(
        conference=conference,
        title_nb="Avklaring om språk",
        title_en="Clarification on language",
        text_nb="Tilbud kan leveres på engelsk.",
        text_en="Tenders may be in English.",
        published_at=question.published_at,
    )
    url = reverse("conferences:package", args=[conference.slug])

    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    nynorsk = client.get(url, HTTP_ACCEPT_LANGUAGE="nn").content.decode()

    assert '<div lang="nb">Fastpris.</div>' in english
    assert NOTE_EN in english
    assert "Clarification on language" in english
    assert "Tenders may be in English." in english
    assert "Fast pris." in nynorsk
    assert '<span lang="nb">Avklaring om språk</span>' in nynorsk
    assert NOTE_NN in nynorsk


# --- Services and emails -------------------------------------------------------------------


def test_answer_from_the_dashboard_is_the_bokmal_text_whatever_the_moderators_language():
    conference = _trilingual(status=ConferenceStatus.LIVE)
    question = make_question(conference=conference, status="published")

    with translation.override("en"):
        qa_services.answer_question(
            conference_id=conference.pk,
            question_id=question.pk,
            moderator=None,
            expected_version=question.version,
            text="Ja.",
        )
    answer = Answer.objects.get()
    answer.text_en = "Yes."
    answer.save()
    question.refresh_from_db()
    with translation.override("en"):
        qa_services.answer_question(
            conference_id=conference.pk,
            question_id=question.pk,
            moderator=None,
            expected_version=question.version,
            text="Ja, gjerne.",
        )

    answer.refresh_from_db()
    assert (answer.text_nb, answer.text_nn, answer.text_en) == ("Ja, gjerne.", None, "Yes.")


def test_answer_digest_uses_each_recipients_language_and_falls_back(roles):
    conference = _trilingual(status=ConferenceStatus.LIVE)
    nynorsk = make_registration(conference=conference, language="nn")
    english = make_registration(conference=conference, language="en")
    question = make_question(conference=conference, registration=nynorsk, status="published")
    qa_services.answer_question(
        conference_id=conference.pk,
        question_id=question.pk,
        moderator=None,
        expected_version=question.version,
        text="Fastpris.",
    )
    Answer.objects.update(text_nn="Fast pris.")  # no English version
    transition_conference(
        conference_id=conference.pk, to_status=ConferenceStatus.FOLLOW_UP, actor=None
    )

    qa_services.send_answer_digest(conference_id=conference.pk, moderator=None)

    emails = {e.registration_id: e for e in OutboundEmail.objects.filter(kind="qa_answer_digest")}
    assert "Fast pris." in emails[nynorsk.pk].body_text
    assert "Fastpris." not in emails[nynorsk.pk].body_text
    assert "Fastpris.\n[Not available in English]" in emails[english.pk].body_text
    assert '<div lang="nb">Fastpris.</div>' in emails[english.pk].body_html
    assert NOTE_EN in emails[english.pk].body_html


def test_agenda_item_in_english_reads_its_own_text_and_bokmal_otherwise():
    conference = _trilingual()
    item = AgendaItem.objects.create(
        conference=conference,
        starts_at=conference.starts_at + dt.timedelta(minutes=5),
        title_nb="Pause",
        title_en="Break",
    )

    with translation.override("en"):
        assert item.title == "Break"
    with translation.override("nn"):
        assert item.title == "Pause"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nn", "1. Presentasjon av leverandøren (nn)"),
        ("en", "1. Presentasjon av leverandøren\n[Not available in English]"),
    ],
)
def test_meeting_invite_agenda_in_the_suppliers_language_or_bokmal_with_the_note(
    language, expected
):
    from meetings import emails as meeting_emails
    from meetings.choices import EmailKind as MeetingEmailKind
    from meetings.models import Meeting, Slot
    from meetings.services import generate_slots
    from tests.factories import make_meeting_settings

    conference = _trilingual(offers_one_to_one=True)
    make_meeting_settings(
        conference=conference,
        agenda_nb="1. Presentasjon av leverandøren",
        agenda_nn="1. Presentasjon av leverandøren (nn)",
        agenda_en=None,
    )
    generate_slots(conference_id=conference.pk)
    registration = make_registration(
        conference=conference, language=language, wants_one_to_one=True
    )
    slot = Slot.objects.filter(conference=conference).order_by("starts_at").first()
    meeting = Meeting.objects.create(conference=conference, slot=slot, registration=registration)

    meeting_emails.queue_invitation(meeting)

    email = OutboundEmail.objects.get(kind=MeetingEmailKind.INVITE)
    assert expected in email.body_text


def test_conference_written_only_in_the_language_columns_can_be_published():
    """What the admin writes: the per-language columns, never the plain ones they replace."""
    conference = make_conference(status=ConferenceStatus.DRAFT)
    Conference.objects.filter(pk=conference.pk).update(
        title="", summary="", description="", dialogue_rules="", dialogue_rules_en=""
    )

    with translation.override("en"):
        transition_conference(
            conference_id=conference.pk, to_status=ConferenceStatus.PUBLISHED, actor=make_staff()
        )

    conference.refresh_from_db()
    assert conference.status == ConferenceStatus.PUBLISHED


def test_conference_without_bokmal_dialogue_rules_is_not_published():
    conference = make_conference(status=ConferenceStatus.DRAFT)
    Conference.objects.filter(pk=conference.pk).update(dialogue_rules_nb="")

    with pytest.raises(ConferenceError, match="cannot be blank"):
        transition_conference(
            conference_id=conference.pk, to_status=ConferenceStatus.PUBLISHED, actor=make_staff()
        )
