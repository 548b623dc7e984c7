"""The public archive and information package pages: open to all, only what is published."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conferences.choices import ConferenceStatus
from conferences.package.publishing import publish_recording
from tests.conferences.package_factories import (
    make_clarification,
    make_document,
    make_recording,
)
from tests.factories import make_conference, make_question, make_registration

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


@pytest.fixture
def client():
    return Client(headers={"accept-language": "en"})


@pytest.fixture
def conference():
    return make_conference(status=ConferenceStatus.FOLLOW_UP, title="Fyrdialog", slug="fyrdialog")


def _package(client, conference) -> str:
    response = client.get(reverse("conferences:package", kwargs={"slug": conference.slug}))
    assert response.status_code == 200
    return response.content.decode()


def test_archive_without_login_lists_only_conferences_with_published_material(client):
    now = timezone.now()
    with_recording = make_conference(title="Med opptak", starts_at=now + dt.timedelta(days=5))
    make_recording(conference=with_recording, published=True)
    with_document = make_conference(title="Med lysark", starts_at=now + dt.timedelta(days=9))
    make_document(conference=with_document, published=True)
    unpublished_only = make_conference(title="Bare utkast til opptak")
    make_recording(conference=unpublished_only)
    make_clarification(conference=unpublished_only)
    draft = make_conference(title="Kladdekonferanse", status=ConferenceStatus.DRAFT)
    make_recording(conference=draft, published=True)

    response = client.get(reverse("conferences:archive"))

    html = response.content.decode()
    assert response.status_code == 200
    assert [c.title for c in response.context["conferences"]] == ["Med lysark", "Med opptak"]
    assert "1 recording," in html
    assert "Bare utkast til opptak" not in html
    assert "Kladdekonferanse" not in html


def test_package_without_login_shows_only_published_items(client, conference):
    make_recording(
        conference=conference,
        published=True,
        title="Publisert opptak",
        transcript="Velkommen, alle sammen.",
        chapters=((0, "Velkommen"), (95, "Behovet")),
        captions=("nb", "en"),
    )
    make_recording(conference=conference, title="Upublisert opptak")
    make_document(conference=conference, published=True, title="Publiserte lysark")
    make_document(conference=conference, title="Upubliserte lysark")
    make_clarification(conference=conference, published=True, title="Om opsjoner")
    make_clarification(conference=conference, title="Hemmelig utkast")

    html = _package(client, conference)

    assert "Publisert opptak" in html
    assert "Upublisert opptak" not in html
    assert "Publiserte lysark" in html
    assert "Upubliserte lysark" not in html
    assert "Om opsjoner" in html
    assert "Hemmelig utkast" not in html
    assert "Velkommen, alle sammen." in html
    assert '<video id="video-' in html
    assert 'controls preload="metadata"' in html
    assert "autoplay" not in html
    assert html.count('<track kind="captions"') == 2
    assert 'srclang="en" label="English" default' in html
    assert '#t=95" data-seek="95"' in html


def test_package_shows_hash_and_publication_time_of_recording(client, conference):
    recording = make_recording(conference=conference)
    publish_recording(recording_id=recording.pk, actor=None)
    recording.refresh_from_db()

    html = _package(client, conference)

    assert html.count(recording.sha256) == 2  # with the recording, and in the changelog
    local = timezone.localtime(recording.published_at)
    assert f'<time datetime="{local.isoformat()}">' in html


def test_package_caption_override_reason_is_shown(client, conference):
    recording = make_recording(conference=conference, captions=())
    publish_recording(
        recording_id=recording.pk, actor=None, caption_override_reason="Tekstes innen fredag."
    )

    html = _package(client, conference)

    assert "None. The buyer's reason: Tekstes innen fredag." in html


def test_package_of_unpublished_conference_is_not_found(client):
    draft = make_conference(status=ConferenceStatus.DRAFT)

    response = client.get(reverse("conferences:package", kwargs={"slug": draft.slug}))

    assert response.status_code == 404


def test_package_qa_never_shows_askers_unless_they_chose_to(client, conference):
    hidden = make_registration(conference=conference, organisation_name="Skjult Leverandør AS")
    shown = make_registration(conference=conference, organisation_name="Åpen Leverandør AS")
    make_question(registration=hidden, status="published", text="Hva er budsjettet?")
    make_question(
        registration=shown, status="published", text="Kan vi by sammen?", show_company=True
    )
    make_question(registration=hidden, status="awaiting", text="Ikke moderert ennå?")

    html = _package(client, conference)

    assert "Hva er budsjettet?" in html
    assert "Kan vi by sammen?" in html
    assert "Asked by Åpen Leverandør AS." in html
    assert "Skjult Leverandør AS" not in html
    assert "Ikke moderert ennå?" not in html


def test_package_qa_not_shown_before_the_conference_is_over(client):
    live = make_conference(status=ConferenceStatus.LIVE)
    make_recording(conference=live, published=True)
    make_question(conference=live, status="published", text="Hva er budsjettet?")

    html = _package(client, live)

    assert "Hva er budsjettet?" not in html
    assert "published here after the conference" in html


def test_question_answered_live_links_to_its_moment_in_the_recording(client, conference):
    started = (conference.starts_at + dt.timedelta(minutes=5)).replace(microsecond=0)
    recording = make_recording(
        conference=conference,
        published=True,
        recorded_started_at=started,
        duration=dt.timedelta(hours=1),
        title="Hovedsending",
    )
    question = make_question(
        conference=conference,
        status="answered",
        answered_live=True,
        answered_at=started + dt.timedelta(minutes=12, seconds=34),
        text="Når kommer konkurransen?",
    )
    make_question(
        conference=conference,
        status="answered",
        answered_live=True,
        answered_at=started + dt.timedelta(hours=2),
        text="Etter opptaket?",
    )

    html = _package(client, conference)

    video_url = reverse(
        "conferences:recording_video", kwargs={"slug": conference.slug, "pk": recording.pk}
    )
    assert (
        f'<a class="chapter-link" href="{video_url}#t=754" data-seek="754" '
        f'data-video="video-{recording.pk}">Answered live at 12:34 in “Hovedsending”</a>'
    ) in html
    item = html[html.index(f'id="q-{question.pk}"') :]
    item = item[: item.index("</li>")]
    assert "Når kommer konkurransen?" in item
    assert "Answered live at 12:34" in item
    assert html.count("Answered live at") == 1
    assert "Answered live in the broadcast; see the recording." in html


def test_package_lists_meeting_summaries_without_suppliers(client, conference):
    from meetings.models import Meeting, Minutes
    from tests.factories import make_meeting_settings, make_slot

    team = make_meeting_settings(conference=conference).teams.first()
    registration = make_registration(conference=conference, organisation_name="Møtefirma AS")
    meeting = Meeting.objects.create(
        conference=conference, slot=make_slot(team=team), registration=registration
    )
    Minutes.objects.create(
        meeting=meeting,
        internal_notes="Internt: prisnivå 2 MNOK.",
        public_summary="Markedet tilbyr sensorer med fem års batteritid.",
    )

    html = _package(client, conference)

    assert "Markedet tilbyr sensorer med fem års batteritid." in html
    assert "Internt: prisnivå" not in html
    assert "Møtefirma AS" not in html


def test_package_changelog_lists_publications_newest_first(client, conference):
    first = make_recording(conference=conference, title="Første")
    second = make_recording(conference=conference, title="Andre")
    publish_recording(recording_id=first.pk, actor=None)
    publish_recording(recording_id=second.pk, actor=None)

    html = _package(client, conference)
    changelog = html[html.index('id="changelog-heading"') :]

    assert changelog.index("Andre") < changelog.index("Første")
    assert changelog.count("<strong>Published</strong> (recording)") == 2


def test_conference_page_links_package_only_when_material_is_published(client, conference):
    url = reverse("conferences:detail", kwargs={"slug": conference.slug})
    package_url = reverse("conferences:package", kwargs={"slug": conference.slug})
    before = client.get(url).content.decode()
    make_clarification(conference=conference, published=True)

    after = client.get(url).content.decode()

    assert package_url not in before
    assert f'href="{package_url}"' in after


@pytest.mark.parametrize("size", [1, 20])
def test_package_query_count_is_constant(client, django_assert_num_queries, size):
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP)
    started = conference.starts_at
    for i in range(size):
        make_recording(
            conference=conference,
            published=True,
            captions=("nb", "en"),
            chapters=((0, "Start"), (60, "Midt")),
            recorded_started_at=started,
            duration=dt.timedelta(hours=3),
        )
        make_document(conference=conference, published=True)
        make_clarification(conference=conference, published=True)
        make_question(
            conference=conference,
            status="answered",
            answered_live=True,
            answered_at=started + dt.timedelta(minutes=i),
            show_company=bool(i % 2),
        )
        make_registration(conference=conference, listed_publicly=True)
    url = reverse("conferences:package", kwargs={"slug": conference.slug})

    with django_assert_num_queries(10):
        response = client.get(url)

    assert response.status_code == 200
    assert response.content.decode().count("<video ") == size


@pytest.mark.parametrize("size", [1, 20])
def test_archive_query_count_is_constant(client, django_assert_num_queries, size):
    for _ in range(size):
        make_clarification(conference=make_conference(), published=True)

    with django_assert_num_queries(1):
        response = client.get(reverse("conferences:archive"))

    assert len(response.context["conferences"]) == size
