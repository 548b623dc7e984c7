"""Log records as one JSON object per line (``LOG_FORMAT=json``)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

# The logger of the one line per request (dialogkonferanse/common/metrics.py).
REQUEST_LOGGER = "dialogkonferanse.request"
REQUEST_FIELDS = ("method", "path", "status", "duration_ms")


class JsonFormatter(logging.Formatter):
    """``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``; a request log line
    (``dialogkonferanse.request``) adds ``method``, ``path``, ``status`` and ``duration_ms``; an
    exception adds ``exception`` with its traceback. Runs after the handler's filters, so the
    message and fields are already redacted."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.name == REQUEST_LOGGER and isinstance(record.args, dict):
            entry.update({key: record.args[key] for key in REQUEST_FIELDS if key in record.args})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)
