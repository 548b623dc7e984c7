"""The conference page's status buttons: only the steps the lifecycle service accepts from the
current status are offered, each as a real button; a step it does not accept is refused with a
message (and the service still refuses it as the last guard)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from conferences.choices import ConferenceStatus
from conferences.models import StatusChange
from conferences.services import can_transition, next_statuses
from tests.factories import make_conference, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, roles):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(make_staff())
    return client


def _change_url(conference) -> str:
    return reverse("admin:conferences_conference_change", args=[conference.pk])


@pytest.mark.parametrize("status", ConferenceStatus.values)
def test_conference_page_offers_only_the_next_statuses_as_buttons(staff_client, status):
    conference = make_conference(status=status)

    response = staff_client.get(_change_url(conference))

    html = response.content.decode()
    offered = re.findall(r'class="button dk-button dk-status-(\w+)"', html)
    assert offered == [s.value for s in next_statuses(status)]
    assert [t["status"] for t in response.context["transitions"]] == offered
    for target in offered:
        url = reverse("admin:conferences_conference_transition", args=[conference.pk, target])
        assert f'<form method="get" action="{url}">' in html
    # No status step is a bare link any more.
    assert "Status: " not in "".join(re.findall(r"<li><a [^>]*>[^<]*</a></li>", html))


def test_conference_page_from_published_offers_draft_live_and_closed(staff_client):
    conference = make_conference(status=ConferenceStatus.PUBLISHED)

    html = staff_client.get(_change_url(conference)).content.decode()

    assert re.findall(r'dk-status-\w+">([^<]*)</button>', html) == [
        "Change to “Draft”…",
        "Change to “Live”…",
        "Change to “Closed”…",
    ]


@pytest.mark.parametrize("method", ["get", "post"])
def test_transition_to_an_invalid_status_is_refused_with_a_message(staff_client, method):
    conference = make_conference(status=ConferenceStatus.DRAFT)
    url = reverse("admin:conferences_conference_transition", args=[conference.pk, "closed"])

    response = getattr(staff_client, method)(
        url, {"notice_reference": "2026-104512"} if method == "post" else None, follow=True
    )

    assert response.redirect_chain == [(_change_url(conference), 302)]
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["A conference cannot go from “Draft” to “Closed”."]
    conference.refresh_from_db()
    assert conference.status == ConferenceStatus.DRAFT
    assert StatusChange.objects.count() == 0


def test_transition_offered_then_made_stale_is_refused(staff_client):
    """Staff opened "Change to Follow-up" on a live conference; someone else took that step
    meanwhile, so the confirmation arrives for a step that no longer exists."""
    conference = make_conference(status=ConferenceStatus.LIVE)
    from conferences.services import transition_conference

    transition_conference(
        conference_id=conference.pk, to_status=ConferenceStatus.FOLLOW_UP, actor=None
    )

    response = staff_client.post(
        reverse("admin:conferences_conference_transition", args=[conference.pk, "follow_up"]),
        {},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == [
        "A conference cannot go from “Follow-up” to “Follow-up”."
    ]
    assert StatusChange.objects.count() == 1


def test_transition_to_an_unknown_status_is_forbidden(staff_client):
    conference = make_conference(status=ConferenceStatus.DRAFT)

    response = staff_client.post(
        reverse("admin:conferences_conference_transition", args=[conference.pk, "deleted"])
    )

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        ("draft", "published", True),
        ("draft", "closed", False),
        ("published", "live", True),
        ("follow_up", "closed", True),
        ("closed", "draft", False),
        ("live", "nonsense", False),
    ],
)
def test_can_transition_follows_the_lifecycle_table(start, target, allowed):
    assert can_transition(from_status=start, to_status=target) is allowed
