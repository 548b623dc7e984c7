"""Issue 8, the whole story in one run: real Chromium over the app under uvicorn, PostgreSQL,
Redis, a Celery worker and an SMTP server (aiosmtpd).

1. A supplier registers by keyboard alone (asking for a one-to-one meeting), reads the
   confirmation in the SMTP server, opens the personal link, books a meeting and downloads its
   ``.ics``, opens the stream page and asks a question.
2. A moderator, in a second browser, approves and answers it; the supplier's page shows both
   without reloading.
3. Staff create a conference in the admin's add form (split date/time widgets, an agenda
   inline), publish it with the status buttons, upload a recording with a WebVTT caption and
   publish it; they also take the first conference through live to follow-up.
4. Someone who never registered finds both conferences in the archive: the recording with its
   captions, and for the first one the Q&A with the answer and the participant list.

Screenshots of each step land in tests/screenshots/ (``journey-*.png``).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone, translation
from django.utils.translation import gettext
from icalendar import Calendar
from playwright.sync_api import expect

from conferences.choices import ConferenceStatus
from conferences.demo import DEMO_VIDEO
from conferences.models import Conference, Recording
from conferences.package.publishing import publish_recording, save_recording
from meetings.models import Meeting, Slot
from meetings.services import generate_slots
from qa.models import Question
from registrations.models import Registration
from tests.browser.fixtures import save_screenshot
from tests.browser.keyboard import tab_to
from tests.factories import (
    OSLO,
    make_buyer,
    make_conference,
    make_meeting_settings,
    make_moderator,
    make_staff,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMEOUT_MS = 15_000
PASSWORD = "pw-for-tests-123"  # tests.factories.make_user
CAPTION_VTT = (
    "WEBVTT\n\n"
    "00:00:00.000 --> 00:00:02.000\nVelkommen til dialogkonferansen.\n\n"
    "00:00:02.000 --> 00:00:06.000\nSlik ser behovet ut.\n"
)


@pytest.fixture(autouse=True)
def _live_settings(settings, tmp_path):
    """The live server speaks plain HTTP on loopback; links in emails point at it."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.QA_SSE_HEARTBEAT_SECONDS = 2
    settings.MEDIA_ROOT = tmp_path / "media"


def _admin_login(page, base_url: str, user, next_path: str) -> None:
    page.goto(f"{base_url}/admin/login/?next={next_path}")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("input[type=submit]").click()
    assert page.url == base_url + next_path


def _confirm_transition(page, label: str, *, remaining_meetings: str = "") -> None:
    """Click a status button on the conference's admin page and confirm (with the decision
    for the meetings not yet held, when the page asks for one)."""
    with page.expect_navigation():
        page.get_by_role("button", name=f"Change to “{label}”…").click()
    if remaining_meetings:
        page.locator(f'input[name="remaining_meetings"][value="{remaining_meetings}"]').check()
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm").click()
    page.locator(".messagelist .success").wait_for()


def _message_text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _nn(msgid: str, **values: str) -> str:
    with translation.override("nn"):
        return gettext(msgid) % values


def test_supplier_moderator_staff_and_archive_journey(
    live_asgi, new_page, settings, smtp_server, celery_worker, roles, tmp_path
):
    settings.SITE_URL = live_asgi.url
    base = live_asgi.url
    conference = make_conference(
        title="Digital overvåking av farleder",
        slug="farleder",
        offers_one_to_one=True,
        agenda_items=2,
    )
    make_meeting_settings(conference=conference)
    generate_slots(conference_id=conference.pk)
    first_slot = Slot.objects.filter(conference=conference).order_by("starts_at").first()
    moderator_user = make_moderator()
    staff_user = make_staff()

    # --- 1. The supplier registers by keyboard alone -----------------------------------------
    supplier = new_page(lang="en")
    supplier.goto(f"{base}/conferences/{conference.slug}/register/")
    tab_to(supplier, "#id_organisation_name")
    supplier.keyboard.type("Fjordsensor AS")
    tab_to(supplier, "#id_organisation_number")
    supplier.keyboard.type("974 760 673")
    tab_to(supplier, "#id_contact_name")
    supplier.keyboard.type("Kari Nordmann")
    tab_to(supplier, "#id_email")
    supplier.keyboard.type("kari@fjordsensor.example")
    tab_to(supplier, "#id_language")
    supplier.keyboard.press("ArrowUp")  # English (the page's language) → Norsk nynorsk
    assert supplier.locator("#id_language").input_value() == "nn"
    tab_to(supplier, "#id_wants_one_to_one")
    supplier.keyboard.press("Space")
    tab_to(supplier, "#id_one_to_one_topics")
    supplier.keyboard.type("Sensorer på bøyer")
    tab_to(supplier, "#id_listed_publicly")
    supplier.keyboard.press("Space")
    tab_to(supplier, "#id_privacy_acknowledged")
    supplier.keyboard.press("Space")
    save_screenshot(supplier, "journey-01-register-filled-en-desktop")
    tab_to(supplier, "button[type=submit].btn-primary")
    with supplier.expect_navigation():
        supplier.keyboard.press("Enter")
    assert supplier.url == f"{base}/conferences/{conference.slug}/register/thanks/"
    save_screenshot(supplier, "journey-02-registered-en-desktop")

    registration = Registration.objects.get(conference=conference)
    assert (
        registration.organisation_name,
        registration.organisation_number,
        registration.wants_one_to_one,
        registration.listed_publicly,
        registration.language,
    ) == ("Fjordsensor AS", "974760673", True, True, "nn")

    # The confirmation went through the outbox, the Celery worker and SMTP, in Nynorsk.
    (confirmation,) = smtp_server.wait_for(1, timeout=30)
    assert confirmation["To"] == "kari@fjordsensor.example"
    assert confirmation["Subject"].strip() == _nn(
        "You are registered: %(title)s", title=conference.title
    )
    link = re.search(rf"{re.escape(base)}/r/[A-Za-z0-9_-]+/", _message_text(confirmation))
    assert link, _message_text(confirmation)

    # --- The personal link, the booking and the .ics ------------------------------------------
    supplier.goto(link.group(0))
    assert supplier.url == f"{base}/me/{conference.slug}/"
    save_screenshot(supplier, "journey-03-personal-en-desktop")
    with supplier.expect_navigation():
        supplier.get_by_role("link", name="Book your meeting").click()
    tab_to(supplier, "section[aria-labelledby=slots-heading] button")  # the first free time
    with supplier.expect_navigation():
        supplier.keyboard.press("Enter")
    with supplier.expect_navigation():  # the confirmation step
        supplier.get_by_role("button", name="Confirm booking").click()
    supplier.get_by_text("Your meeting is booked").wait_for()
    meeting = Meeting.objects.get(registration=registration)
    assert meeting.slot_id == first_slot.pk
    save_screenshot(supplier, "journey-04-meeting-booked-en-desktop")

    with supplier.expect_download() as download_info:
        supplier.get_by_role("link", name="Add to calendar (.ics)").click()
    download = download_info.value
    assert download.suggested_filename == "meeting.ics"
    ics_path = tmp_path / "downloaded-meeting.ics"
    download.save_as(ics_path)
    ics = ics_path.read_bytes()
    assert ics.startswith(b"BEGIN:VCALENDAR")
    oslo_start = first_slot.starts_at.astimezone(OSLO)
    assert f"DTSTART;TZID=Europe/Oslo:{oslo_start:%Y%m%dT%H%M%S}".encode() in ics
    (event,) = Calendar.from_ical(ics).walk("VEVENT")
    assert event.decoded("dtstart") == first_slot.starts_at
    assert str(event["summary"]) == _nn(
        "One-to-one meeting: %(conference)s", conference=conference.title
    )

    # The invitation email (with its REQUEST .ics) follows, also in Nynorsk.
    invite = smtp_server.wait_for(2, timeout=30)[1]
    attachments = {part.get_content_type(): part for part in invite.iter_attachments()}
    assert "text/calendar" in attachments
    invite_ics = attachments["text/calendar"].get_content()
    invite_ics = invite_ics.decode() if isinstance(invite_ics, bytes) else invite_ics
    assert "METHOD:REQUEST" in invite_ics
    assert f"DTSTART;TZID=Europe/Oslo:{oslo_start:%Y%m%dT%H%M%S}" in invite_ics
    (invite_event,) = Calendar.from_ical(invite_ics).walk("VEVENT")
    assert str(invite_event["summary"]) == str(event["summary"])  # Nynorsk, as above
    assert invite["To"] == "kari@fjordsensor.example"

    # --- The stream page and a question -------------------------------------------------------
    supplier.goto(f"{base}/me/{conference.slug}/")
    with supplier.expect_navigation():
        supplier.get_by_role("link", name="Go to the stream page").click()
    assert supplier.url == f"{base}/me/{conference.slug}/stream/"
    question_text = "Blir kontrakten delt i delkontrakter?"
    supplier.get_by_role("textbox", name="Your question").fill(question_text)
    supplier.get_by_role("button", name="Send the question").click()
    supplier.wait_for_url("**/stream/#own-questions")
    assert question_text in supplier.locator("#own-questions").inner_text()
    # A selector, not wait_for_function: polling a JS string is eval, which the CSP refuses.
    supplier.locator("#qa-stream[data-live=on]").wait_for(state="attached", timeout=TIMEOUT_MS)
    supplier.evaluate("window.__notReloaded = true")

    # --- 2. The moderator approves and answers in a second browser ----------------------------
    moderator = new_page(lang="en")
    _admin_login(moderator, base, moderator_user, f"/moderate/{conference.slug}/")
    card = moderator.locator("[data-column=awaiting] li", has_text=question_text)
    card.wait_for()
    assert "Fjordsensor AS" in card.inner_text()  # the buyer always sees who asked
    moderator.locator("#qa-dashboard[data-live=on]").wait_for(state="attached", timeout=TIMEOUT_MS)
    card.get_by_role("button", name="Approve").first.click()
    published = moderator.locator("[data-column=published] li", has_text=question_text)
    published.wait_for()

    supplier.locator("#qa-questions .qa-text", has_text=question_text).wait_for(timeout=TIMEOUT_MS)
    assert "Fjordsensor AS" not in supplier.locator("#qa-questions").inner_text()

    answer_text = "Ja, i tre delkontrakter etter geografi."
    # The card has several disclosures (topics, answer, …): open the one for the answer.
    published.locator("summary", has_text="Write an answer").click()
    published.get_by_role("textbox", name="Written answer (published to all)").fill(answer_text)
    published.get_by_role("button", name="Publish the answer").click()
    moderator.locator("[data-column=answered] li", has_text=question_text).wait_for()
    save_screenshot(moderator, "journey-05-dashboard-en-desktop")

    supplier.locator("#qa-questions .qa-answer-text", has_text=answer_text).wait_for(
        timeout=TIMEOUT_MS
    )
    assert supplier.locator("#qa-questions .qa-answer").first.is_visible()
    own = supplier.locator("#own-questions li", has_text=question_text)
    own.locator(".qa-own-answer-text", has_text=answer_text).wait_for(timeout=TIMEOUT_MS)
    assert own.locator(".qa-own-status").inner_text() == "Answered"
    assert supplier.evaluate("window.__notReloaded === true")
    save_screenshot(supplier, "journey-06-stream-answered-en-desktop")
    question = Question.objects.get(conference=conference)
    assert (question.status, question.answer.text) == ("answered", answer_text)

    # --- 3. Staff create and publish a conference and a recording in the admin ---------------
    buyer = make_buyer(name="Kystverket")
    staff = new_page(lang="en")
    _admin_login(staff, base, staff_user, "/admin/conferences/conference/add/")
    starts = (
        (timezone.now() + dt.timedelta(days=30))
        .astimezone(OSLO)
        .replace(hour=9, minute=0, second=0, microsecond=0)
    )
    day = f"{starts:%Y-%m-%d}"
    staff.locator("#id_buyer").select_option(label="Kystverket")
    staff.locator("#id_title_nb").fill("Droner i kystovervåking")
    staff.locator("#id_summary_nb").fill("Vi vil høre hva markedet kan levere.")
    staff.locator("#id_contact_email").fill("droner@kystverket.example")
    for field, value in {
        "starts_at": (day, "09:00"),
        "ends_at": (day, "12:00"),
        "registration_opens_at": (f"{timezone.now().astimezone(OSLO):%Y-%m-%d}", "00:00"),
        "registration_closes_at": (day, "08:00"),
    }.items():
        staff.locator(f"#id_{field}_0").fill(value[0])
        staff.locator(f"#id_{field}_1").fill(value[1])
    staff.locator("#id_agenda_items-0-starts_at_0").fill(day)
    staff.locator("#id_agenda_items-0-starts_at_1").fill("09:00")
    staff.locator("#id_agenda_items-0-ends_at_0").fill(day)
    staff.locator("#id_agenda_items-0-ends_at_1").fill("09:30")
    staff.locator("#id_agenda_items-0-title_nb").fill("Velkommen og behovet")
    staff.locator("#id_agenda_items-0-speaker_nb").fill("Innkjøpsleder")
    save_screenshot(staff, "journey-07-admin-add-conference-en-desktop")
    with staff.expect_navigation():
        staff.locator("input[name=_continue]").click()
    staff.locator(".messagelist .success").wait_for()
    created = Conference.objects.get(title_nb="Droner i kystovervåking")
    assert created.slug == "droner-i-kystovervaking"  # filled in from the title by the admin
    assert (created.status, created.buyer_id, created.starts_at) == (
        ConferenceStatus.DRAFT,
        buyer.pk,
        starts,
    )
    assert list(created.agenda_items.values_list("title_nb", flat=True)) == ["Velkommen og behovet"]

    _confirm_transition(staff, "Published (registration open)")
    created.refresh_from_db()
    assert created.status == ConferenceStatus.PUBLISHED
    assert created.status_changes.get().changed_by == staff_user

    webm = tmp_path / "opptak.webm"
    webm.write_bytes(DEMO_VIDEO.read_bytes())
    vtt = tmp_path / "nb.vtt"
    vtt.write_text(CAPTION_VTT, encoding="utf-8")
    staff.goto(f"{base}/admin/conferences/recording/add/")
    staff.locator("#id_conference").select_option(label=str(created))
    staff.locator("#id_title_nb").fill("Opptak av konferansen")
    staff.locator("#id_video_file").set_input_files(webm)
    staff.locator("#id_duration").fill("0:00:06")
    staff.locator("#id_captions-0-language").select_option("nb")
    staff.locator("#id_captions-0-file").set_input_files(vtt)
    # The video goes up in the background; the form refuses to save until it has arrived.
    expect(staff.locator(".resumable-upload-status")).to_contain_text("Uploaded: opptak.webm")
    with staff.expect_navigation():
        staff.locator("input[name=_continue]").click()
    staff.locator(".messagelist .success").wait_for()
    recording = Recording.objects.get(conference=created)
    assert recording.captions.get().language == "nb"
    assert recording.published_at is None
    staff.get_by_role("link", name="Publish…").click()
    save_screenshot(staff, "journey-08-admin-publish-recording-en-desktop")
    with staff.expect_navigation():
        staff.get_by_role("button", name="Confirm").click()
    staff.locator(".messagelist .success").wait_for()
    recording.refresh_from_db()
    assert recording.published_at is not None
    assert recording.published_by == staff_user

    # The first conference goes live and into follow-up with the status buttons.
    staff.goto(f"{base}/admin/conferences/conference/{conference.pk}/change/")
    _confirm_transition(staff, "Live")
    _confirm_transition(staff, "Follow-up", remaining_meetings="keep")  # Kari's is still to come
    conference.refresh_from_db()
    assert conference.status == ConferenceStatus.FOLLOW_UP
    # Its recording is published by the service (the admin path is proven above); the first
    # published recording emails every registrant.
    main = Recording(
        conference=conference,
        title="Hovedsending",
        duration=dt.timedelta(seconds=6),
        recorded_started_at=conference.starts_at,
    )
    main.video_file = ContentFile(DEMO_VIDEO.read_bytes(), name="demo.webm")
    save_recording(recording=main, changed_fields={"video_file"})
    main.captions.create(language="nb", file=ContentFile(CAPTION_VTT.encode(), name="nb.vtt"))
    publish_recording(recording_id=main.pk, actor=staff_user)
    # Three emails so far: the confirmation, the invite and this one (nothing else emails her).
    archive_email = smtp_server.wait_for(3, timeout=30)[2]
    assert archive_email["To"] == "kari@fjordsensor.example"
    # She never watched while it was live, so she gets the "what you missed" version.
    assert archive_email["Subject"].strip() == _nn(
        "What you missed: %(title)s", title=conference.title
    )

    # --- 4. A supplier who never registered uses the archive ----------------------------------
    visitor = new_page(lang="nb")
    visitor.goto(f"{base}/")
    assert visitor.get_by_role("link", name="Droner i kystovervåking").count() >= 1
    visitor.goto(f"{base}/archive/")
    save_screenshot(visitor, "journey-09-archive-nb-desktop")
    with visitor.expect_navigation():
        visitor.get_by_role("link", name="Droner i kystovervåking").click()
    assert visitor.url == f"{base}/conferences/{created.slug}/information/"
    video = visitor.locator("video")
    video.evaluate(
        "v => new Promise(r => v.readyState >= 1 ? r() : v.addEventListener('loadedmetadata', r))"
    )
    assert video.evaluate("v => v.videoWidth") > 0
    tracks = video.evaluate("v => Array.from(v.textTracks).map(t => [t.kind, t.language, t.mode])")
    assert tracks == [["captions", "nb", "showing"]]
    save_screenshot(visitor, "journey-10-package-created-nb-desktop")

    visitor.goto(f"{base}/archive/")
    with visitor.expect_navigation():
        visitor.get_by_role("link", name=conference.title).click()
    assert visitor.url == f"{base}/conferences/{conference.slug}/information/"
    assert visitor.locator("video track[srclang=nb]").count() == 1
    qa_section = visitor.locator("section[aria-labelledby=qa-heading]")
    assert question_text in qa_section.inner_text()
    assert answer_text in qa_section.inner_text()
    assert "Fjordsensor AS" not in qa_section.inner_text()  # askers stay anonymous
    participants = visitor.locator("section[aria-labelledby=participants-heading]")
    assert "Fjordsensor AS" in participants.inner_text()
    save_screenshot(visitor, "journey-11-package-qa-nb-desktop")
