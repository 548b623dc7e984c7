"""The Celery application. Configuration comes from Django settings (``CELERY_*``)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dialogkonferanse.settings")

# Eager tasks (no broker) that a request queues run after its response:
# dialogkonferanse/common/eager.py.
app = Celery("dialogkonferanse", task_cls="dialogkonferanse.common.eager:DeferredEagerTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
