"""``/metrics``: Prometheus text exposition for whoever holds ``METRICS_TOKEN``.

What a scrape returns: the request-latency histogram and the live-viewer gauge kept while
serving (``dialogkonferanse/common/metrics.py``), and gauges read at scrape time: outbox emails
queued and failed (one grouped query) and the length of the Celery default queue (one LLEN on
the broker's Redis). The gauges read at scrape time are the same from every node; the viewer
gauge and the histogram belong to the node scraped.

With ``PROMETHEUS_MULTIPROC_DIR`` set, every worker process writes its values there and the
scrape adds them up, whichever worker answers; without it, the answering process's own values.
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Iterator

import redis
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from .celery import app as celery_app
from .choices import EmailStatus
from .common import redis_clients
from .models import OutboundEmail

logger = logging.getLogger(__name__)

QUEUE_READ_TIMEOUT_SECONDS = 1.0


def outbox_counts() -> dict[str, int]:
    """Emails queued and failed, in one grouped query."""
    wanted = (EmailStatus.QUEUED, EmailStatus.FAILED)
    rows = (
        OutboundEmail.objects.filter(status__in=wanted)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    counts = dict.fromkeys(wanted, 0)
    counts.update(dict(rows))
    return {str(status): n for status, n in counts.items()}


def celery_queue_length() -> int | None:
    """Tasks waiting in the default queue; ``None`` unless the broker is Redis (and reachable)."""
    broker = settings.CELERY_BROKER_URL
    if not broker.startswith(("redis://", "rediss://")):
        return None
    queue = celery_app.conf.task_default_queue
    return int(redis_clients.client(broker, QUEUE_READ_TIMEOUT_SECONDS).llen(queue))


class ScrapeTimeCollector(Collector):
    """Gauges read when scraped. A source that cannot be read is left out of the answer (and
    logged), so the rest still arrives."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            counts = outbox_counts()
        except Exception:
            logger.warning("Metrics: could not count outbox emails", exc_info=True)
        else:
            family = GaugeMetricFamily(
                "dialogkonferanse_outbox_emails",
                "Outbox emails by status (queued: waiting to be sent; failed: given up).",
                labels=["status"],
            )
            for status, n in counts.items():
                family.add_metric([status], n)
            yield family
        try:
            length = celery_queue_length()
        except redis.RedisError:
            logger.warning("Metrics: could not read the Celery queue length", exc_info=True)
        else:
            if length is not None:
                yield GaugeMetricFamily(
                    "dialogkonferanse_celery_queue_length",
                    "Tasks waiting in the Celery default queue.",
                    value=length,
                )


def exposition() -> bytes:
    """The text exposition of every metric, added up over worker processes when
    ``PROMETHEUS_MULTIPROC_DIR`` is set."""
    scrape = CollectorRegistry(auto_describe=False)
    scrape.register(ScrapeTimeCollector())
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        kept = CollectorRegistry(auto_describe=False)
        MultiProcessCollector(kept, path=directory)
        return generate_latest(kept) + generate_latest(scrape)
    return generate_latest(REGISTRY) + generate_latest(scrape)


def _authorised(request: HttpRequest, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """404 while no ``METRICS_TOKEN`` is configured (the endpoint does not exist); 403 without
    ``Authorization: Bearer <METRICS_TOKEN>`` or with another token."""
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404("Metrics are not enabled.")
    if not _authorised(request, token):
        raise PermissionDenied
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
