from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _

from .common import converters


class DialogkonferanseConfig(AppConfig):
    """The project package as an app: shared template tags, management commands and the URL
    path converters every URL conf uses."""

    name = "dialogkonferanse"
    verbose_name = _("Dialogkonferanse")

    def ready(self) -> None:
        converters.register()
        # Registers the app's Celery tasks in every process (web, worker, commands, tests):
        # services queue them by name (dialogkonferanse/common/tasks.py).
        # The outbox's and the audit log's admin live in their sub-packages, which the admin's
        # autodiscovery (``<app>.admin`` only) does not look into.
        from .audit import admin as audit_admin  # noqa: F401
        from .outbox import admin as outbox_admin  # noqa: F401
        from .outbox import tasks  # noqa: F401

        # The outbox's and the audit log's part of the personal-data registry.
        from .personal_data import register_personal_data_handlers, register_shared_handlers

        register_personal_data_handlers.connect(
            register_shared_handlers, dispatch_uid="dialogkonferanse.personal_data"
        )


class DialogAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the project's site class (``dialogkonferanse.common.admin_site``);
    named in INSTALLED_APPS in place of ``django.contrib.admin``."""

    default = False  # not the project package's own config

    default_site = "dialogkonferanse.common.admin_site.DialogAdminSite"
