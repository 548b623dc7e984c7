"""``python`` in a child process of the project, as a fresh shell starts it: without the
settings the test run has in its environment (database, Redis, broker, email, site), so the
child sees the embedded defaults unless the test gives it others."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_STRIP = ("DJANGO_", "DATABASE_", "REDIS_URL", "CELERY_", "EMAIL_", "SERVESTATIC_", "SITE_URL")


def run_python(
    *args: str, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python *args`` in the project's folder with ``env`` over the stripped environment."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(_STRIP)}
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
