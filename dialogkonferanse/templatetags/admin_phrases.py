"""Admin templates' sentences about a model, in the model's grammatical gender where the
catalogue has it (``model_phrase``), with the model's name in lower case as Norwegian writes it
inside a sentence."""

from __future__ import annotations

import json
from typing import Any

from django import template
from django.utils.translation import gettext

from dialogkonferanse.common.admin_mixins import model_phrase

register = template.Library()


@register.simple_tag
def add_phrase(opts: Any) -> str:
    """``Add <model>`` (``Legg til nytt opptak``): the add page's title, breadcrumb and the
    change list's add button."""
    return model_phrase("Add %s", opts) % opts.verbose_name


@register.simple_tag
def inline_formset_data(inline_admin_formset: Any) -> str:
    """Django's ``data-inline-formset`` JSON, its "Add another …" in the model's gender and
    without Django's capital letter in the middle of the sentence."""
    inline = inline_admin_formset.opts
    return json.dumps(
        {
            "name": f"#{inline_admin_formset.formset.prefix}",
            "options": {
                "prefix": inline_admin_formset.formset.prefix,
                "addText": model_phrase("Add another %(verbose_name)s", inline.opts)
                % {"verbose_name": inline.verbose_name},
                "deleteText": gettext("Remove"),
            },
        }
    )
