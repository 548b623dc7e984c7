"""ASGI entry point: the app is served by uvicorn (gunicorn with uvicorn workers in production);
pages run on a thread pool through Django's WSGI handler, live event streams and file transfers
through its ASGI handler (dialogkonferanse/common/asgi.py)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dialogkonferanse.settings")

# Pages on a thread pool, streams and file transfers on the loop (dialogkonferanse/common/asgi.py).
from dialogkonferanse.common.asgi import get_asgi_application

application = get_asgi_application()
