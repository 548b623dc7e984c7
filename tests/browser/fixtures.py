"""Browser tests: real Chromium (Debian's) driven by Playwright against the app served under
ASGI by uvicorn in a thread of the test process, backed by the PostgreSQL test database.

These run in their own pytest process (``-m browser``): Playwright's sync API keeps an event loop
in the main thread, so Django's async-safety guard is relaxed once a browser starts, and only
then. The fixtures are registered for the whole suite (``pytest_plugins`` in tests/conftest.py)
so each app's browser tests live beside its other tests.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE_PATH = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOT_DIR = ROOT / "tests" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 740}}
# axe-core tags WCAG 2.2 rules of level A as wcag2a/wcag21a: "wcag22aa" is its only 2.2 tag.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    def __init__(self) -> None:
        import uvicorn

        from dialogkonferanse.asgi import application

        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            application, host="127.0.0.1", port=self.port, lifespan="off", log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_asgi(django_db_setup, django_db_blocker) -> Iterator[LiveServer]:
    """The app under uvicorn (ASGI), sharing the test database; tests need transaction=True."""
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]
    with django_db_blocker.unblock():
        server = LiveServer()
        server.start()
        yield server
        server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package.")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


@pytest.fixture
def new_page(browser):
    """``new_page(lang="nb", viewport="desktop")`` → a page in a fresh context (no cookies)."""
    contexts = []

    def factory(*, lang: str = "nb", viewport: str = "desktop", bypass_csp: bool = False):
        locale = {"nb": "nb-NO", "nn": "nn-NO", "en": "en-GB"}[lang]
        context = browser.new_context(
            locale=locale,
            viewport=VIEWPORTS[viewport],
            bypass_csp=bypass_csp,
            extra_http_headers={"Accept-Language": f"{lang},{locale};q=0.9"},
        )
        contexts.append(context)
        return context.new_page()

    yield factory
    for context in contexts:
        context.close()


def axe_violations(page) -> list[dict]:
    """Run axe-core in the page (needs a context with ``bypass_csp``) for WCAG 2.0, 2.1 and 2.2
    A/AA."""
    if not AXE_PATH.exists():
        pytest.fail(f"axe-core missing at {AXE_PATH}: run `npm install` in the project root.")
    page.add_script_tag(path=str(AXE_PATH))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        WCAG_TAGS,
    )
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "targets": [node["target"] for node in violation["nodes"]],
        }
        for violation in result["violations"]
    ]


def save_screenshot(page, name: str) -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
