"""ASGI entry point: the app is served by uvicorn (gunicorn with uvicorn workers in production)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dialogkonferanse.settings")

application = get_asgi_application()
