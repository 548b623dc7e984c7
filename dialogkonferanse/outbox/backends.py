"""The embedded-default email backend: every message to a file and a summary to the console."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.filebased import EmailBackend as FileBackend


class FileAndConsoleEmailBackend(FileBackend):
    """Write each message to ``EMAIL_FILE_PATH`` (one file per connection) and echo it."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = super().send_messages(email_messages)
        for message in email_messages:
            body = message.body if isinstance(message.body, str) else ""
            sys.stdout.write(
                f"\n--- email to {', '.join(message.to)}: {message.subject}\n{body}\n"
                f"--- (full message in {self._fname})\n"
            )
        sys.stdout.flush()
        return sent
