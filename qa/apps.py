from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QaConfig(AppConfig):
    name = "qa"
    verbose_name = _("Questions and answers")

    def ready(self) -> None:
        from conferences.signals import conference_status_changed
        from dialogkonferanse.personal_data import register_personal_data_handlers

        # Registers the app's Celery tasks in every process (web, worker, commands, tests):
        # services queue them by name (dialogkonferanse/common/tasks.py).
        from . import personal_data, receivers, tasks  # noqa: F401

        conference_status_changed.connect(
            receivers.announce_status_to_viewers,
            sender=None,
            dispatch_uid="qa.announce_status_to_viewers",
        )

        register_personal_data_handlers.connect(
            personal_data.register_handlers, dispatch_uid="qa.personal_data"
        )
