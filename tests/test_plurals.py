"""Counts read right in every language: one form for 1, another for 2 (ngettext), and no
English abbreviations in Norwegian."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import ngettext

from dialogkonferanse.common import timefmt


class _Question:
    def __init__(self, votes: int) -> None:
        self.pk, self.vote_count, self.status, self.text = 7, votes, "published", "Hva koster det?"
        self.pinned = self.public_author = self.topics = self.answered_live = self.answer = None


class _Conference:
    slug = "fyr"


@pytest.mark.parametrize(
    ("lang", "one", "two"),
    [("nb", "stemme", "stemmer"), ("nn", "røyst", "røyster"), ("en", "vote", "votes")],
)
def test_public_question_vote_label_singular_and_plural(lang, one, two):
    def label(votes: int) -> str:
        with translation.override(lang):
            html = render_to_string(
                "qa/_public_question.html",
                {"q": _Question(votes), "conference": _Conference(), "voted": set()},
            )
        start = html.index('class="qa-vote-count"')
        return html[start : html.index("</span></span>", start)]

    assert '<span class="qa-votes">1</span> <span class="qa-votes-label"' in label(1)
    assert label(1).endswith(f">{one}")
    assert label(2).endswith(f">{two}")
    # The script switches between the two forms when the count changes live.
    assert f'data-one="{one}" data-other="{two}"' in label(2)


@pytest.mark.parametrize(
    ("lang", "msgid", "plural", "expected"),
    [
        (
            "nb",
            "%(count)d meeting allocated",
            "%(count)d meetings allocated",
            ("1 møte fordelt", "2 møter fordelt"),
        ),
        (
            "nn",
            "%(count)d meeting allocated",
            "%(count)d meetings allocated",
            ("1 møte fordelt", "2 møte fordelte"),
        ),
        (
            "en",
            "%(count)d meeting allocated",
            "%(count)d meetings allocated",
            ("1 meeting allocated", "2 meetings allocated"),
        ),
        (
            "nb",
            "%(count)d meeting cancelled.",
            "%(count)d meetings cancelled.",
            ("1 møte avlyst.", "2 møter avlyst."),
        ),
        ("nn", "%(count)d recipient", "%(count)d recipients", ("1 mottakar", "2 mottakarar")),
        ("nb", "%(counter)s vote", "%(counter)s votes", ("1 stemme", "2 stemmer")),
        ("nn", "%(counter)s vote", "%(counter)s votes", ("1 røyst", "2 røyster")),
        ("en", "%(counter)s vote", "%(counter)s votes", ("1 vote", "2 votes")),
        (
            "nb",
            "%(counter)s registration",
            "%(counter)s registrations",
            ("1 påmelding", "2 påmeldinger"),
        ),
        ("nn", "%(counter)s company", "%(counter)s companies", ("1 verksemd", "2 verksemder")),
        ("nb", "%(counter)s active", "%(counter)s active", ("1 aktiv", "2 aktive")),
    ],
)
def test_counts_singular_for_one_plural_for_two(lang, msgid, plural, expected):
    key = "counter" if "counter" in msgid else "count"
    with translation.override(lang):
        got = tuple(ngettext(msgid, plural, n) % {key: n} for n in (1, 2))
    assert got == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("nb", "De skriftlige svarene er sendt på e-post til 1 påmeldt."),
        ("nn", "Dei skriftlege svara er sende på e-post til 1 påmeld."),
    ],
)
def test_digest_message_for_one_registrant(lang, expected):
    with translation.override(lang):
        text = ngettext(
            "The written answers are emailed to %(n)d registrant.",
            "The written answers are emailed to %(n)d registrants.",
            1,
        ) % {"n": 1}
    assert text == expected


@pytest.mark.parametrize("lang", ["nb", "nn"])
def test_countdown_units_in_norwegian_have_no_english_abbreviations(lang):
    with translation.override(lang):
        forms = [f for unit in timefmt.DURATION_UNITS.values() for f in timefmt.plural_forms(unit)]
        text = timefmt.duration_text(13 * 86400 + 14 * 3600 + 25 * 60)
    words = set(" ".join([*forms, text]).replace("{n}", "").split())
    assert words.isdisjoint({"d", "h", "min", "s", "day", "days", "hours", "minutes"})
