from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QaConfig(AppConfig):
    name = "qa"
    verbose_name = _("Questions and answers")

    def ready(self) -> None:
        # Registers the app's Celery tasks in every process (web, worker, commands, tests):
        # services queue them by name (dialogkonferanse/common/tasks.py).
        from . import tasks  # noqa: F401
