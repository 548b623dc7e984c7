from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from . import converters


class DialogkonferanseConfig(AppConfig):
    """The project package as an app: shared template tags, management commands and the URL
    path converters every URL conf uses."""

    name = "dialogkonferanse"
    verbose_name = _("Dialogkonferanse")

    def ready(self) -> None:
        converters.register()
