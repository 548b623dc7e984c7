from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DialogkonferanseConfig(AppConfig):
    """The project package as an app: shared template tags and management commands."""

    name = "dialogkonferanse"
    verbose_name = _("Dialogkonferanse")
