"""The two roles and their permissions, applied by data migrations (``sync_roles``).

A later app adds its permissions here and ships a migration that calls ``sync_roles`` again.
"""

from __future__ import annotations

from typing import Any

PROCUREMENT_STAFF = "Procurement staff"
MODERATOR = "Moderator"

_CRUD = ("add", "change", "delete", "view")

ROLE_PERMISSIONS: dict[str, set[tuple[str, str]]] = {
    PROCUREMENT_STAFF: {
        *(
            ("conferences", f"{action}_{model}")
            for model in ("buyerorganisation", "conference", "agendaitem", "noticereference")
            for action in _CRUD
        ),
        ("conferences", "view_statuschange"),
        # The information package: staff upload and publish; the changelog is read-only.
        *(
            ("conferences", f"{action}_{model}")
            for model in ("recording", "caption", "chapter", "document", "clarification")
            for action in _CRUD
        ),
        ("conferences", "view_packagechange"),
        # The outbox is read-only in the admin; "change" allows re-queueing failed emails.
        ("dialogkonferanse", "view_outboundemail"),
        ("dialogkonferanse", "change_outboundemail"),
        ("dialogkonferanse", "view_outboundattachment"),
        # The audit log: read and export only; nobody adds, changes or deletes entries.
        ("dialogkonferanse", "view_auditentry"),
        # Registrations: staff correct details and re-issue links; suppliers' rows are never
        # added or deleted here (cancel or anonymise instead).
        ("registrations", "view_registration"),
        ("registrations", "change_registration"),
        *(
            ("meetings", f"{action}_{model}")
            for model in (
                "meetingsettings",
                "meetingwindow",
                "team",
                "slot",
                "meeting",
                "waitinglistentry",
                "minutes",
            )
            for action in _CRUD
        ),
        ("meetings", "view_meetingevent"),
        # qa: staff moderate too, and see attendance and the stored live events.
        *(("qa", f"{action}_question") for action in ("change", "view")),
        *(("qa", f"{action}_answer") for action in ("add", "change", "view")),
        ("qa", "view_vote"),
        ("qa", "view_attendance"),
        ("qa", "view_answerdigest"),
        ("qa", "add_answerdigest"),
        ("qa", "view_liveevent"),
    },
    MODERATOR: {
        ("conferences", "view_conference"),
        ("conferences", "view_agendaitem"),
        # qa: the moderator dashboard (qa.permissions.can_moderate).
        *(("qa", f"{action}_question") for action in ("change", "view")),
        *(("qa", f"{action}_answer") for action in ("add", "change", "view")),
        ("qa", "view_answerdigest"),
        ("qa", "add_answerdigest"),
    },
}


def sync_roles(apps: Any) -> None:
    """Create the groups and give each exactly the permissions listed above.

    ``apps`` is a migration's historical registry (or ``django.apps.apps``). Permissions are
    normally created after all migrations; they are created here first so a fresh database
    gets its roles in one ``migrate``.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        stub = getattr(app_config, "models_module", None) is None
        if stub:
            app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        if stub:
            app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, wanted in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=name)
        perms = [
            perm
            for perm in permission_model.objects.filter(
                content_type__app_label__in={app for app, _ in wanted}
            ).select_related("content_type")
            if (perm.content_type.app_label, perm.codename) in wanted
        ]
        group.permissions.set(perms)
