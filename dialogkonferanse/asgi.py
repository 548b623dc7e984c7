"""ASGI entry point: the app is served by uvicorn (gunicorn with uvicorn workers in production)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dialogkonferanse.settings")

# Django's handler, but live event streams keep no thread each (dialogkonferanse/common/asgi.py).
from dialogkonferanse.common.asgi import get_asgi_application

application = get_asgi_application()
