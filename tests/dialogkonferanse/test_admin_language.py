"""The admin staff and moderators use is Norwegian in nb and nn: the gaps in Django's own
catalogues are filled by the project's, sentences about a model agree with its grammatical
gender and write its name in lower case, and time inputs show no seconds."""

from __future__ import annotations

import html as html_lib
import json
import re

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation

from dialogkonferanse.common.admin_messages import NEUTER_MODELS
from dialogkonferanse.common.admin_mixins import model_phrase
from tests.factories import make_buyer, make_conference, make_staff

pytestmark = pytest.mark.django_db

ENGLISH_LEFT_OVERS = (
    "Please correct the error below.",
    "Please correct the errors below.",
    "Start typing to filter",
    "Show counts",
    "Model name",
    "Add link",
    "Skip to main content",
    "Toggle theme",
)


@pytest.fixture
def staff(roles):
    return make_staff()


def _get(client, url: str, lang: str):
    response = client.get(url, headers={"accept-language": lang})
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("lang", ["nb", "nn"])
@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/registrations/registration/",
        "/admin/meetings/meetingsettings/",
        "/admin/conferences/conference/add/",
    ],
)
def test_admin_pages_have_no_english_left_over(client, staff, lang, url):
    client.force_login(staff)

    page = _get(client, url, lang)

    assert [text for text in ENGLISH_LEFT_OVERS if text in page] == []


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("nb", "Rett opp feilene nedenfor."), ("nn", "Rett opp feila nedanfor.")],
)
def test_admin_form_errors_are_announced_in_norwegian(client, staff, lang, expected):
    client.force_login(staff)

    response = client.post(
        "/admin/conferences/conference/add/",
        {
            "agenda_items-TOTAL_FORMS": "0",
            "agenda_items-INITIAL_FORMS": "0",
            "notice_references-TOTAL_FORMS": "0",
            "notice_references-INITIAL_FORMS": "0",
            "status_changes-TOTAL_FORMS": "0",
            "status_changes-INITIAL_FORMS": "0",
        },
        headers={"accept-language": lang},
    )

    page = response.content.decode()
    assert expected in page
    assert "Please correct" not in page


@pytest.mark.parametrize(
    ("lang", "headings", "filter_text"),
    [
        ("nb", ["Navn", "Legg til", "Liste"], "Skriv for å filtrere …"),
        ("nn", ["Namn", "Legg til", "Liste"], "Skriv for å filtrere …"),
    ],
)
def test_admin_index_screen_reader_headings_in_norwegian(
    client, staff, lang, headings, filter_text
):
    client.force_login(staff)

    index = _get(client, "/admin/", lang)
    changelist = _get(client, "/admin/registrations/registration/", lang)

    found = re.findall(r'<th scope="col">([^<]*)</th>', index)
    assert found[:3] == headings
    assert f'placeholder="{filter_text}"' in changelist


@pytest.mark.parametrize(
    ("lang", "url", "title"),
    [
        ("nb", "/admin/conferences/recording/add/", "Legg til nytt opptak"),
        ("nn", "/admin/conferences/recording/add/", "Legg til nytt opptak"),
        ("nb", "/admin/meetings/meetingsettings/add/", "Legg til nytt møteoppsett"),
        ("nn", "/admin/meetings/meetingsettings/add/", "Legg til nytt møteoppsett"),
        ("nb", "/admin/conferences/conference/add/", "Legg til ny konferanse"),
        ("nn", "/admin/conferences/conference/add/", "Legg til ny konferanse"),
        ("nb", "/admin/conferences/buyerorganisation/add/", "Legg til ny oppdragsgiver"),
    ],
)
def test_admin_add_pages_agree_with_the_models_gender(client, staff, lang, url, title):
    client.force_login(staff)

    page = _get(client, url, lang)

    assert f"<h1>{title}</h1>" in page
    assert f"<title>{title} |" in page
    assert f"&rsaquo; {title}\n</div>" in page  # the breadcrumb


@pytest.mark.parametrize(
    ("lang", "button"),
    [("nb", "Legg til nytt møteoppsett"), ("nn", "Legg til nytt møteoppsett")],
)
def test_admin_change_list_add_button_agrees_with_the_models_gender(client, staff, lang, button):
    client.force_login(staff)

    page = _get(client, "/admin/meetings/meetingsettings/", lang)

    assert re.search(rf'class="addlink">\s*{button}\s*</a>', page)


@pytest.mark.parametrize(
    ("lang", "agenda", "notice"),
    [
        ("nb", "Legg til nytt programpunkt", "Legg til nytt kunngjøringsnummer"),
        ("nn", "Legg til nytt programpunkt", "Legg til nytt kunngjeringsnummer"),
    ],
)
def test_admin_inline_add_text_is_lower_case_and_neuter(client, staff, lang, agenda, notice):
    client.force_login(staff)
    conference = make_conference(buyer=make_buyer())

    page = _get(client, reverse("admin:conferences_conference_change", args=[conference.pk]), lang)

    add_texts = {
        data["options"]["prefix"]: data["options"]["addText"]
        for data in (
            json.loads(html_lib.unescape(raw))
            for raw in re.findall(r'data-inline-formset="([^"]*)"', page)
        )
    }
    assert add_texts["agenda_items"] == agenda
    assert add_texts["notice_references"] == notice


@pytest.mark.parametrize("lang", ["nb", "nn"])
@pytest.mark.parametrize("label", NEUTER_MODELS)
def test_every_neuter_model_has_its_add_phrases(lang, label):
    opts = apps.get_model(label)._meta

    with translation.override(lang):
        name = str(opts.verbose_name)
        add = model_phrase("Add %s", opts) % name
        another = model_phrase("Add another %(verbose_name)s", opts) % {"verbose_name": name}

    assert name == name.lower()
    assert add == f"Legg til nytt {name}"
    assert another == f"Legg til nytt {name}"


@pytest.mark.parametrize("lang", ["nb", "nn"])
def test_other_models_keep_the_common_gender(lang):
    opts = apps.get_model("conferences.conference")._meta

    with translation.override(lang):
        assert model_phrase("Add %s", opts) % opts.verbose_name == "Legg til ny konferanse"


@pytest.mark.parametrize(("lang", "value"), [("nb", "09.00"), ("nn", "09.00"), ("en", "09:00")])
def test_admin_time_inputs_show_no_seconds(client, staff, lang, value):
    import datetime as dt

    from django.utils import timezone

    client.force_login(staff)
    starts = dt.datetime(2027, 3, 27, 9, 0, tzinfo=timezone.get_default_timezone())
    conference = make_conference(starts_at=starts, agenda_items=1)

    page = _get(client, reverse("admin:conferences_conference_change", args=[conference.pk]), lang)

    assert re.search(rf'name="starts_at_1" value="{re.escape(value)}"', page)
    assert re.search(rf'name="agenda_items-0-starts_at_1" value="{re.escape(value)}"', page)


@pytest.mark.parametrize("lang", ["nb", "nn"])
def test_admin_save_message_starts_with_the_verb(client, staff, lang):
    from tests.conferences.test_admin import _conference_form

    client.force_login(staff)
    response = client.post(
        "/admin/conferences/conference/add/",
        _conference_form(make_buyer()),
        headers={"accept-language": lang},
        follow=True,
    )

    page = response.content.decode()
    assert re.search(r"La til konferanse «<a href=\"[^\"]+\">Konferanse om farleder</a>»\.", page)
    assert "was added successfully" not in page


def test_admin_time_inputs_take_the_norwegian_clock(client, staff):
    import datetime as dt

    from django.utils import timezone

    from conferences.models import Conference
    from tests.conferences.test_admin import _conference_form

    client.force_login(staff)
    client.post(
        "/admin/conferences/conference/add/",
        _conference_form(
            make_buyer(),
            starts_at_1="14.30",
            ends_at_1="16:00:00",
            **{"agenda_items-0-starts_at_1": "14.30", "agenda_items-0-ends_at_1": "15.00"},
        ),
        headers={"accept-language": "nb"},
    )

    created = Conference.objects.get(slug="konferanse-om-farleder")
    oslo = timezone.get_default_timezone()
    assert created.starts_at == dt.datetime(2027, 3, 27, 14, 30, tzinfo=oslo)
    assert created.ends_at == dt.datetime(2027, 3, 28, 16, 0, tzinfo=oslo)
