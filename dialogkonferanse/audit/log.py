"""The audit log: every change staff or moderators make, with who, when, before and after.

Services call ``record_audit`` inside their own transaction, so the entry commits (or rolls
back) with the change. ModelAdmins get the same for free from ``AuditedAdminMixin``: add it as
the first base class. Values are stored as JSON (dates ISO 8601, foreign keys as ids); secrets
(token hashes, session secrets, whole messages) are only recorded as changed, never by value.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import decimal
import hashlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db import models, router, transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from dialogkonferanse.choices import AuditAction
from dialogkonferanse.models import AuditEntry

# Recorded only as "changed": their values would be credentials or whole messages.
SECRET_FIELDS = frozenset({"token_hash", "session_secret", "password", "mime", "frame_data"})
# Bookkeeping that changes with every save and tells nothing about what staff did.
SKIPPED_FIELDS = frozenset({"created_at", "updated_at", "votes_flush_pending"})
SECRET = "[secret]"  # noqa: S105 - a placeholder, not a password
NEW_SECRET = "[new secret]"  # noqa: S105
# Objects whose conference or registration is reached through one of these parents.
_PARENT_FIELDS = ("meeting", "question", "meeting_settings", "email", "slot")
# Objects an action recorded with a specific entry; the admin adds no generic one for them.
_recorded: contextvars.ContextVar[set[tuple[int, str]] | None] = contextvars.ContextVar(
    "dialogkonferanse_audit_recorded", default=None
)

User = AbstractBaseUser | AnonymousUser | None


# --- Snapshots ------------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview | bytearray):
        return "[binary]"
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_value(v) for v in value]
    if hasattr(value, "name") and hasattr(value, "storage"):  # a FieldFile
        return value.name or ""
    return str(value)


def _fingerprint(value: Any) -> str:
    raw = value if isinstance(value, bytes) else str(value or "").encode()
    if isinstance(value, memoryview):
        raw = value.tobytes()
    return "" if not raw else hashlib.sha256(raw).hexdigest()


def snapshot(obj: Model | None) -> dict[str, Any]:
    """The object's concrete field values as JSON (foreign keys as ids).

    Secret fields appear as a fingerprint used only to tell whether they changed; ``diff``
    never copies it into the log.
    """
    if obj is None:
        return {}
    values: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in SKIPPED_FIELDS:
            continue
        value = getattr(obj, field.attname)
        if field.name in SECRET_FIELDS or isinstance(field, models.BinaryField):
            values[field.name] = {"secret": _fingerprint(value)}
        else:
            values[field.name] = _json_value(value)
    return values


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and "secret" in value


def _secret_pair(before: Any, after: Any) -> list[str | None]:
    had = bool(isinstance(before, dict) and before.get("secret"))
    has = bool(isinstance(after, dict) and after.get("secret"))
    return [SECRET if had else None, NEW_SECRET if has else None]


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for every field whose value differs."""
    changes: dict[str, list[Any]] = {}
    for name in list(before) + [n for n in after if n not in before]:
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if _is_secret(old) or _is_secret(new):
            changes[name] = _secret_pair(old, new)
        else:
            changes[name] = [old, new]
    return changes


# --- Recording ------------------------------------------------------------------------------


def _parent(obj: Model) -> Model | None:
    for name in _PARENT_FIELDS:
        try:
            field = obj._meta.get_field(name)
        except Exception:  # noqa: S112 - FieldDoesNotExist and friends: try the next name
            continue
        if field.many_to_one or field.one_to_one:
            try:
                parent = getattr(obj, name)
            except Exception:  # noqa: S112 - a deleted parent: nothing to follow
                continue
            if isinstance(parent, Model):
                return parent
    return None


def conference_id_of(obj: Model | None, _depth: int = 0) -> int | None:
    if obj is None or _depth > 2:
        return None
    if obj._meta.label == "conferences.Conference":
        return obj.pk
    if getattr(obj, "conference_id", None) is not None:
        return obj.conference_id  # type: ignore[attr-defined]
    return conference_id_of(_parent(obj), _depth + 1)


def registration_id_of(obj: Model | None, _depth: int = 0) -> int | None:
    if obj is None or _depth > 2:
        return None
    if obj._meta.label == "registrations.Registration":
        return obj.pk
    if getattr(obj, "registration_id", None) is not None:
        return obj.registration_id  # type: ignore[attr-defined]
    return registration_id_of(_parent(obj), _depth + 1)


def _actor(actor: User) -> tuple[AbstractBaseUser | None, str]:
    if actor is None or not actor.is_authenticated:
        return None, "system"
    return actor, actor.get_username()  # type: ignore[return-value]


def record_audit(
    *,
    actor: User,
    action: str,
    obj: Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    changes: dict[str, Any] | None = None,
    note: str = "",
    conference_id: int | None = None,
    registration_id: int | None = None,
    model: type[Model] | None = None,
    object_id: Any = None,
    object_repr: str | None = None,
) -> AuditEntry | None:
    """Append one entry to the audit log in the caller's transaction.

    ``changes`` defaults to ``diff(before, after)``; an update that changed nothing and has no
    note records nothing (returns ``None``). Lock: none (an insert).
    """
    if changes is None:
        changes = diff(before or {}, after or {})
    if action == AuditAction.UPDATE and not changes and not note:
        return None
    user, actor_repr = _actor(actor)
    model = model or (type(obj) if obj is not None else None)
    content_type = ContentType.objects.get_for_model(model) if model is not None else None
    if object_id is None and obj is not None:
        object_id = obj.pk
    if object_repr is None:
        object_repr = str(obj) if obj is not None else ""
    entry = AuditEntry.objects.create(
        at=timezone.now(),
        actor=user,
        actor_repr=actor_repr[:150],
        action=str(action)[:40],
        content_type=content_type,
        object_id="" if object_id is None else str(object_id),
        object_repr=object_repr[:300],
        conference_id=conference_id if conference_id is not None else conference_id_of(obj),
        registration_id=(
            registration_id if registration_id is not None else registration_id_of(obj)
        ),
        changes=_json_value(changes),
        note=note,
    )
    recorded = _recorded.get()
    if recorded is not None and content_type is not None:
        recorded.add((content_type.pk, entry.object_id))
    return entry


def record_change(
    *, actor: User, action: str, obj: Model, before: dict[str, Any], note: str = ""
) -> AuditEntry | None:
    """Shorthand: the entry for ``obj`` as it is now against the ``before`` snapshot."""
    return record_audit(
        actor=actor, action=action, obj=obj, before=before, after=snapshot(obj), note=note
    )


@contextmanager
def collecting_recorded() -> Iterator[set[tuple[int, str]]]:
    """The (content type, object id) pairs recorded inside the block."""
    seen: set[tuple[int, str]] = set()
    token = _recorded.set(seen)
    try:
        yield seen
    finally:
        _recorded.reset(token)


# --- The admin ------------------------------------------------------------------------------


class AuditedAdminMixin:
    """Put first in a ModelAdmin's bases: every add, change, inline change, delete and action
    made through that admin is appended to the audit log, in the admin's own transaction.

    Hooks only methods that admins rarely override (``save_form``, ``save_related``,
    ``log_addition``/``log_change``/``log_deletions``, ``response_action``), so an admin whose
    ``save_model`` or ``save_formset`` calls a service is covered all the same.
    """

    audit_action_limit = 5000  # objects compared before and after an action

    def _audit_before(self, request: HttpRequest) -> dict[tuple[str, Any], dict[str, Any]]:
        store = getattr(request, "_audit_before", None)
        if store is None:
            store = {}
            request._audit_before = store  # type: ignore[attr-defined]
        return store

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Any:
        instance = form.instance
        if change and instance.pk is not None:
            current = type(instance)._default_manager.filter(pk=instance.pk).first()
            self._audit_before(request)[(instance._meta.label, instance.pk)] = snapshot(current)
        return super().save_form(request, form, change)  # type: ignore[misc]

    def _record_saved(self, request: HttpRequest, obj: Model, *, created: bool) -> None:
        before = self._audit_before(request).pop((obj._meta.label, obj.pk), {})
        record_audit(
            actor=request.user,
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            obj=obj,
            before={} if created else before,
            after=snapshot(obj),
        )

    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        self._record_saved(request, obj, created=True)
        return super().log_addition(request, obj, message)  # type: ignore[misc]

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        if (obj._meta.label, obj.pk) in self._audit_before(request):
            self._record_saved(request, obj, created=False)
        return super().log_change(request, obj, message)  # type: ignore[misc]

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        for obj in queryset:
            record_audit(
                actor=request.user, action=AuditAction.DELETE, obj=obj, before=snapshot(obj)
            )
        return super().log_deletions(request, queryset)  # type: ignore[misc]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Inline objects: created, changed and deleted rows, each with its own entry."""
        pending: list[tuple[Any, Any, dict[str, Any]]] = []
        deleted: list[Model] = []
        for formset in formsets:
            model = formset.model
            changed_pks = [
                f.instance.pk
                for f in formset.initial_forms
                if f.instance.pk is not None and f.has_changed()
            ]
            current = {o.pk: snapshot(o) for o in model._default_manager.filter(pk__in=changed_pks)}
            for inline_form in formset.forms:
                if not inline_form.has_changed():
                    continue
                if formset.can_delete and formset._should_delete_form(inline_form):
                    if inline_form.instance.pk is not None:
                        stored = model._default_manager.filter(pk=inline_form.instance.pk).first()
                        if stored is not None:
                            deleted.append(stored)
                    continue
                pending.append(
                    (inline_form, inline_form.instance.pk, current.get(inline_form.instance.pk, {}))
                )
        for obj in deleted:
            record_audit(
                actor=request.user, action=AuditAction.DELETE, obj=obj, before=snapshot(obj)
            )
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        for inline_form, old_pk, before in pending:
            instance = inline_form.instance
            if instance.pk is None:
                continue
            record_audit(
                actor=request.user,
                action=AuditAction.CREATE if old_pk is None else AuditAction.UPDATE,
                obj=instance,
                before=before,
                after=snapshot(instance),
            )

    def response_action(self, request: HttpRequest, queryset: QuerySet) -> Any:
        """Run the action in one transaction; each selected object it changed gets an entry,
        unless the service it called already recorded a more specific one."""
        from django.contrib.admin import helpers

        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        select_across = request.POST.get("select_across") == "1"
        targets = queryset if select_across else queryset.filter(pk__in=selected)
        action = (request.POST.getlist("action") or [""])[0]
        model = queryset.model
        with transaction.atomic(using=router.db_for_write(model)):
            before = {o.pk: snapshot(o) for o in targets.order_by("pk")[: self.audit_action_limit]}
            with collecting_recorded() as recorded:
                response = super().response_action(request, queryset)  # type: ignore[misc]
            content_type = ContentType.objects.get_for_model(model)
            after = {o.pk: o for o in model._default_manager.filter(pk__in=list(before))}
            for pk, old in before.items():
                obj = after.get(pk)
                if obj is None or (content_type.pk, str(pk)) in recorded:
                    continue
                changes = diff(old, snapshot(obj))
                if changes:
                    record_audit(
                        actor=request.user,
                        action=f"{AuditAction.ACTION}:{action}"[:40],
                        obj=obj,
                        changes=changes,
                    )
        return response
