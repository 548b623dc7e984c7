"""Abstract model bases shared by every app, and the hand-written locking reads of hot paths."""

import functools
from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """``created_at``/``updated_at`` for every table, set by the database layer."""

    created_at = models.DateTimeField(_("created"), auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, editable=False)

    class Meta:
        abstract = True


class HttpsURLField(models.URLField):
    """A URL field whose form field assumes ``https://`` when the scheme is left out."""

    def formfield(self, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("assume_scheme", "https")
        return super().formfield(**kwargs)


# --- Locking reads on hot paths -------------------------------------------------------------
# The registration path takes two row locks per request; building those queries through the ORM
# cost more CPU than the rest of the transaction. These helpers run one hand-written statement
# and build the instances with Django's own converters, as a compiled queryset would.


@functools.cache
def select_columns(model: type[models.Model], alias: str = "") -> str:
    """The model's concrete columns, qualified by ``alias`` if given, in field order."""
    quote = connection.ops.quote_name
    prefix = f"{alias}." if alias else ""
    return ", ".join(f"{prefix}{quote(f.column)}" for f in model._meta.concrete_fields)


def lock_clause(*, share: bool = False, of: str = "") -> str:
    """``FOR UPDATE`` / ``FOR SHARE`` (optionally ``OF alias``) where the database has row locks;
    empty on SQLite, which serialises writers anyway."""
    if not connection.features.has_select_for_update:
        return ""
    clause = " FOR SHARE" if share and connection.vendor == "postgresql" else " FOR UPDATE"
    if of and connection.features.has_select_for_update_of:
        clause += f" OF {of}"
    return clause


def fetch_instances(
    sql: str, params: Sequence[Any], model_classes: Sequence[type[models.Model]]
) -> list[models.Model] | None:
    """Run ``sql``, whose first row holds each model's ``select_columns`` one model after the
    other, and build one instance per model; ``None`` when there is no row."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    return instances_from_row(row, model_classes)[0]


def instances_from_row(
    row: Sequence[Any], model_classes: Sequence[type[models.Model]]
) -> tuple[list[models.Model], list[Any]]:
    """One instance per model from consecutive columns of ``row`` (Django's converters
    applied), and the columns left over."""
    instances: list[models.Model] = []
    start = 0
    for model in model_classes:
        attnames, converters = _row_converters(model, connection.vendor)
        end = start + len(attnames)
        values = list(row[start:end])
        ops = connection.ops
        for index, col, functions in converters:
            value = values[index]
            for converter, of_ops in functions:
                # The backend's converters are bound to this thread's connection here.
                value = (
                    converter(ops, value, col, connection)
                    if of_ops
                    else converter(value, col, connection)
                )
            values[index] = value
        instances.append(model.from_db(connection.alias, attnames, values))
        start = end
    return instances, list(row[start:])


@functools.cache
def _row_converters(
    model: type[models.Model], vendor: str
) -> tuple[list[str], list[tuple[int, Any, list[tuple[Any, bool]]]]]:
    """The model's attribute names and, for the columns that need any, Django's converters
    (what a compiled queryset applies), worked out once per model and database vendor."""
    fields = model._meta.concrete_fields
    converters = []
    for index, field in enumerate(fields):
        col = field.get_col(model._meta.db_table)
        functions = [
            (f.__func__, True) if getattr(f, "__self__", None) is connection.ops else (f, False)
            for f in connection.ops.get_db_converters(col)
        ]
        functions += [(f, False) for f in col.get_db_converters(connection)]
        if functions:
            converters.append((index, col, functions))
    return [f.attname for f in fields], converters


def upsert(
    obj: models.Model,
    *,
    conflict: str,
    update: Sequence[str],
    marker: str,
    guard: tuple[str, Sequence[Any]] | None = None,
) -> tuple[models.Model, bool] | None:
    """``INSERT obj``, or, when the row exists under the unique index ``conflict`` (its SQL
    column/expression list), update just the ``update`` fields: one statement either way, and
    the row is locked until the transaction ends. Returns the row as stored and whether it was
    inserted (PostgreSQL's ``xmax = 0``; elsewhere: the row holds this call's value of
    ``marker``, a field the update leaves alone).

    ``guard`` is an SQL condition with its parameters (it may take row locks, such as
    ``EXISTS (SELECT … FOR SHARE)``): when it is false, the statement writes nothing and the
    result is ``None``.
    """
    model = type(obj)
    meta = model._meta
    quote = connection.ops.quote_name
    columns, values = _insert_values(obj)
    assignments = ", ".join(
        f"{quote(meta.get_field(name).column)} = EXCLUDED.{quote(meta.get_field(name).column)}"
        for name in update
    )
    marker_field = meta.get_field(marker)
    if connection.vendor == "postgresql":
        inserted_sql, inserted_params = "(xmax = 0)", []
    else:
        inserted_sql = f"({quote(marker_field.column)} = %s)"
        inserted_params = [marker_field.get_db_prep_save(getattr(obj, marker), connection)]
    # Identifiers come from model metadata; values are parameters.
    placeholders = ", ".join(["%s"] * len(values))
    source, guard_params = f"VALUES ({placeholders})", []
    if guard is not None:
        source, guard_params = f"SELECT {placeholders} WHERE {guard[0]}", list(guard[1])
    sql = (
        f"INSERT INTO {quote(meta.db_table)} "
        f"({', '.join(columns)}) {source} "
        f"ON CONFLICT ({conflict}) DO UPDATE SET {assignments} "
        f"RETURNING {select_columns(model)}, {inserted_sql}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, *guard_params, *inserted_params])
        row = cursor.fetchone()
    if row is None:
        return None
    (stored,), (inserted,) = instances_from_row(row, [model])
    return stored, bool(inserted)


def _insert_values(obj: models.Model) -> tuple[list[str], list[Any]]:
    """Quoted columns and prepared values for inserting ``obj`` (auto primary key left out)."""
    quote = connection.ops.quote_name
    fields = [f for f in obj._meta.concrete_fields if not (f.primary_key and obj.pk is None)]
    values = [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]
    return [quote(f.column) for f in fields], values
