"""Registration on the embedded defaults of ``make run`` (SQLite, eager tasks, mail to files),
in a process of its own: the hand-written statements must hold on SQLite too."""

from __future__ import annotations

from tests.processes import run_python

SCRIPT = """
import django
django.setup()
from django.test import Client
from conferences.models import Conference
from dialogkonferanse.models import OutboundEmail
from registrations.models import Registration

conference = Conference.objects.get(slug="kystverket-digital-dialog")
url = f"/conferences/{conference.slug}/register/"
client = Client()
assert client.get(url).status_code == 200  # the page's read of the conference is now kept
form = {
    "organisation_name": "Nytt Firma AS", "country": "NO", "organisation_number": "974 760 673",
    "contact_name": "Nina Ny", "email": "nina@nytt.example", "language": "nn",
    "privacy_acknowledged": "on",
}
first = client.post(url, form)
again = client.post(url, {**form, "email": "NINA@nytt.example"})
print(first.status_code, again.status_code,
      Registration.objects.filter(conference=conference, email__iexact="nina@nytt.example").count(),
      OutboundEmail.objects.filter(to_email__iexact="nina@nytt.example", status="sent").count())
"""


_run = run_python


def test_register_on_the_embedded_defaults(tmp_path):
    env = {
        "DJANGO_DEBUG": "1",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "DJANGO_SETTINGS_MODULE": "dialogkonferanse.settings",
    }
    for command in (("migrate", "--no-input", "-v0"), ("seed_demo",)):
        result = _run("manage.py", *command, env=env)
        assert result.returncode == 0, result.stdout + result.stderr
    assert "Personal link for" in result.stdout  # the demo's registrations went through

    result = _run("-c", SCRIPT, env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    # New, then the same address again: both neutral redirects, one registration, two emails
    # (the confirmation and "you are already registered") sent through the file backend.
    assert result.stdout.split()[-4:] == ["302", "302", "1", "2"]
