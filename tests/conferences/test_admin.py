from __future__ import annotations

import pytest
from django.urls import reverse

from conferences.choices import ConferenceStatus
from conferences.models import Conference, StatusChange
from tests.factories import make_buyer, make_conference, make_moderator, make_staff

pytestmark = pytest.mark.django_db


def _conference_form(buyer, **overrides):
    data = {
        "buyer": buyer.pk,
        "title_nb": "Konferanse om farleder",
        "slug": "konferanse-om-farleder",
        "summary_nb": "Kort om konferansen.",
        "description_nb": "",
        "contact_email": "innkjop@etat.example",
        "starts_at_0": "2027-03-27",
        "starts_at_1": "09:00",
        "ends_at_0": "2027-03-28",
        "ends_at_1": "12:00",
        "registration_opens_at_0": "2027-01-01",
        "registration_opens_at_1": "08:00",
        "registration_closes_at_0": "2027-03-27",
        "registration_closes_at_1": "08:00",
        "stream_provider": "youtube",
        "stream_url": "https://www.youtube-nocookie.com/embed/abc",
        "fallback_stream_url": "",
        "offers_one_to_one": "on",
        "dialogue_rules_nb": "Regler.",
        "retention_months": "12",
        "agenda_items-TOTAL_FORMS": "1",
        "agenda_items-INITIAL_FORMS": "0",
        "agenda_items-0-starts_at_0": "2027-03-27",
        "agenda_items-0-starts_at_1": "09:00",
        "agenda_items-0-ends_at_0": "2027-03-27",
        "agenda_items-0-ends_at_1": "09:30",
        "agenda_items-0-title_nb": "Velkommen",
        "agenda_items-0-speaker_nb": "Innkjøpsleder",
        "notice_references-TOTAL_FORMS": "1",
        "notice_references-INITIAL_FORMS": "0",
        "notice_references-0-reference": "2027-000123",
        "notice_references-0-note": "",
        "status_changes-TOTAL_FORMS": "0",
        "status_changes-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_admin_conference_add_by_staff_creates_conference_with_agenda(client):
    client.force_login(make_staff())
    buyer = make_buyer()

    response = client.post(reverse("admin:conferences_conference_add"), _conference_form(buyer))

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    conference = Conference.objects.get(slug="konferanse-om-farleder")
    assert conference.status == ConferenceStatus.DRAFT
    assert [a.title for a in conference.agenda_items.all()] == ["Velkommen"]
    assert [n.reference for n in conference.notice_references.all()] == ["2027-000123"]


def test_admin_conference_add_invalid_times_shows_errors_and_saves_nothing(client):
    client.force_login(make_staff())
    form = _conference_form(
        make_buyer(),
        ends_at_0="2027-03-26",
        **{"notice_references-0-reference": "27-123"},
    )

    response = client.post(reverse("admin:conferences_conference_add"), form)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["ends_at"] == ["Konferansen må slutte etter at den starter."]
    assert Conference.objects.count() == 0


def test_admin_conference_changelist_works_for_staff_and_query_count_is_constant(
    client, django_assert_max_num_queries
):
    client.force_login(make_staff())
    make_conference(title="Første")

    response_one = client.get(reverse("admin:conferences_conference_changelist"))
    for i in range(20):
        make_conference(title=f"Nummer {i}")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as many:
        response_many = client.get(reverse("admin:conferences_conference_changelist"))
    with CaptureQueriesContext(connection) as one_again:
        client.get(reverse("admin:conferences_conference_changelist") + "?q=Første")

    assert "Første" in response_one.content.decode()
    assert response_many.context["cl"].result_count == 21
    assert len(many) == len(one_again)


def test_admin_conference_pages_refused_for_anonymous(client):
    conference = make_conference()

    changelist = client.get(reverse("admin:conferences_conference_changelist"))
    change = client.get(reverse("admin:conferences_conference_change", args=[conference.pk]))

    assert changelist.status_code == 302
    assert changelist["Location"].startswith(reverse("admin:login"))
    assert change.status_code == 302


def test_admin_conference_moderator_cannot_edit(client):
    conference = make_conference(title="Original")
    client.force_login(make_moderator())

    view = client.get(reverse("admin:conferences_conference_change", args=[conference.pk]))
    post = client.post(
        reverse("admin:conferences_conference_change", args=[conference.pk]),
        _conference_form(conference.buyer, title="Endret", slug=conference.slug),
    )
    add = client.get(reverse("admin:conferences_conference_add"))
    transition = client.post(
        reverse("admin:conferences_conference_transition", args=[conference.pk, "live"])
    )

    conference.refresh_from_db()
    assert view.status_code == 200  # read-only view
    assert post.status_code == 403
    assert add.status_code == 403
    assert transition.status_code == 403
    assert conference.title == "Original"
    assert conference.status == ConferenceStatus.PUBLISHED


def test_admin_transition_publish_appears_on_public_list(client):
    staff = make_staff()
    conference = make_conference(status=ConferenceStatus.DRAFT, title="Snart publisert")
    client.force_login(staff)
    before = client.get(reverse("conferences:list")).content.decode()

    response = client.post(
        reverse("admin:conferences_conference_transition", args=[conference.pk, "published"])
    )
    client.logout()
    after = client.get(reverse("conferences:list")).content.decode()

    assert response.status_code == 302
    assert "Snart publisert" not in before
    assert "Snart publisert" in after
    assert StatusChange.objects.get().changed_by == staff


def test_admin_transition_close_without_notice_shows_error(client):
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP)
    client.force_login(make_staff())

    response = client.post(
        reverse("admin:conferences_conference_transition", args=[conference.pk, "closed"]),
        {"notice_reference": ""},
        follow=True,
        headers={"accept-language": "en"},
    )

    conference.refresh_from_db()
    assert conference.status == ConferenceStatus.FOLLOW_UP
    assert [str(m) for m in response.context["messages"]] == [
        "Enter the competition's notice reference to close the dialogue."
    ]


def test_admin_transition_close_page_asks_for_notice_reference(client):
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP)
    client.force_login(make_staff())

    response = client.get(
        reverse("admin:conferences_conference_transition", args=[conference.pk, "closed"]),
        headers={"accept-language": "en"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="notice_reference"' in html
    assert "Closing ends the dialogue" in html


def test_admin_change_page_offers_only_allowed_transitions(client):
    conference = make_conference(status=ConferenceStatus.PUBLISHED)
    client.force_login(make_staff())

    response = client.get(
        reverse("admin:conferences_conference_change", args=[conference.pk]),
        headers={"accept-language": "en"},
    )

    labels = [t["label"] for t in response.context["transitions"]]
    assert labels == ["Draft", "Live", "Closed"]


def test_roles_moderator_has_only_view_permissions_on_conferences(roles):
    from django.contrib.auth.models import Group

    moderator = Group.objects.get(name="Moderator")
    staff = Group.objects.get(name="Procurement staff")

    conference_perms = set(
        moderator.permissions.filter(content_type__app_label="conferences").values_list(
            "codename", flat=True
        )
    )
    assert conference_perms == {"view_conference", "view_agendaitem"}
    assert staff.permissions.filter(codename="change_conference").exists()


# --- DOMAIN.md rule 1: the status change settles the meetings not yet held -----------------


def _with_meetings(status: str, companies: tuple[str, ...]):
    """A conference in ``status`` with one future meeting per company, booked at 10:00 Oslo
    time on consecutive days from tomorrow, plus one meeting held yesterday."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from meetings.models import Meeting
    from tests.factories import make_meeting_settings, make_registration, make_slot

    conference = make_conference(status=status, offers_one_to_one=True)
    team = make_meeting_settings(conference=conference).teams.first()
    tomorrow = (timezone.now() + dt.timedelta(days=1)).astimezone(ZoneInfo("Europe/Oslo")).date()
    meetings = []
    for day, company in enumerate(companies):
        starts = dt.datetime.combine(
            tomorrow + dt.timedelta(days=day), dt.time(10), tzinfo=ZoneInfo("Europe/Oslo")
        )
        meetings.append(
            Meeting.objects.create(
                conference=conference,
                slot=make_slot(team=team, starts_at=starts),
                registration=make_registration(conference=conference, organisation_name=company),
                notified_sequence=0,
            )
        )
    Meeting.objects.create(
        conference=conference,
        slot=make_slot(team=team, starts_at=timezone.now() - dt.timedelta(days=1)),
        registration=make_registration(conference=conference, organisation_name="Holdt AS"),
        notified_sequence=0,
    )
    return conference, meetings


def _transition(client, conference, target: str, data=None, method: str = "post"):
    url = reverse("admin:conferences_conference_transition", args=[conference.pk, target])
    send = client.post if method == "post" else client.get
    return send(url, data or {}, headers={"accept-language": "en"})


def _statuses(meetings) -> list[str]:
    from meetings.models import Meeting

    return list(
        Meeting.objects.filter(pk__in=[m.pk for m in meetings])
        .order_by("pk")
        .values_list("status", flat=True)
    )


def test_admin_transition_close_page_lists_meetings_not_yet_held(client):
    import re

    from django.utils import timezone

    conference, meetings = _with_meetings(ConferenceStatus.FOLLOW_UP, ("Alfa AS", "Beta AS"))
    client.force_login(make_staff())

    response = _transition(client, conference, "closed", method="get")

    html = response.content.decode()
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "2 booked meetings have not been held yet:" in text
    rows = re.findall(
        r'<tr><td><time datetime="([^"]+)">[^<]*</time></td><td>([^<]*)</td><td>([^<]*)</td></tr>',
        html,
    )
    assert rows == [
        (timezone.localtime(m.slot.starts_at).isoformat(), m.slot.team.name, company)
        for m, company in zip(meetings, ("Alfa AS", "Beta AS"), strict=True)
    ]
    assert "Holdt AS" not in html
    assert re.findall(r'name="remaining_meetings" value="([a-z]+)"', html) == ["cancel"]
    assert "closing cancels these meetings" in text


def test_admin_transition_follow_up_page_offers_cancel_or_keep(client):
    import re

    conference, _meetings = _with_meetings(ConferenceStatus.LIVE, ("Alfa AS",))
    client.force_login(make_staff())

    response = _transition(client, conference, "follow_up", method="get")

    html = response.content.decode()
    assert "1 booked meeting has not been held yet:" in html
    assert re.findall(r'name="remaining_meetings" value="([a-z]+)"', html) == ["cancel", "keep"]


def test_admin_transition_page_without_meetings_left_asks_nothing(client):
    conference = make_conference(status=ConferenceStatus.LIVE)
    client.force_login(make_staff())

    response = _transition(client, conference, "follow_up", method="get")

    html = response.content.decode()
    assert 'name="remaining_meetings"' not in html
    assert "not been held yet" not in html


def test_admin_transition_close_without_decision_shows_error_at_the_field(client):
    conference, meetings = _with_meetings(ConferenceStatus.FOLLOW_UP, ("Alfa AS", "Beta AS"))
    client.force_login(make_staff())

    response = _transition(client, conference, "closed", {"notice_reference": "2026-104512"})

    conference.refresh_from_db()
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "remaining_meetings": ["Decide what happens to the meetings not yet held."]
    }
    assert conference.status == ConferenceStatus.FOLLOW_UP
    assert _statuses(meetings) == ["booked", "booked"]


def test_admin_transition_close_keep_is_not_offered(client):
    conference, meetings = _with_meetings(ConferenceStatus.FOLLOW_UP, ("Alfa AS",))
    client.force_login(make_staff())

    response = _transition(
        client,
        conference,
        "closed",
        {"notice_reference": "2026-104512", "remaining_meetings": "keep"},
    )

    conference.refresh_from_db()
    assert response.context["form"].errors == {
        "remaining_meetings": ["Select a valid choice. keep is not one of the available choices."]
    }
    assert (conference.status, _statuses(meetings)) == (ConferenceStatus.FOLLOW_UP, ["booked"])


def test_admin_transition_close_with_cancel_cancels_and_records_who_decided(client):
    from dialogkonferanse.models import AuditEntry, OutboundEmail
    from meetings.choices import EmailKind

    conference, meetings = _with_meetings(ConferenceStatus.FOLLOW_UP, ("Alfa AS", "Beta AS"))
    staff = make_staff()
    client.force_login(staff)

    response = _transition(
        client,
        conference,
        "closed",
        {"notice_reference": "2026-104512", "remaining_meetings": "cancel"},
    )

    conference.refresh_from_db()
    assert response.status_code == 302
    assert (conference.status, _statuses(meetings)) == (
        ConferenceStatus.CLOSED,
        ["cancelled", "cancelled"],
    )
    assert OutboundEmail.objects.filter(kind=EmailKind.CANCEL).count() == 2
    entry = AuditEntry.objects.get(action="cancel_remaining_meetings")
    assert (entry.actor, entry.changes["decision"]) == (staff, [None, "cancel"])


def test_admin_transition_follow_up_keep_keeps_meetings(client):
    from dialogkonferanse.models import AuditEntry

    conference, meetings = _with_meetings(ConferenceStatus.LIVE, ("Alfa AS",))
    staff = make_staff()
    client.force_login(staff)

    response = _transition(client, conference, "follow_up", {"remaining_meetings": "keep"})

    conference.refresh_from_db()
    assert response.status_code == 302
    assert (conference.status, _statuses(meetings)) == (ConferenceStatus.FOLLOW_UP, ["booked"])
    assert AuditEntry.objects.get(action="keep_remaining_meetings").actor == staff
