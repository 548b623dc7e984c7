"""The moderator dashboard's actions: the JSON answer the dashboard's script uses (the card as
it is now), the plain form POST and redirect without JavaScript, the conflicting case of two
moderators, "wording edited by" only after a real edit, and duplicate suggestions ranked by
pg_trgm similarity (with the same ranking computed in Python for SQLite)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from qa import selectors, services
from qa.models import Question
from tests.factories import make_moderator, make_question, make_registration

pytestmark = pytest.mark.django_db

FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}


def _url(conference, question, action: str) -> str:
    return f"/moderate/{conference.slug}/questions/{question.pk}/{action}/"


def _moderator(username: str) -> tuple:
    user = make_moderator(username=username)
    client = Client()
    client.force_login(user)
    return user, client


# --- In place (JSON) --------------------------------------------------------------------------


def test_approve_with_fetch_returns_updated_card_as_json(live_conference, moderator_client):
    question = make_question(
        conference=live_conference, text="Blir kontrakten delt i delkontrakter?"
    )

    response = moderator_client.post(
        _url(live_conference, question, "approve"), {"version": 1}, **FETCH
    )

    question.refresh_from_db()
    data = response.json()
    assert (response.status_code, question.status, question.version) == (200, "published", 2)
    assert data["ok"] is True
    assert data["message"] == f"Spørsmål {question.pk} er publisert."
    assert f'id="q-{question.pk}"' in data["card"]
    assert 'data-status="published"' in data["card"]
    assert 'data-version="2"' in data["card"]


def test_reject_with_fetch_stores_reason_and_card_shows_it(live_conference, moderator_client):
    question = make_question(conference=live_conference)

    response = moderator_client.post(
        _url(live_conference, question, "reject"),
        {"version": 1, "reason": "Gjelder ikke denne anskaffelsen."},
        **FETCH,
    )

    question.refresh_from_db()
    assert (question.status, question.rejection_reason) == (
        "rejected",
        "Gjelder ikke denne anskaffelsen.",
    )
    assert "Gjelder ikke denne anskaffelsen." in response.json()["card"]
    assert 'data-status="rejected"' in response.json()["card"]


def test_reject_with_fetch_without_reason_is_refused_with_translated_message(
    live_conference, moderator_client
):
    question = make_question(conference=live_conference)

    response = moderator_client.post(
        _url(live_conference, question, "reject"), {"version": 1, "reason": ""}, **FETCH
    )

    question.refresh_from_db()
    assert (response.status_code, question.status) == (400, "awaiting")
    assert response.json()["message"].startswith("Ingenting ble endret")
    assert 'data-status="awaiting"' in response.json()["card"]


def test_second_moderator_conflict_gets_translated_message_and_current_card(live_conference):
    _, first_client = _moderator("moderator-en")
    _, second_client = _moderator("moderator-to")
    question = make_question(conference=live_conference)
    first_client.post(_url(live_conference, question, "approve"), {"version": 1}, **FETCH)

    # The second moderator still sees version 1 and tries to reject it.
    response = second_client.post(
        _url(live_conference, question, "reject"), {"version": 1, "reason": "Dublett"}, **FETCH
    )

    question.refresh_from_db()
    data = response.json()
    assert (response.status_code, question.status, question.rejection_reason) == (
        409,
        "published",
        "",
    )
    assert data["ok"] is False
    assert data["level"] == "warning"
    assert data["message"] == (
        "En annen moderator (moderator-en) endret dette spørsmålet først: det har nå status "
        "«Publisert». Endringen din ble ikke lagret; spørsmålet nedenfor viser hva som ble gjort."
    )
    assert 'data-status="published"' in data["card"]
    assert 'data-version="2"' in data["card"]


def test_second_moderator_conflict_without_javascript_redirects_with_message(live_conference):
    _, first_client = _moderator("moderator-en")
    _, second_client = _moderator("moderator-to")
    target = make_question(conference=live_conference, status="published")
    question = make_question(conference=live_conference)
    first_client.post(_url(live_conference, question, "approve"), {"version": 1})

    response = second_client.post(
        _url(live_conference, question, "merge"), {"version": 1, "into": target.pk}, follow=True
    )

    html = response.content.decode()
    question.refresh_from_db()
    assert question.status == "published"
    assert response.redirect_chain[-1][0].endswith(
        f"/moderate/{live_conference.slug}/#q-{question.pk}"
    )
    assert "En annen moderator (moderator-en) endret dette spørsmålet først" in html
    assert 'data-version="2"' in html


# --- Without JavaScript (POST and redirect) ---------------------------------------------------


def test_reject_without_javascript_redirects_to_card_with_message(
    live_conference, moderator_client
):
    question = make_question(conference=live_conference)

    response = moderator_client.post(
        _url(live_conference, question, "reject"),
        {"version": 1, "reason": "Utenfor tema."},
        follow=True,
    )

    question.refresh_from_db()
    assert question.status == "rejected"
    assert response.redirect_chain == [(f"/moderate/{live_conference.slug}/#q-{question.pk}", 302)]
    assert (
        f"Spørsmål {question.pk} er ikke publisert; den som spurte får vite hvorfor."
        in response.content.decode()
    )


def test_suggested_merge_without_javascript_is_one_form(live_conference, moderator_client):
    target = make_question(
        conference=live_conference, status="published", text="Hvor lang er kontraktsperioden?"
    )
    duplicate = make_question(conference=live_conference, text="Hvor lang blir kontraktsperioden?")
    html = moderator_client.get(f"/moderate/{live_conference.slug}/").content.decode()
    assert f'name="into" value="{target.pk}"' in html

    response = moderator_client.post(
        _url(live_conference, duplicate, "merge"), {"version": 1, "into": target.pk}, follow=True
    )

    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into_id) == ("merged", target.pk)
    assert (
        f"Spørsmål {duplicate.pk} er slått sammen med spørsmål {target.pk}."
        in response.content.decode()
    )


def test_no_javascript_dashboard_has_reject_and_merge_on_the_card(
    live_conference, moderator_client
):
    make_question(conference=live_conference, status="published", text="Publisert?")
    question = make_question(conference=live_conference)

    html = moderator_client.get(f"/moderate/{live_conference.slug}/").content.decode()

    card = html[html.index(f'id="q-{question.pk}"') :]
    card = card[: card.index("</li>\n")]
    assert f'action="/moderate/{live_conference.slug}/questions/{question.pk}/reject/"' in card
    assert f'action="/moderate/{live_conference.slug}/questions/{question.pk}/merge/"' in card
    assert "Flere handlinger" not in card
    assert 'type="number"' not in card  # no typing of question numbers


# --- "Wording edited by" ----------------------------------------------------------------------


def test_plain_approve_does_not_claim_an_edit(live_conference, moderator_client):
    question = make_question(conference=live_conference, text="Uendret?")

    data = moderator_client.post(
        _url(live_conference, question, "approve"), {"version": 1, "text": "Uendret?"}, **FETCH
    ).json()

    question.refresh_from_db()
    assert question.text_edited_by is None
    assert "endret av" not in data["card"]
    assert "Sist endret" not in data["card"]


def test_approve_with_new_wording_names_the_editor(live_conference):
    user, client = _moderator("redaktor")
    question = make_question(conference=live_conference, text="skrivefeil?")

    data = client.post(
        _url(live_conference, question, "approve"),
        {"version": 1, "text": "Uten skrivefeil?"},
        **FETCH,
    ).json()

    question.refresh_from_db()
    assert (question.text, question.original_text, question.text_edited_by) == (
        "Uten skrivefeil?",
        "skrivefeil?",
        user,
    )
    assert "Ordlyden er endret av redaktor" in data["card"]


# --- Duplicate suggestions ----------------------------------------------------------------------


def test_trigram_suggestions_ranked_by_similarity_on_postgresql(live_conference):
    assert connection.vendor == "postgresql"
    registration = make_registration(conference=live_conference)
    close = make_question(
        registration=registration, status="published", text="Hvor lang er kontraktsperioden?"
    )
    nearer = make_question(
        registration=registration, status="answered", text="Hvor lang blir kontraktsperioden?"
    )
    make_question(registration=registration, status="published", text="Godtas engelsk språk?")
    awaiting_twin = make_question(
        registration=registration, text="Hvor lang blir kontraktsperioden?"
    )
    other = make_question(conference=live_conference, status="published", text="Hvor lang kontrakt")
    incoming = make_question(registration=registration, text="Hvor lang blir kontraktsperioden da?")

    ranked = selectors.duplicate_suggestions(
        conference=live_conference, questions=[incoming], candidates=[]
    )

    # Public questions only (an awaiting twin cannot be a merge target), best first, the
    # unrelated one left out.
    assert ranked[incoming.pk][:2] == [nearer.pk, close.pk]
    assert awaiting_twin.pk not in ranked[incoming.pk]
    assert set(ranked[incoming.pk]) <= {nearer.pk, close.pk, other.pk}
    texts = [Question.objects.get(pk=pk).text for pk in ranked[incoming.pk]]
    assert "Godtas engelsk språk?" not in texts


def test_python_similarity_matches_pg_trgm():
    pairs = [
        ("Hvor lang er kontraktsperioden?", "Hvor lang blir kontraktsperioden?"),
        ("Godtas engelsk språk?", "Hvor lang er kontraktsperioden?"),
        ("Blir det delkontrakter (lots)?", "Deles kontrakten i delkontrakter?"),
        ("Kan vi levere på nynorsk, bokmål eller engelsk?", "Er engelsk greit?"),
    ]
    with connection.cursor() as cursor:
        for a, b in pairs:
            cursor.execute("SELECT similarity(%s, %s)", [a, b])
            expected = cursor.fetchone()[0]
            assert selectors.trigram_similarity(a, b) == pytest.approx(expected, abs=1e-6)


def test_python_fallback_ranks_like_postgresql(live_conference):
    registration = make_registration(conference=live_conference)
    candidates = [
        make_question(registration=registration, status="published", text=text)
        for text in (
            "Hvor lang er kontraktsperioden?",
            "Hvor lang blir kontraktsperioden?",
            "Godtas engelsk språk?",
        )
    ]
    incoming = make_question(registration=registration, text="Hvor lang blir kontraktsperioden da?")
    in_database = selectors.duplicate_suggestions(
        conference=live_conference, questions=[incoming], candidates=candidates
    )

    vendor = connection.vendor
    connection.vendor = "sqlite"  # the fallback branch; the data stays the same
    try:
        in_python = selectors.duplicate_suggestions(
            conference=live_conference, questions=[incoming], candidates=candidates
        )
    finally:
        connection.vendor = vendor

    assert in_python == in_database
    assert in_python[incoming.pk] == [candidates[1].pk, candidates[0].pk]


def test_card_endpoint_lists_suggestions_most_similar_first(live_conference, moderator_client):
    far = make_question(conference=live_conference, status="published", text="Hvor lang kontrakt?")
    near = make_question(
        conference=live_conference, status="published", text="Hvor lang blir kontraktsperioden?"
    )
    incoming = make_question(conference=live_conference, text="Hvor lang blir kontraktsperioden?")

    html = moderator_client.get(
        f"/moderate/{live_conference.slug}/questions/{incoming.pk}/card/"
    ).content.decode()

    assert html.index(f"Slå sammen med #{near.pk}") < html.index(f"Slå sammen med #{far.pk}")


def test_dashboard_strings_for_the_script_are_translated(live_conference, moderator_client):
    html = moderator_client.get(f"/moderate/{live_conference.slug}/").content.decode()

    assert 'data-label-reconnecting="Kobler til på nytt …"' in html
    assert 'data-label-new="Nytt spørsmål #{id} venter på moderering: {text}"' in html
    assert "Hurtigtaster" in html


def test_dashboard_strings_in_nynorsk(live_conference, moderator_client):
    html = moderator_client.get(
        f"/moderate/{live_conference.slug}/", HTTP_ACCEPT_LANGUAGE="nn"
    ).content.decode()

    assert 'data-label-reconnecting="Koplar til på nytt …"' in html
    assert "Snøggtastar" in html


def test_service_conflict_changes_nothing(live_conference):
    question = make_question(conference=live_conference)
    services.approve_question(
        conference_id=live_conference.pk,
        question_id=question.pk,
        moderator=None,
        expected_version=1,
    )

    with pytest.raises(services.StaleQuestionError):
        services.reject_question(
            conference_id=live_conference.pk,
            question_id=question.pk,
            moderator=None,
            expected_version=1,
            reason="For sent",
        )

    question.refresh_from_db()
    assert (question.status, question.version, question.rejection_reason) == ("published", 2, "")


@pytest.mark.parametrize(
    ("action", "data", "expected"),
    [
        (
            "tag",
            {"topics": "kontrakt, språk"},
            {"topics": "kontrakt, språk", "status": "published"},
        ),
        ("pin", {"pinned": "on"}, {"pinned": True, "status": "published"}),
        ("answered-live", {}, {"answered_live": True, "status": "answered"}),
        ("answer", {"text": "Fire år med opsjon."}, {"status": "answered"}),
    ],
)
def test_other_actions_with_fetch_update_the_card(
    live_conference, moderator_client, action, data, expected
):
    question = make_question(conference=live_conference, status="published")

    response = moderator_client.post(
        _url(live_conference, question, action), {"version": 1, **data}, **FETCH
    )

    question.refresh_from_db()
    card = response.json()["card"]
    assert {key: getattr(question, key) for key in expected} == expected
    assert f'data-status="{question.status}"' in card
    assert 'data-version="2"' in card
    if action == "answer":
        assert question.answer.text == "Fire år med opsjon."
        assert "Fire år med opsjon." in card
    if action == "tag":
        assert "kontrakt, språk" in card
