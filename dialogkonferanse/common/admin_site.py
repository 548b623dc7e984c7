"""The admin site: Django's, with one guard every admin view shares."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import admin
from django.contrib.admin import helpers
from django.core.exceptions import BadRequest, ValidationError
from django.db import connections, router
from django.db.models import Model
from django.http import HttpRequest, HttpResponseBase

from .admin_mixins import LabelledWidgetsMixin


def _labelled(admin_class: type) -> type:
    """``admin_class`` with ``LabelledWidgetsMixin`` first (its inlines too), same name."""
    if issubclass(admin_class, LabelledWidgetsMixin):
        return admin_class
    attrs: dict[str, Any] = {"__module__": admin_class.__module__}
    inlines = getattr(admin_class, "inlines", None)
    if inlines:
        attrs["inlines"] = [_labelled(inline) for inline in inlines]
    return type(admin_class.__name__, (LabelledWidgetsMixin, admin_class), attrs)


class DialogAdminSite(admin.AdminSite):
    """Django's admin site, except that

    - an action posted with a selection that cannot be a primary key of the model
      (``_selected_action=abc``) is a 400 page, not a 500: Django's ``response_action``
      filters on the raw values and the lookup fails while building the query;
    - every model admin and inline registered here names the date and time parts of its
      date-time fields (``LabelledWidgetsMixin``), so no admin form has unlabelled inputs.
    """

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        super().register(model_or_iterable, _labelled(admin_class or admin.ModelAdmin), **options)

    def admin_view(self, view: Callable[..., HttpResponseBase], cacheable: bool = False):  # type: ignore[no-untyped-def]
        model_admin = getattr(view, "__self__", None)
        model = getattr(model_admin, "model", None)
        if model is None:
            return super().admin_view(view, cacheable)

        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method == "POST":
                for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
                    if not _is_primary_key(model, value):
                        raise BadRequest("The selected objects are not primary keys.")
            return view(request, *args, **kwargs)

        return super().admin_view(checked, cacheable)


def _is_primary_key(model: type[Model], value: str) -> bool:
    """Whether ``value`` can be a primary key of ``model`` in its database column."""
    pk = model._meta.pk
    try:
        python_value = pk.to_python(value)
    except ValidationError:
        return False
    if isinstance(python_value, int):
        connection = connections[router.db_for_read(model)]
        low, high = connection.ops.integer_field_range(pk.get_internal_type())
        return (low is None or python_value >= low) and (high is None or python_value <= high)
    return True
