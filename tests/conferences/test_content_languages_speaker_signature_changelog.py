"""Texts found in Bokmål on English and Nynorsk pages by a user test: an agenda item's speaker,
the buyer's email signature and the information package changelog's titles, each in the
reader's language or in Bokmål marked as such (DOMAIN.md rule 11)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from django.utils import translation

from conferences.choices import ConferenceStatus
from conferences.models import AgendaItem, BuyerOrganisation, Clarification, PackageChange
from conferences.package.bundle_content import gather_content
from conferences.package.emails import ARCHIVE_EMAIL_KIND
from conferences.package.publishing import (
    publish_clarification,
    publish_recording,
    unpublish_clarification,
)
from dialogkonferanse.models import OutboundEmail
from tests.conferences.package_factories import make_clarification, make_recording
from tests.conferences.test_admin import _conference_form
from tests.factories import make_buyer, make_conference, make_registration, make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

NOTE_EN = "Not available in English"
NOTE_NN = "Ikkje tilgjengeleg på nynorsk"
SIGNATURES = {
    "email_signature_nb": "Med vennlig hilsen\nInnkjøpsteamet",
    "email_signature_nn": "Med venleg helsing\nInnkjøpsteamet",
}


def _trilingual(**overrides):
    return make_conference(offers_nn=True, offers_en=True, **overrides)


def _agenda_item(conference, **texts) -> AgendaItem:
    return AgendaItem.objects.create(
        conference=conference,
        starts_at=conference.starts_at,
        ends_at=conference.starts_at + dt.timedelta(minutes=15),
        title_nb="Velkommen",
        **texts,
    )


# --- 1. The agenda item's speaker ----------------------------------------------------------


def test_agenda_item_speaker_reads_the_active_language_or_bokmal():
    item = _agenda_item(_trilingual(), speaker_nb="Innkjøpsleder", speaker_en="Head of procurement")

    with translation.override("en"):
        english = item.speaker
    with translation.override("nn"):
        nynorsk = item.speaker

    assert (english, nynorsk) == ("Head of procurement", "Innkjøpsleder")


@pytest.mark.parametrize(
    ("language", "expected", "absent"),
    [
        ("en", "<br><span>Head of procurement</span>", "Innkjøpsleder"),
        (
            "nn",
            '<br><span><span lang="nb">Innkjøpsleder</span> <small class="translation-note '
            f'text-body-secondary">({NOTE_NN})</small></span>',
            "Head of procurement",
        ),
        ("nb", "<br><span>Innkjøpsleder</span>", "Head of procurement"),
    ],
)
def test_conference_page_agenda_speaker_in_the_readers_language_or_marked_bokmal(
    client, language, expected, absent
):
    conference = _trilingual()
    _agenda_item(conference, speaker_nb="Innkjøpsleder", speaker_en="Head of procurement")

    page = client.get(conference.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=language).content.decode()

    assert expected in page
    assert absent not in page


def test_stream_page_agenda_speaker_in_the_readers_language():
    conference = _trilingual(status=ConferenceStatus.LIVE)
    _agenda_item(conference, speaker_nb="Innkjøpsleder", speaker_en="Head of procurement")
    token = "speaker-token-abcdefghijklmnopqrstuvwxyz-0123456789"
    make_registration(conference=conference, token=token, language="en")
    client = Client(headers={"accept-language": "en"})
    assert client.get(f"/r/{token}/").status_code == 302

    page = client.get(f"/me/{conference.slug}/stream/").content.decode()

    assert '<span class="small">(Head of procurement)</span>' in page
    assert "Innkjøpsleder" not in page


def test_admin_agenda_speaker_in_three_languages_round_trip(client, roles):
    client.force_login(make_staff())
    data = _conference_form(
        make_buyer(),
        offers_nn="on",
        offers_en="on",
        **{
            "agenda_items-0-speaker_nb": "Innkjøpsleder",
            "agenda_items-0-speaker_nn": "Innkjøpsleiar",
            "agenda_items-0-speaker_en": "Head of procurement",
        },
    )

    form = client.get(reverse("admin:conferences_conference_add")).content.decode()
    response = client.post(reverse("admin:conferences_conference_add"), data)

    assert 'name="agenda_items-0-speaker_nn"' in form
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    [item] = AgendaItem.objects.all()
    assert (item.speaker_nb, item.speaker_nn, item.speaker_en) == (
        "Innkjøpsleder",
        "Innkjøpsleiar",
        "Head of procurement",
    )


def test_agenda_item_speaker_in_a_language_not_offered_is_refused():
    item = _agenda_item(make_conference(), speaker_nb="Innkjøpsleder")
    item.speaker_en = "Head of procurement"

    with pytest.raises(Exception, match="does not offer content in English") as raised:
        item.full_clean()

    assert list(raised.value.message_dict) == ["speaker_en"]


def test_package_file_programme_speaker_in_each_language():
    conference = _trilingual(status=ConferenceStatus.FOLLOW_UP)
    _agenda_item(conference, speaker_nb="Innkjøpsleder", speaker_en="Head of procurement")
    make_recording(conference=conference, published=True)

    views = gather_content(conference_id=conference.pk).views

    speakers = {lang: views[lang]["programme"][0]["speaker"] for lang in ("nb", "nn", "en")}
    assert (speakers["en"].text, speakers["en"].fallback) == ("Head of procurement", False)
    assert (speakers["nn"].text, speakers["nn"].fallback) == ("Innkjøpsleder", True)
    assert speakers["nb"].text == "Innkjøpsleder"


# --- 2. The changelog of the information package --------------------------------------------


def _clarification(conference, **titles) -> Clarification:
    values = {"title_nb": "Avklaring om språk", "title_en": "Clarification on language"}
    values.update(titles)
    return make_clarification(conference=conference, **values)


def test_changelog_entry_keeps_the_items_title_in_each_language_whatever_the_actors():
    conference = _trilingual(status=ConferenceStatus.FOLLOW_UP)
    clarification = _clarification(conference)

    with translation.override("en"):  # staff using the admin in English
        publish_clarification(clarification_id=clarification.pk, actor=None)

    change = PackageChange.objects.get()
    assert (change.title_nb, change.title_nn, change.title_en) == (
        "Avklaring om språk",
        None,
        "Clarification on language",
    )


@pytest.mark.parametrize(
    ("language", "expected", "absent"),
    [
        ("en", "): Clarification on language\n", "Avklaring om språk"),
        (
            "nn",
            '): <span lang="nb">Avklaring om språk</span> <small '
            f'class="translation-note text-body-secondary">({NOTE_NN})</small>',
            "Clarification on language",
        ),
        ("nb", "): Avklaring om språk\n", "Clarification on language"),
    ],
)
def test_package_page_changelog_title_in_the_readers_language_or_marked_bokmal(
    client, language, expected, absent
):
    conference = _trilingual(status=ConferenceStatus.FOLLOW_UP)
    publish_clarification(clarification_id=_clarification(conference).pk, actor=None)
    url = reverse("conferences:package", kwargs={"slug": conference.slug})

    page = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()

    changelog = page[page.index('id="changelog-heading"') :]
    assert expected in changelog
    assert absent not in changelog


def test_changelog_keeps_each_entrys_title_as_published_after_the_item_is_renamed(client):
    conference = _trilingual(status=ConferenceStatus.FOLLOW_UP)
    clarification = _clarification(conference)
    publish_clarification(clarification_id=clarification.pk, actor=None)
    unpublish_clarification(clarification_id=clarification.pk, actor=None, reason="Feil tittel")
    Clarification.objects.filter(pk=clarification.pk).update(
        title_nb="Avklaring om språk i tilbudet", title_en="Clarification on tender language"
    )
    publish_clarification(clarification_id=clarification.pk, actor=None)
    url = reverse("conferences:package", kwargs={"slug": conference.slug})

    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    changelog = page[page.index('id="changelog-heading"') :]
    assert [c.title_en for c in PackageChange.objects.order_by("pk")] == [
        "Clarification on language",
        "Clarification on language",
        "Clarification on tender language",
    ]
    assert changelog.count("Clarification on language") == 2
    assert changelog.count("Clarification on tender language") == 1


def test_package_file_changelog_title_in_each_language():
    conference = _trilingual(status=ConferenceStatus.FOLLOW_UP)
    publish_clarification(clarification_id=_clarification(conference).pk, actor=None)

    views = gather_content(conference_id=conference.pk).views

    titles = {lang: views[lang]["changelog"][0]["title"] for lang in ("nb", "nn", "en")}
    assert (titles["en"]["text"], titles["en"]["fallback"]) == ("Clarification on language", False)
    assert (titles["nn"]["text"], titles["nn"]["fallback"]) == ("Avklaring om språk", True)
    assert titles["nn"]["note"] == NOTE_NN


# --- 3. The buyer's email signature ------------------------------------------------------------


def test_buyer_email_signature_reads_the_active_language_or_bokmal():
    buyer = make_buyer(**SIGNATURES)

    signatures = {}
    for language in ("nb", "nn", "en"):
        with translation.override(language):
            signatures[language] = buyer.email_signature

    assert signatures == {
        "nb": "Med vennlig hilsen\nInnkjøpsteamet",
        "nn": "Med venleg helsing\nInnkjøpsteamet",
        "en": "Med vennlig hilsen\nInnkjøpsteamet",  # no English signature: Bokmål
    }


def test_admin_buyer_email_signature_in_three_languages_round_trip(client, roles):
    client.force_login(make_staff())
    data = {
        "name_nb": "Kystverket",
        "accessibility_statement_url": "https://uustatus.example/kystverket",
        "contact_email": "innkjop@kystverket.example",
        "email_signature_nb": "Med vennlig hilsen",
        "email_signature_nn": "Med venleg helsing",
        "email_signature_en": "Kind regards",
    }

    form = client.get(reverse("admin:conferences_buyerorganisation_add")).content.decode()
    response = client.post(reverse("admin:conferences_buyerorganisation_add"), data)

    assert 'name="email_signature_en"' in form
    assert response.status_code == 302
    buyer = BuyerOrganisation.objects.get(name_nb="Kystverket")
    assert (buyer.email_signature_nb, buyer.email_signature_nn, buyer.email_signature_en) == (
        "Med vennlig hilsen",
        "Med venleg helsing",
        "Kind regards",
    )


def test_archive_email_ends_with_the_signature_in_the_recipients_language(roles):
    buyer = make_buyer(**SIGNATURES, email_signature_en="Kind regards\nThe procurement team")
    conference = _trilingual(buyer=buyer)  # not held yet: everyone gets the plain version
    recipients = {
        language: make_registration(conference=conference, language=language)
        for language in ("nb", "nn", "en")
    }
    recording = make_recording(conference=conference)

    with translation.override("nb"):  # staff publishing in Bokmål
        publish_recording(recording_id=recording.pk, actor=None, caption_override_reason="")

    emails = {
        e.registration_id: e.body_text
        for e in OutboundEmail.objects.filter(kind=ARCHIVE_EMAIL_KIND)
    }
    assert "Med vennlig hilsen\nInnkjøpsteamet" in emails[recipients["nb"].pk]
    assert "Med venleg helsing\nInnkjøpsteamet" in emails[recipients["nn"].pk]
    assert "Kind regards\nThe procurement team" in emails[recipients["en"].pk]
    assert "Med vennlig hilsen" not in emails[recipients["en"].pk]


# --- The migration -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_migration_copies_speaker_signature_and_changelog_title_into_bokmal():
    before = [("conferences", "0016_dialogue_rules_prefilled_in_bokmal")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    Buyer = old_apps.get_model("conferences", "BuyerOrganisation")
    buyer = Buyer.objects.create(
        name="Kystverket",
        name_nb="Kystverket",
        accessibility_statement_url="https://uustatus.example/kystverket",
        contact_email="innkjop@kystverket.example",
        email_signature="Med vennlig hilsen",
    )
    Conference = old_apps.get_model("conferences", "Conference")
    starts = dt.datetime(2027, 3, 27, 9, tzinfo=dt.UTC)
    conference = Conference.objects.create(
        buyer=buyer,
        title="Fyrdialog",
        title_nb="Fyrdialog",
        slug="fyrdialog",
        summary="Kort.",
        summary_nb="Kort.",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=3),
        registration_opens_at=starts - dt.timedelta(days=30),
        registration_closes_at=starts,
        contact_email="innkjop@kystverket.example",
        dialogue_rules="Regler.",
        dialogue_rules_nb="Regler.",
    )
    old_apps.get_model("conferences", "AgendaItem").objects.create(
        conference=conference,
        starts_at=starts,
        title="Velkommen",
        title_nb="Velkommen",
        speaker="Innkjøpsleder",
    )
    old_apps.get_model("conferences", "PackageChange").objects.create(
        conference=conference,
        action="published",
        item_kind="clarification",
        item_id=1,
        title="Avklaring om språk",
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert BuyerOrganisation.objects.get().email_signature_nb == "Med vennlig hilsen"
    assert AgendaItem.objects.get().speaker_nb == "Innkjøpsleder"
    change = PackageChange.objects.get()
    assert (change.title_nb, change.title_nn, change.title_en) == ("Avklaring om språk", None, None)
