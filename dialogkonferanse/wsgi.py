"""WSGI entry point, for tools that need one; the app is normally served under ASGI."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dialogkonferanse.settings")

application = get_wsgi_application()
