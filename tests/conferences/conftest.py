"""Fixtures of the conferences tests: uploaded files go to a temporary media root."""

from __future__ import annotations

import pytest


@pytest.fixture
def media_root(settings, tmp_path):
    """Every stored file of the test lands in its own temporary directory."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
