"""Anonymise the registrations of conferences closed longer ago than their retention period."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from registrations.retention import anonymise_expired_registrations, expired_registrations


class Command(BaseCommand):
    help = (
        "Anonymise registrations whose conference closed more than its retention period ago "
        "(names, emails, phones, links, email bodies, free text). Company facts and all counts "
        "stay. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="List what is due; change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if options["dry_run"]:
            due = expired_registrations(now=now)
            for item in due:
                self.stdout.write(
                    f"registration {item.registration_id} (conference {item.conference_id}), "
                    f"due since {item.due_since.isoformat()}"
                )
            self.stdout.write(f"{len(due)} registrations would be anonymised.")
            return
        count = anonymise_expired_registrations(now=now)
        self.stdout.write(self.style.SUCCESS(f"{count} registrations anonymised."))
