"""/metrics under ASGI (uvicorn in a thread, as tests/qa/test_live.py): a connected event stream
counts as a viewer until it disconnects, its request is timed to its response start, and the
timing middleware lets its frames through as they come."""

from __future__ import annotations

import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from conferences.choices import ConferenceStatus
from tests.factories import make_conference
from tests.qa.test_live import SseReader, _publish_questions

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "live-metrics-token-93c1"
STREAM_COUNT = (
    "dialogkonferanse_http_request_duration_seconds_count",
    (("method", "GET"), ("status", "2xx"), ("view", "qa:viewer_events")),
)
VIEWERS = ("dialogkonferanse_live_viewers", ())


def _scrape(base: str) -> dict:
    response = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def test_live_stream_counted_as_viewer_and_timed_to_response_start(
    asgi_server, viewer_factory, settings
):
    settings.METRICS_TOKEN = TOKEN
    conference = make_conference(status=ConferenceStatus.LIVE)
    _, client = viewer_factory(conference)
    cookies = {"sessionid": client.cookies["sessionid"].value}
    before = _scrape(asgi_server.url)

    reader = SseReader(f"{asgi_server.url}/me/{conference.slug}/stream/events/", cookies=cookies)
    try:
        _publish_questions(conference, 1)
        [event] = reader.take(1)  # a frame arrives while the stream stays open: not buffered
        during = _scrape(asgi_server.url)
    finally:
        reader.close()

    assert event["event"] == "question"
    assert during[VIEWERS] == before.get(VIEWERS, 0) + 1
    assert during.get(STREAM_COUNT, 0) == before.get(STREAM_COUNT, 0) + 1
    # The server notices the disconnect at the next heartbeat (1 s here).
    deadline = time.monotonic() + 15
    while _scrape(asgi_server.url)[VIEWERS] != before.get(VIEWERS, 0):
        assert time.monotonic() < deadline, "the viewer was never counted out"
        time.sleep(0.2)
