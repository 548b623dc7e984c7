"""Fixtures for the outbox tests: a test email template and a way to wait for worker results."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

TEMPLATE_DIR = Path(__file__).parent / "templates"


@pytest.fixture(autouse=True)
def outbox_test_templates(settings) -> None:
    """Adds ``emails/outbox_test/`` (subject, text and HTML on the shared layout)."""
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [*templates[0]["DIRS"], TEMPLATE_DIR]
    settings.TEMPLATES = templates


@pytest.fixture(autouse=True)
def _empty_test_queue(purge_celery_queue):
    """Tasks a test left in Redis (no worker ran) must not reach the next test's worker."""
    yield
    purge_celery_queue()
