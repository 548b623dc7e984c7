"""/metrics: refused without the token, the Prometheus text format with it; request latency by
route name, outbox and queue gauges read at scrape time, and worker processes added up."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from dialogkonferanse.celery import app as celery_app
from dialogkonferanse.choices import EmailStatus
from dialogkonferanse.common import redis_clients
from dialogkonferanse.common.jsonlog import JsonFormatter
from dialogkonferanse.common.metrics import LIVE_VIEWERS
from dialogkonferanse.gunicorn_conf import child_exit
from dialogkonferanse.models import OutboundEmail
from registrations.log_filters import RedactAccessTokens

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "metrics-test-token-7f3a"
LATENCY = "dialogkonferanse_http_request_duration_seconds"


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client: Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an authorised scrape, by name and labels."""
    response = client.get(reverse("metrics"), headers={"authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def latency_count(samples: dict, view: str, method: str = "GET", status: str = "2xx") -> float:
    labels = tuple(sorted({"view": view, "method": method, "status": status}.items()))
    return samples.get((f"{LATENCY}_count", labels), 0.0)


# --- Access --------------------------------------------------------------------------------------


def test_metrics_without_configured_token_is_404(client, settings):
    settings.METRICS_TOKEN = ""

    response = client.get(reverse("metrics"), headers={"authorization": "Bearer anything"})

    assert response.status_code == 404
    assert b"dialogkonferanse_" not in response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer "],
)
def test_metrics_without_the_right_token_is_403(client, token, authorization):
    headers = {"authorization": authorization} if authorization is not None else {}

    response = client.get(reverse("metrics"), headers=headers)

    assert response.status_code == 403
    assert b"dialogkonferanse_" not in response.content


@pytest.mark.django_db
def test_metrics_with_the_token_serves_the_text_format_uncached(client, token):
    response = client.get(reverse("metrics"), headers={"authorization": f"Bearer {TOKEN}"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert "no-store" in response["Cache-Control"]
    names = {family.name for family in text_string_to_metric_families(response.content.decode())}
    assert {
        LATENCY,
        "dialogkonferanse_live_viewers",
        "dialogkonferanse_outbox_emails",
        "dialogkonferanse_celery_queue_length",
    } <= names


# --- Request latency ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_metrics_histogram_counts_a_request_under_its_route_name(client, token):
    before = scrape(client)

    page = client.get(reverse("conferences:list"))
    after = scrape(client)

    assert page.status_code == 200
    assert latency_count(after, "conferences:list") == latency_count(before, "conferences:list") + 1
    paths = [labels for (_name, labels) in after if ("view", "/conferences/") in labels]
    assert paths == []


@pytest.mark.django_db
def test_metrics_histogram_bounds_unmatched_paths_and_methods(client, token):
    before = scrape(client)

    client.get("/no-such-page-4711/")
    client.generic("FROBNICATE", reverse("conferences:list"))
    after = scrape(client)

    unmatched = latency_count(after, "<unmatched>", status="4xx")
    assert unmatched == latency_count(before, "<unmatched>", status="4xx") + 1
    # An unknown method is counted as "other" (the page refuses it: 405).
    other = latency_count(after, "conferences:list", method="other", status="4xx")
    assert other == latency_count(before, "conferences:list", method="other", status="4xx") + 1
    assert not any("4711" in value for (_name, labels) in after for _key, value in labels)


# --- Gauges read at scrape time ----------------------------------------------------------------


def _email(key: str, status: str) -> OutboundEmail:
    return OutboundEmail.objects.create(
        kind="test",
        to_email="a@example.org",
        language="nb",
        subject="S",
        body_text="B",
        idempotency_key=key,
        status=status,
        sent_at=timezone.now() if status == EmailStatus.SENT else None,
    )


@pytest.mark.django_db
def test_metrics_outbox_gauges_match_the_rows(client, token, django_assert_num_queries):
    for n in range(3):
        _email(f"queued-{n}", EmailStatus.QUEUED)
    for n in range(2):
        _email(f"failed-{n}", EmailStatus.FAILED)
    _email("sent-0", EmailStatus.SENT)

    with django_assert_num_queries(1):  # one grouped query per scrape
        samples = scrape(client)

    assert samples[("dialogkonferanse_outbox_emails", (("status", "queued"),))] == 3
    assert samples[("dialogkonferanse_outbox_emails", (("status", "failed"),))] == 2


@pytest.mark.django_db
def test_metrics_queue_length_matches_tasks_waiting_in_redis(client, token, settings):
    queue = celery_app.conf.task_default_queue
    broker = redis_clients.client(settings.CELERY_BROKER_URL)
    broker.delete(queue)
    try:
        for n in range(4):  # nothing consumes this test process's queue here
            celery_app.send_task("outbox.send_email", args=[n], queue=queue)

        samples = scrape(client)

        assert broker.llen(queue) == 4
        assert samples[("dialogkonferanse_celery_queue_length", ())] == 4
    finally:
        broker.delete(queue)


@pytest.mark.django_db
def test_metrics_live_viewers_gauge_follows_connected_streams(client, token):
    before = scrape(client)[("dialogkonferanse_live_viewers", ())]
    LIVE_VIEWERS.inc()
    try:
        assert scrape(client)[("dialogkonferanse_live_viewers", ())] == before + 1
    finally:
        LIVE_VIEWERS.dec()
    assert scrape(client)[("dialogkonferanse_live_viewers", ())] == before


# --- Several worker processes -------------------------------------------------------------------

WORKER = textwrap.dedent(
    """
    import django
    django.setup()
    from django.test import Client
    from dialogkonferanse.common.metrics import LIVE_VIEWERS

    assert Client().get("/healthz/live").status_code == 200
    LIVE_VIEWERS.inc()  # one viewer connected to this worker
    print("done")
    """
)


@pytest.mark.django_db
def test_metrics_multiprocess_mode_adds_up_worker_processes(client, token, tmp_path, monkeypatch):
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "dialogkonferanse.settings",
    }
    workers = [
        subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", WORKER], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    for worker in workers:
        out, _ = worker.communicate(timeout=120)
        assert worker.returncode == 0
        assert out.strip() == "done"
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))

    samples = scrape(client)

    assert latency_count(samples, "healthz_live") == 2
    assert samples[("dialogkonferanse_live_viewers", ())] == 2
    # The server's child-exit hook: a worker that is gone takes its viewers, not its requests.
    child_exit(None, SimpleNamespace(pid=workers[0].pid))
    samples = scrape(client)
    assert samples[("dialogkonferanse_live_viewers", ())] == 1
    assert latency_count(samples, "healthz_live") == 2


# --- JSON logs ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_json_log_request_line_has_fields_and_no_token(settings, caplog):
    settings.LOG_FORMAT = "json"
    with caplog.at_level(logging.INFO, logger="dialogkonferanse.request"):
        Client().get("/r/secret-personal-token-123/")
    [record] = [r for r in caplog.records if r.name == "dialogkonferanse.request"]
    RedactAccessTokens().filter(record)  # the console handler's filter runs before formatting

    entry = json.loads(JsonFormatter().format(record))

    assert entry["level"] == "INFO"
    assert entry["logger"] == "dialogkonferanse.request"
    assert entry["method"] == "GET"
    assert entry["path"] == "/r/[redacted]/"
    assert entry["status"] in (301, 302, 404)
    assert entry["duration_ms"] >= 0
    assert entry["time"].endswith("+00:00")
    assert "secret-personal-token" not in json.dumps(entry)


def test_json_log_plain_format_logs_no_request_line(settings, caplog):
    settings.LOG_FORMAT = "plain"
    with caplog.at_level(logging.INFO, logger="dialogkonferanse.request"):
        Client().get(reverse("healthz_live"))

    assert [r for r in caplog.records if r.name == "dialogkonferanse.request"] == []


def test_json_log_exception_is_one_line():
    try:
        raise ValueError("broken")
    except ValueError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "failed %s", ("here",), sys.exc_info()
        )

    line = JsonFormatter().format(record)

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "failed here"
    assert "ValueError: broken" in entry["exception"]
