"""Admin mixins shared by every app (Django only, so any app's admin may use them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils.text import capfirst
from django.utils.translation import gettext, pgettext


class NoAddAdminMixin:
    """Rows that only the product writes (attendance, sent digests, live events): the admin has
    no add form for them. ``obj`` is optional so the mixins serve model admins and inlines."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class NoAddOrDeleteAdminMixin(NoAddAdminMixin):
    """Rows that only services create and that are kept as the record: staff never add or
    delete them in the admin. Changing follows the model admin (notes and flags stay editable).
    """

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdminMixin(NoAddOrDeleteAdminMixin):
    """Append-only records (logs, changelogs): shown in the admin, never added, changed or
    deleted there."""

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def admin_pages(
    model_admin: Any, *pages: tuple[str, Callable[..., HttpResponse], str]
) -> list[URLPattern]:
    """A model admin's own pages, each ``(route, view, suffix)``: behind the admin site's login
    and permission check and named ``<app_label>_<model_name>_<suffix>``, so they reverse as
    ``admin:<app_label>_<model_name>_<suffix>``. Put them before ``super().get_urls()`` (the
    admin's ``<path:object_id>/`` would take them otherwise)."""
    opts = model_admin.model._meta
    return [
        path(
            route,
            model_admin.admin_site.admin_view(view),
            name=f"{opts.app_label}_{opts.model_name}_{suffix}",
        )
        for route, view, suffix in pages
    ]


class ChangePageContextMixin:
    """Model admins whose change page shows more than the form (toolbar buttons, links to
    other pages): ``change_page_context`` returns what the template needs for the object
    shown. It is asked only for an existing object and checks the permissions it needs."""

    def change_page_context(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        return {}

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra_context = extra_context or {}
        obj = self.get_object(request, object_id)  # type: ignore[attr-defined]
        if obj is not None:
            extra_context.update(self.change_page_context(request, obj))
        return super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]


class LabelledWidgetsMixin:
    """Model admins and inlines: each part of a split date and time field is named after its
    field ("Starts at: date", "Starts at: time"). Django renders the parts with bare "Date:" /
    "Time:" text that labels neither input, so screen readers and axe find them unnamed."""

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]
        if formfield is None:
            return formfield
        widget = formfield.widget
        if isinstance(widget, RelatedFieldWidgetWrapper):
            widget = widget.widget
        if isinstance(widget, forms.SplitDateTimeWidget):
            label = capfirst(str(formfield.label or db_field.verbose_name))
            date_part, time_part = widget.widgets
            # Django's own "Date:" / "Time:" (its catalogues translate them).
            date_part.attrs["aria-label"] = f"{label}: {gettext('Date:').rstrip(':').lower()}"
            time_part.attrs["aria-label"] = f"{label}: {gettext('Time:').rstrip(':').lower()}"
        return formfield


class CompactInlineMixin(LabelledWidgetsMixin):
    """A tabular inline that fits the page: labelled date and time parts, and text areas two
    lines high (they grow as staff type; the page does not scroll sideways)."""

    textarea_rows = 2

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and isinstance(formfield.widget, forms.Textarea):
            formfield.widget.attrs.update({"rows": self.textarea_rows, "cols": 30})
        return formfield


def model_phrase(message: str, opts: Any) -> str:
    """One of Django's sentences about a model (``"Add %s"``, ``"Add another
    %(verbose_name)s"``), translated for that model where the catalogue says so.

    Norwegian adjectives agree with the noun: "Legg til ny konferanse" but "Legg til nytt
    opptak". Django's catalogue has one translation for every model, so the project's may add
    the same message in the model's context (``<app_label>.<model_name>``); without one the
    plain translation applies. Returns the translated pattern, not yet filled in."""
    context = f"{opts.app_label}.{opts.model_name}"
    translated = pgettext(context, message)
    return translated if translated != message else gettext(message)
