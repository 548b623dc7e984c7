"""Admin mixins shared by every app (Django only, so any app's admin may use them)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


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
