"""Fixtures for the outbox tests: a test email template and a way to wait for worker results."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

TEMPLATE_DIR = Path(__file__).parent / "templates"


@pytest.fixture(autouse=True)
def outbox_test_templates(settings) -> None:
    """Adds ``emails/outbox_test/`` (subject, text and HTML on the shared layout)."""
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [*templates[0]["DIRS"], TEMPLATE_DIR]
    settings.TEMPLATES = templates


@pytest.fixture
def wait_until() -> Callable[..., Any]:
    """Poll ``predicate`` until it returns a truthy value (the worker runs in another thread)."""

    def wait(predicate: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met within {timeout} s")
            time.sleep(interval)

    return wait


@pytest.fixture(autouse=True)
def _empty_test_queue(purge_celery_queue):
    """Tasks a test left in Redis (no worker ran) must not reach the next test's worker."""
    yield
    purge_celery_queue()
