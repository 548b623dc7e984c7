"""Admin for the audit log: procurement staff view, filter, search and export it; nobody adds,
changes or deletes an entry."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dialogkonferanse.choices import AuditAction
from dialogkonferanse.common.admin_mixins import ReadOnlyAdminMixin
from dialogkonferanse.common.spreadsheet import neutralise_cell
from dialogkonferanse.models import AuditEntry


class AuditActionFilter(admin.SimpleListFilter):
    """The verbs actually in the log (services record specific ones, e.g. "approve")."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        labels = dict(AuditAction.choices)
        verbs = AuditEntry.objects.order_by("action").values_list("action", flat=True).distinct()
        return [(verb, str(labels.get(verb, verb))) for verb in verbs]

    def queryset(self, request: HttpRequest, queryset: QuerySet[AuditEntry]) -> Any:
        if self.value():
            return queryset.filter(action=self.value())
        return queryset


class AuditActorFilter(admin.SimpleListFilter):
    title = _("by")
    parameter_name = "actor"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        names = AuditEntry.objects.order_by("actor_repr").values_list("actor_repr", flat=True)
        return [(name, name) for name in names.distinct()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[AuditEntry]) -> Any:
        if self.value():
            return queryset.filter(actor_repr=self.value())
        return queryset


AUDIT_CSV_COLUMNS = (
    ("at", _("When (UTC)")),
    ("actor_repr", _("By")),
    ("action", _("Action")),
    ("content_type", _("Kind of object")),
    ("object_id", _("Object id")),
    ("object_repr", _("Object")),
    ("conference_id", _("Conference id")),
    ("changes", _("Changes")),
    ("note", _("Note")),
)


def audit_csv(entries: Any) -> str:
    """The entries as CSV, every cell neutralised against spreadsheet formulas."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([str(label) for _name, label in AUDIT_CSV_COLUMNS])
    for entry in entries:
        row = {
            "at": entry.at.isoformat(),
            "actor_repr": entry.actor_repr,
            "action": entry.action,
            "content_type": (
                f"{entry.content_type.app_label}.{entry.content_type.model}"
                if entry.content_type
                else ""
            ),
            "object_id": entry.object_id,
            "object_repr": entry.object_repr,
            "conference_id": entry.conference_id or "",
            "changes": json.dumps(entry.changes, ensure_ascii=False, sort_keys=True),
            "note": entry.note,
        }
        writer.writerow([neutralise_cell(row[name]) for name, _label in AUDIT_CSV_COLUMNS])
    return out.getvalue()


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit log: view, filter, search and export; nobody adds, changes or deletes."""

    list_display = ("at", "actor_repr", "action", "content_type", "object_repr", "conference")
    list_filter = (
        AuditActionFilter,
        "content_type",
        "conference",
        AuditActorFilter,
        "at",
    )
    list_select_related = ("content_type", "conference")
    search_fields = ("object_repr", "actor_repr", "note", "=object_id")
    date_hierarchy = "at"
    show_full_result_count = False
    actions = ("export_csv",)
    fields = (
        "at",
        "actor",
        "actor_repr",
        "action",
        "content_type",
        "object_id",
        "object_repr",
        "conference",
        "registration_id",
        "changes",
        "note",
    )
    readonly_fields = fields

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("Export selected as CSV"), permissions=("view",))
    def export_csv(self, request: HttpRequest, queryset: QuerySet[AuditEntry]) -> HttpResponse:
        rows = queryset.select_related("content_type").order_by("at", "pk")
        response = HttpResponse(
            "\ufeff" + audit_csv(rows.iterator(chunk_size=500)),
            content_type="text/csv; charset=utf-8",
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
        return response
