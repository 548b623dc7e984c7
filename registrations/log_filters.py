"""Keep personal-link tokens out of every log line (access logs, 404 warnings, errors)."""

from __future__ import annotations

import logging
import re

# The token follows /r/ in the path of the personal link (see registrations/urls.py).
_TOKEN_RE = re.compile(r"(/r/)[^/\s?#\"']+")
REDACTED = r"\1[redacted]"


def redact(value: object) -> object:
    if isinstance(value, str) and "/r/" in value:
        return _TOKEN_RE.sub(REDACTED, value)
    return value


class RedactAccessTokens(logging.Filter):
    """Rewrite ``/r/<token>`` to ``/r/[redacted]`` in the message and its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: redact(arg) for key, arg in record.args.items()}
        return True
