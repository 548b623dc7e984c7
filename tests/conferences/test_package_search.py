"""Search in the information package: PostgreSQL full-text search per language, only what is
published, never an asker, links to the moment in the video, escaped highlights, a fixed number
of queries, and bad input answered with a message."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conferences.choices import ConferenceStatus
from conferences.demo import CAPTIONS, _webvtt
from conferences.models import Caption, Recording, TranscriptSegment
from conferences.package.publishing import publish_recording, save_recording
from conferences.package.search import (
    MAX_QUERY_LENGTH,
    SearchQueryError,
    _python_headline,
    clean_query,
    search_package,
)
from conferences.package.transcripts import transcript_passages
from qa.models import Answer
from tests.conferences.package_factories import (
    make_clarification,
    make_document,
    make_recording,
    webm_bytes,
)
from tests.factories import make_conference, make_question, make_registration

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


def _client(language: str = "en") -> Client:
    return Client(headers={"accept-language": language})


@pytest.fixture
def conference():
    return make_conference(
        status=ConferenceStatus.FOLLOW_UP, title="Farledsdialog", slug="farledsdialog"
    )


def _answered(conference, question: str, answer: str = "", **answer_fields) -> object:
    q = make_question(conference=conference, status="answered", text=question)
    if answer or answer_fields:
        Answer.objects.create(
            question=q, text_nb=answer, published_at=timezone.now(), **answer_fields
        )
    return q


def _published_recording(conference, *, transcript: str = "", title: str = "Hovedsending"):
    """An uploaded recording with nb and en captions (the demo's cues), published the way staff
    publish it, so its transcript passages are written."""
    recording = Recording(
        conference=conference,
        title=title,
        order=1,
        duration=dt.timedelta(hours=2),
        transcript_nb=transcript,
    )
    recording.video_file = ContentFile(webm_bytes(), name="opptak.webm")
    save_recording(recording=recording, changed_fields={"video_file"})
    for language, cues in CAPTIONS.items():
        Caption.objects.create(
            recording=recording,
            language=language,
            file=ContentFile(_webvtt(cues), name=f"{language}.vtt"),
        )
    return publish_recording(recording_id=recording.pk, actor=None)


def _search(conference=None, language: str = "en", **params) -> tuple[object, str]:
    if conference is None:
        path = reverse("conferences:archive_search")
    else:
        path = reverse("conferences:package_search", kwargs={"slug": conference.slug})
    response = _client(language).get(path, params)
    assert response.status_code == 200
    return response, response.content.decode()


def _package_path(conference) -> str:
    return reverse("conferences:package", kwargs={"slug": conference.slug})


def _hits(response) -> list:
    return response.context["results"].hits


# --- Language ---------------------------------------------------------------------------------


def test_search_finds_a_norwegian_word_by_its_inflected_form(conference):
    question = _answered(
        conference, "Kan vi be om et møte?", "Ja, alle får tilbud om et møte med oss."
    )

    response, html = _search(conference, "nb", q="møtene")

    assert sorted((h.kind, h.ref) for h in _hits(response)) == [
        ("answer", question.pk),
        ("question", question.pk),
    ]
    assert "<mark>møte</mark>" in html
    package = reverse("conferences:package", kwargs={"slug": conference.slug})
    assert {h.url for h in _hits(response)} == {f"{package}#q-{question.pk}"}


def test_search_finds_an_english_phrase_in_the_english_transcript_at_its_moment(conference):
    recording = _published_recording(conference, transcript="")

    response, html = _search(conference, "en", q='"announced in Doffin"')

    hits = _hits(response)
    moment = f"{_package_path(conference)}?t=4#recording-{recording.pk}"
    assert [(h.kind, h.language, h.url, h.seconds) for h in hits] == [
        ("transcript", "en", moment, 4)
    ]
    assert f'href="{moment}"' in html
    assert "At 0:04 in “Hovedsending”" in html
    assert "<mark>announced</mark>" in html


def test_transcript_lines_with_timecodes_link_to_their_second(conference):
    recording = _published_recording(
        conference,
        transcript=(
            "[0:00:05] Velkommen til dialogkonferansen.\n"
            "[1:02:10] Vi holder møter med hver leverandør.\n"
            "Møtene varer en time."
        ),
    )

    response, _html = _search(conference, "nb", q="møte")

    moment = f"{_package_path(conference)}?t=3730#recording-{recording.pk}"
    assert sorted((h.seconds, h.url) for h in _hits(response) if h.kind == "transcript") == [
        (3730, moment),
        (3730, moment),
    ]


def test_chapters_and_document_titles_and_clarifications_are_found(conference):
    recording = make_recording(
        conference=conference, chapters=((95, "Tidsplan for konkurransen"),), title="Opptak"
    )
    publish_recording(recording_id=recording.pk, actor=None)
    document = make_document(conference=conference, published=True, title="Tidsplan og krav")
    clarification = make_clarification(
        conference=conference, published=True, title="Om opsjoner", text="Tidsplanen står fast."
    )

    response, _html = _search(conference, "nb", q="tidsplan")

    package = _package_path(conference)
    document_url = reverse(
        "conferences:document_file", kwargs={"slug": conference.slug, "pk": document.pk}
    )
    assert sorted((h.kind, h.url) for h in _hits(response)) == [
        ("chapter", f"{package}?t=95#recording-{recording.pk}"),
        ("clarification", f"{package}#clarification-{clarification.pk}"),
        ("document", document_url),
    ]


@pytest.mark.parametrize("words", ["MØTE", "mote", "Møte", "MOTENE"])
def test_search_ignores_accents_and_case(conference, words):
    question = _answered(conference, "Når er møtet?")

    response, _html = _search(conference, "nb", q=words)

    assert [(h.kind, h.ref) for h in _hits(response)] == [("question", question.pk)]


def test_english_reader_finds_the_english_answer_and_sees_it_in_english(conference):
    question = _answered(
        conference,
        "Hvor lenge varer kontrakten?",
        "Kontrakten varer i fire år.",
        text_en="The contract runs for four years.",
    )

    response, html = _search(conference, "en", q="contracts running")
    nb_response, nb_html = _search(conference, "nb", q="kontraktene")

    assert [(h.kind, h.ref, h.language) for h in _hits(response)] == [("answer", question.pk, "en")]
    assert "<mark>contract</mark> <mark>runs</mark>" in html
    assert ("answer", "nb") in {(h.kind, h.language) for h in _hits(nb_response)}
    assert "fire år" in nb_html


def test_english_reader_finds_bokmal_text_where_english_is_missing(conference):
    question = _answered(conference, "Spørsmål om avtaler", "Avtalene følger med.")

    response, html = _search(conference, "en", q="avtale")

    assert ("answer", question.pk, "nb") in {(h.kind, h.ref, h.language) for h in _hits(response)}
    assert 'lang="nb"' in html


# --- Only what is published, never who asked ----------------------------------------------------


def test_search_never_finds_unpublished_material(conference):
    for status in ("awaiting", "rejected"):
        make_question(conference=conference, status=status, text=f"Hemmelig møte {status}?")
    target = _answered(conference, "Offentlig møte?")
    make_question(
        conference=conference,
        status="merged",
        merged_into=target,
        text="Sammenslått møte?",
    )
    rejected = make_question(conference=conference, status="rejected", text="Avvist?")
    Answer.objects.create(
        question=rejected, text="Svar på avvist møte.", published_at=timezone.now()
    )
    make_clarification(conference=conference, title="Utkast om møte", text="Ikke publisert.")
    make_document(conference=conference, title="Upubliserte møtelysark")
    withdrawn = _published_recording(conference, transcript="Møte i opptaket som ble trukket.")
    Recording.objects.filter(pk=withdrawn.pk).update(published_at=None)
    live = make_conference(status=ConferenceStatus.LIVE)
    _answered(live, "Møte under sendingen?")  # Q&A is public only after the conference
    draft = make_conference(status=ConferenceStatus.DRAFT)
    make_clarification(conference=draft, published=True, title="Kladd", text="Møte i kladd.")

    response, html = _search(None, "nb", q="møte")

    assert [(h.kind, h.ref) for h in _hits(response)] == [("question", target.pk)]
    for hidden in ("Hemmelig", "Sammenslått", "avvist", "Utkast", "Upubliserte", "trukket"):
        assert hidden not in html


def test_search_never_shows_who_asked(conference):
    registration = make_registration(
        conference=conference,
        organisation_name="Skjult Leverandør AS",
        contact_name="Kari Spørsmålsen",
        email="kari@skjult.example",
        listed_publicly=True,
    )
    make_question(
        registration=registration,
        status="answered",
        show_company=True,
        text="Gjelder møtet alle?",
    )

    response, html = _search(conference, "nb", q="møtet")

    assert len(_hits(response)) == 1
    for identity in ("Skjult Leverandør", "Kari Spørsmålsen", "kari@skjult.example"):
        assert identity not in html


def test_package_search_is_limited_to_its_conference_and_the_archive_searches_all(conference):
    other = make_conference(status=ConferenceStatus.CLOSED, title="Annen dialog")
    mine = _answered(conference, "Et møte her?")
    theirs = _answered(other, "Et møte der?")

    package_response, _ = _search(conference, "nb", q="møte")
    archive_response, archive_html = _search(None, "nb", q="møte")

    assert [h.ref for h in _hits(package_response)] == [mine.pk]
    assert sorted(h.ref for h in _hits(archive_response)) == sorted([mine.pk, theirs.pk])
    assert "Annen dialog" in archive_html


# --- Safe output ------------------------------------------------------------------------------


def test_html_in_content_is_escaped_and_only_the_highlight_is_markup(conference):
    _answered(
        conference,
        '<script>alert("x")</script> Møte <b onmouseover=alert(1)>her</b>?',
        "Svar med <img src=x onerror=alert(1)> om møtet \ue000 og \ue001.",
    )

    _response, html = _search(conference, "nb", q="møte")

    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "<b onmouseover" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert html.count("<mark>") == html.count("</mark>") == 2


def test_python_highlight_of_the_fallback_escapes_and_marks():
    assert str(_python_headline("<b>Møte</b> om MØTE", "møte")) == (
        "&lt;b&gt;<mark>Møte</mark>&lt;/b&gt; om <mark>MØTE</mark>"
    )


# --- Input and pages ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Enter one or more words to search for."),
        ("   ", "Enter one or more words to search for."),
        ("x" * (MAX_QUERY_LENGTH + 1), f"Use at most {MAX_QUERY_LENGTH} characters in a search."),
    ],
)
def test_empty_or_too_long_query_gives_a_message(conference, raw, message):
    response, html = _search(conference, "en", q=raw)

    assert response.context["results"] is None
    assert response.context["search_error"] == message
    assert message in html
    assert 'aria-invalid="true"' in html


def test_empty_query_message_is_translated(conference):
    _response, html = _search(conference, "nn", q="")

    assert "Skriv inn eitt eller fleire ord å søkje etter." in html


@pytest.mark.parametrize(
    "words", ["&", "!!!", "og", '"', "møte | (", "-", "'; drop table x; --", "a:*", "<>"]
)
def test_odd_queries_answer_without_error(conference, words):
    _answered(conference, "Et møte?")

    response, _html = _search(None, "nb", q=words, page="99999999999")

    assert response.context["search_error"] == ""
    assert response.context["results"].page == 1


def test_search_page_without_a_query_shows_only_the_box(conference):
    response, html = _search(conference, "en")

    assert response.context["results"] is None
    assert 'role="search"' in html
    assert "Search this information package" in html


def test_unknown_or_draft_conference_is_not_found():
    draft = make_conference(status=ConferenceStatus.DRAFT)

    response = _client().get(
        reverse("conferences:package_search", kwargs={"slug": draft.slug}), {"q": "møte"}
    )

    assert response.status_code == 404


def test_results_are_paginated(conference):
    for n in range(25):
        _answered(conference, f"Spørsmål {n} om møte?")

    first, _ = _search(conference, "nb", q="møte")
    second, html = _search(conference, "nb", q="møte", page="2")

    assert (first.context["results"].total, len(_hits(first))) == (25, 20)
    assert (second.context["results"].page, len(_hits(second))) == (2, 5)
    assert {h.ref for h in _hits(first)}.isdisjoint({h.ref for h in _hits(second)})
    assert "Side 2 av 2" in html


@pytest.mark.parametrize("hits", [5, 50])
def test_search_page_queries_do_not_grow_with_hits(conference, django_assert_max_num_queries, hits):
    for n in range(hits):
        _answered(conference, f"Spørsmål {n} om møte?", f"Svar {n} om møtet.")
    path = reverse("conferences:package_search", kwargs={"slug": conference.slug})
    client = _client("nb")

    with django_assert_max_num_queries(2):  # the conference, the page of hits
        response = client.get(path, {"q": "møte"})

    assert response.context["results"].total == 2 * hits


def test_archive_and_package_pages_have_the_search_box(conference):
    make_clarification(conference=conference, published=True)

    archive = _client().get(reverse("conferences:archive")).content.decode()
    package = (
        _client()
        .get(reverse("conferences:package", kwargs={"slug": conference.slug}))
        .content.decode()
    )

    assert f'action="{reverse("conferences:archive_search")}"' in archive
    search_url = reverse("conferences:package_search", kwargs={"slug": conference.slug})
    assert f'action="{search_url}"' in package


# --- Transcript passages --------------------------------------------------------------------------


def test_transcript_passages_take_times_from_timecodes_then_captions():
    cues = [(12, "Konkurransen kunngjøres i Doffin.")]

    passages = transcript_passages(
        "Innledning uten tid.\n\n"
        "Konkurransen  kunngjøres i Doffin.\n"
        "(01:30) Behovet.\n"
        "1:02:03 - Avslutning.\n"
        "Siste linje.",
        cues,
    )

    assert passages == [
        (None, "Innledning uten tid."),
        (12, "Konkurransen  kunngjøres i Doffin."),
        (90, "Behovet."),
        (3723, "Avslutning."),
        (3723, "Siste linje."),
    ]


def test_publishing_writes_passages_per_language(conference):
    recording = _published_recording(conference, transcript="Velkommen.\nBehovet: farleder.")

    rows = list(
        TranscriptSegment.objects.filter(
            recording=recording, language__in=("nb", "en")
        ).values_list("language", "start_seconds", "text")
    )

    assert rows == [
        ("en", 0, "Welcome to the dialogue conference."),
        ("en", 2, "The need: digital monitoring of fairways."),
        ("en", 4, "The competition will be announced in Doffin."),
        ("nb", None, "Velkommen."),
        ("nb", None, "Behovet: farleder."),
    ]


def test_clean_query_collapses_spaces_and_refuses_empty():
    assert clean_query("  møte \n  plan ") == "møte plan"
    with pytest.raises(SearchQueryError):
        clean_query(None)


def test_search_package_on_a_page_past_the_end_gives_the_first_page(conference):
    _answered(conference, "Et møte?")

    page = search_package(words="møte", language="nb", conference_id=conference.pk, page=7)

    assert (page.page, page.total, len(page.hits)) == (1, 1, 1)


def test_english_reader_sees_the_bokmal_text_where_only_it_matches(conference):
    question = _answered(
        conference,
        "Om varighet",
        "Kontrakten varer i fire år.",
        text_en="The agreement runs for four years.",
    )

    response, html = _search(conference, "en", q="kontraktene")

    assert [(h.kind, h.ref, h.language) for h in _hits(response)] == [("answer", question.pk, "nb")]
    assert '<p class="qa-text search-snippet mb-0" lang="nb"><mark>Kontrakten</mark> varer' in html


def test_every_language_column_of_a_source_is_searched():
    from conferences.models import Clarification
    from conferences.package.search import SOURCES, search_languages
    from qa.models import Question

    assert search_languages(Answer, "text", "en") == ["en", "nb"]
    assert search_languages(Clarification, "text", "nn") == ["nn", "nb"]
    assert search_languages(Answer, "text", "nb") == ["nb"]
    assert search_languages(Question, "text", "en") == ["nb"]  # questions stay as asked
    assert {source.kind for source in SOURCES} == {
        "question",
        "answer",
        "clarification",
        "document",
        "chapter",
    }
