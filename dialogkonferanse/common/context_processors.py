"""Template context shared by every page."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    """Fallback footer links; a page that belongs to a conference overrides them."""
    return {
        "footer_accessibility_url": settings.DEFAULT_ACCESSIBILITY_STATEMENT_URL,
        "footer_privacy_url": settings.DEFAULT_PRIVACY_URL,
    }
