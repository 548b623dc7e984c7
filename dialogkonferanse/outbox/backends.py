"""The embedded-default email backend: every message to a file and a summary to the console."""

from __future__ import annotations

import email
import email.policy
import sys
from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.filebased import EmailBackend as FileBackend


def subject_and_text(message: EmailMessage) -> tuple[str, str]:
    """The decoded subject and plain-text body of ``message`` as it goes out: read from its MIME,
    since the outbox sends stored MIME (``StoredEmailMessage`` has no ``subject`` or ``body``)."""
    parsed = email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)
    text = parsed.get_body(preferencelist=("plain",))
    return str(parsed.get("Subject", "")), text.get_content() if text is not None else ""


class FileAndConsoleEmailBackend(FileBackend):
    """Write each message to ``EMAIL_FILE_PATH`` (one file per connection) and echo it."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = super().send_messages(email_messages)
        for message in email_messages:
            subject, body = subject_and_text(message)
            sys.stdout.write(
                f"\n--- email to {', '.join(message.to)}: {subject}\n{body}\n"
                f"--- (full message in {self._fname})\n"
            )
        sys.stdout.flush()
        return sent
