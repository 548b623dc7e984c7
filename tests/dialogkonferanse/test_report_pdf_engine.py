"""The dialogue report on a server without the PDF engine's system libraries (Pango).

WeasyPrint loads Pango through cffi when it is imported; on a machine without it the import
raises OSError. An import hook makes exactly that happen here, since the libraries of this
machine cannot be taken away for one test.
"""

from __future__ import annotations

import importlib.abc
import sys

import pytest
from django.urls import reverse

from tests.factories import make_conference, make_registration, make_staff

pytestmark = pytest.mark.django_db

# What cffi raises in weasyprint/text/ffi.py when the first of its libraries cannot be loaded.
DLOPEN_ERROR = (
    "cannot load library 'libgobject-2.0-0': libgobject-2.0-0: cannot open shared object file: "
    "No such file or directory.  Additionally, ctypes.util.find_library() did not manage to "
    "locate a library called 'libgobject-2.0-0'"
)

MESSAGES = {
    "en": "The PDF engine is not installed on the server (Pango), so here is the report as a "
    "web page. Print the page from the browser to save the report as PDF.",
    "nb": "PDF-motoren er ikke installert på serveren (Pango), så her er rapporten som "
    "nettside. Skriv ut siden fra nettleseren for å lagre rapporten som PDF.",
    "nn": "PDF-motoren er ikkje installert på serveren (Pango), så her er rapporten som "
    "nettside. Skriv ut sida frå nettlesaren for å lagre rapporten som PDF.",
}


class _NoPango(importlib.abc.MetaPathFinder):
    """Fails WeasyPrint's loading of its system libraries as a machine without them does."""

    def find_spec(self, fullname, path, target=None):
        if fullname == "weasyprint.text.ffi":
            raise OSError(DLOPEN_ERROR)
        return None


def _is_weasyprint(name: str) -> bool:
    return name == "weasyprint" or name.startswith("weasyprint.")


@pytest.fixture
def without_pango():
    """WeasyPrint imported afresh, failing as without Pango; the real modules put back after."""
    saved = {name: module for name, module in sys.modules.items() if _is_weasyprint(name)}
    for name in saved:
        del sys.modules[name]
    finder = _NoPango()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for name in [name for name in sys.modules if _is_weasyprint(name)]:
            del sys.modules[name]
        sys.modules.update(saved)


def test_pdf_engine_hook_fails_the_import_as_without_pango(without_pango):
    with pytest.raises(OSError, match="cannot load library") as raised:
        from weasyprint import HTML  # noqa: F401

    assert str(raised.value) == DLOPEN_ERROR


@pytest.mark.parametrize("language", ["en", "nb", "nn"])
def test_report_pdf_without_pango_shows_the_report_page_with_a_message(
    client, without_pango, language
):
    conference = make_conference(title="Fyrlykter 2027")
    make_registration(conference=conference, organisation_name="Alfa Bygg AS")
    client.force_login(make_staff())
    pdf_url = reverse("admin:conferences_conference_report_pdf", args=[conference.pk])
    report_url = reverse("admin:conferences_conference_report", args=[conference.pk])

    response = client.get(pdf_url, HTTP_ACCEPT_LANGUAGE=language, follow=True)

    assert response.redirect_chain == [(report_url, 302)]
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count(MESSAGES[language]) == 1
    assert "Fyrlykter 2027" in html
    assert "Alfa Bygg AS" in html


def test_report_page_shows_the_pdf_message_once(client, without_pango):
    conference = make_conference()
    client.force_login(make_staff())
    pdf_url = reverse("admin:conferences_conference_report_pdf", args=[conference.pk])
    report_url = reverse("admin:conferences_conference_report", args=[conference.pk])
    client.get(pdf_url, HTTP_ACCEPT_LANGUAGE="en", follow=True)

    again = client.get(report_url, HTTP_ACCEPT_LANGUAGE="en")

    assert MESSAGES["en"] not in again.content.decode()
