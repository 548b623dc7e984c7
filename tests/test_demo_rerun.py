"""``make run`` a second time (``seed_demo`` again): it touches only the demo's own suppliers,
changes nothing, sends no email, and prints every demo supplier's personal link."""

from __future__ import annotations

import re
import subprocess

import pytest
from django.core.management import call_command

from conferences.models import Conference
from registrations.demo import DEMO_SUPPLIERS
from tests.processes import run_python

LINK = re.compile(r"^Personal link for (.+): \S+/r/([^/\s]+)/$", re.MULTILINE)


@pytest.fixture
def demo_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DEBUG = True


def _state() -> dict[str, object]:
    """Every row a re-run could change or add, except the personal links it issues."""
    from dialogkonferanse.models import AuditEntry, OutboundEmail
    from meetings.models import Meeting, MeetingEvent, Slot, WaitingListEntry
    from qa.models import Question
    from registrations.models import Registration

    return {
        "registrations": list(Registration.objects.order_by("pk").values()),
        "meetings": list(Meeting.objects.order_by("pk").values()),
        "slots": Slot.objects.count(),
        "waiting": WaitingListEntry.objects.count(),
        "meeting_events": MeetingEvent.objects.count(),
        "questions": Question.objects.count(),
        "emails": OutboundEmail.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


@pytest.mark.django_db
@pytest.mark.usefixtures("demo_media", "roles")
def test_seed_demo_again_leaves_a_hand_made_registration_alone_and_sends_nothing(capsys):
    from meetings.models import Meeting
    from registrations.models import PersonalLink
    from registrations.selectors import get_registration_by_token
    from tests.factories import make_registration

    call_command("seed_demo")
    conference = Conference.objects.get()
    # The tester registers by hand on the demo conference and asks for a meeting.
    tester = make_registration(
        conference=conference, email="tester@example.no", wants_one_to_one=True
    )
    first_links = dict(LINK.findall(capsys.readouterr().out))
    before = _state()
    links_before = list(PersonalLink.objects.values_list("pk", flat=True))

    call_command("seed_demo")

    second_links = dict(LINK.findall(capsys.readouterr().out))
    assert not Meeting.objects.filter(registration=tester).exists()
    assert _state() == before  # nothing changed, no email queued
    names = {details.organisation_name for details in DEMO_SUPPLIERS}
    assert set(first_links) == set(second_links) == names
    # Every printed link opens its own supplier's registration; the re-run's are new links
    # (only hashes are stored), issued without an email, one per demo supplier.
    for name, token in second_links.items():
        assert get_registration_by_token(token=token).organisation_name == name
    new_links = PersonalLink.objects.exclude(pk__in=links_before)
    assert sorted(new_links.values_list("registration__organisation_name", flat=True)) == sorted(
        names
    )


# --- The real thing: ``make run``'s embedded defaults in processes of their own ---------------


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_python(*args, env=env, timeout=180)


@pytest.fixture(scope="module")
def embedded_runs(tmp_path_factory):
    """``migrate`` and ``seed_demo`` twice on SQLite, eager tasks, mail to files: each seed
    run's result and the number of mail files after it."""
    tmp = tmp_path_factory.mktemp("embedded-demo")
    mail = tmp / "mail"
    env = {
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3",
        "EMAIL_FILE_PATH": str(mail),
        "DJANGO_MEDIA_ROOT": str(tmp / "media"),
        "DJANGO_SETTINGS_MODULE": "dialogkonferanse.settings",
    }
    migrated = _run("manage.py", "migrate", "--no-input", "-v0", env=env)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    runs = []
    for _ in range(2):
        result = _run("manage.py", "seed_demo", env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        runs.append((result, len(list(mail.iterdir())) if mail.exists() else 0))
    return runs


def test_seed_demo_again_on_the_embedded_defaults_sends_no_email(embedded_runs):
    (first, first_mails), (second, second_mails) = embedded_runs

    assert first_mails > 0  # the confirmations (and the meeting's invitation)
    assert second_mails == first_mails
    names = {details.organisation_name for details in DEMO_SUPPLIERS}
    assert {name for name, _token in LINK.findall(first.stdout)} == names
    assert {name for name, _token in LINK.findall(second.stdout)} == names


def test_seed_demo_with_eager_tasks_opens_no_broker_connection(embedded_runs):
    for result, _mails in embedded_runs:
        assert "kombu" not in result.stderr, result.stderr
