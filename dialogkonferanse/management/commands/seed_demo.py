"""Load the demo data that ``make run`` shows. Safe to run again: nothing is duplicated, no
email is sent, and each demo supplier's personal link is printed again (a new one: see
``registrations.demo``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from conferences.demo import seed_conferences
from dialogkonferanse.roles import MODERATOR, PROCUREMENT_STAFF
from meetings.demo import seed_meetings
from qa.demo import seed_qa
from registrations.demo import DEMO_EMAILS, seed_registrations

DEMO_USERS = (
    ("staff", "dialog-demo-staff", PROCUREMENT_STAFF),
    ("moderator", "dialog-demo-moderator", MODERATOR),
)


class Command(BaseCommand):
    help = "Load demo data (a published conference, demo logins). Only with DJANGO_DEBUG on."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--force", action="store_true", help="Also when debug is off.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("Demo data is only loaded with DJANGO_DEBUG on (or --force).")
        conference = seed_conferences()
        links = seed_registrations(conference)
        seed_meetings(conference, emails=DEMO_EMAILS)  # never a supplier registered by hand
        seed_qa(conference)
        User = get_user_model()
        for username, password, group_name in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"is_staff": True}
            )
            if created:
                user.set_password(password)
                user.save()
            user.groups.add(Group.objects.get(name=group_name))
        self.stdout.write(self.style.SUCCESS(f"Demo conference: {conference.get_absolute_url()}"))
        for organisation, link in links:
            self.stdout.write(f"Personal link for {organisation}: {link}")
        for username, password, group_name in DEMO_USERS:
            self.stdout.write(f"Demo login ({group_name}): {username} / {password}")
        self.stdout.write(f"Admin: /admin/   Moderator dashboard: /moderate/{conference.slug}/")
