from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConferencesConfig(AppConfig):
    name = "conferences"
    verbose_name = _("Conferences")

    def ready(self) -> None:
        # Registers the app's Celery tasks in every process (beat schedules them by name).
        from . import tasks  # noqa: F401
