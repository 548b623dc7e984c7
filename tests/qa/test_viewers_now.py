"""Viewers connected now, for the staff overview: each server process's live-update hub stores
its count per conference in Redis at every heartbeat; ``live.viewers_now`` sums the fresh ones."""

from __future__ import annotations

import time

import pytest
from django.conf import settings as django_settings

from conferences.choices import ConferenceStatus
from dialogkonferanse.common import redis_clients
from qa import live
from tests.factories import make_conference
from tests.qa.test_live import SseReader


def _key(conference_id: int) -> str:
    return f"{live.channel_prefix()}viewers:{conference_id}"


@pytest.mark.django_db
def test_viewers_now_sums_fresh_reports_of_every_process(settings):
    settings.QA_SSE_HEARTBEAT_SECONDS = 10
    conference = make_conference(status=ConferenceStatus.LIVE)
    other = make_conference(status=ConferenceStatus.LIVE)
    client = redis_clients.client(live.redis_url())
    client.delete(_key(conference.pk), _key(other.pk))
    now = time.time()

    live.report_viewers(prefix=live.channel_prefix(), counts={conference.pk: 3}, now=now)
    client.hset(_key(conference.pk), "other-host:42", f"4:{now - 5:.3f}")
    client.hset(_key(conference.pk), "gone-host:7", f"100:{now - 31:.3f}")  # older than 3 beats

    assert live.viewers_now(conference_ids=[conference.pk, other.pk], now=now) == {
        conference.pk: 7,
        other.pk: 0,
    }
    assert 0 < client.ttl(_key(conference.pk)) <= 30


@pytest.mark.django_db
def test_viewers_now_unknown_without_redis(settings):
    settings.QA_LIVE_REDIS_URL = ""

    assert live.viewers_now(conference_ids=[1]) is None


def _wait_for_viewers(conference_id: int, expected: int) -> int:
    """Polls until the count is ``expected`` (the hub reports at each heartbeat), or gives up
    after a bound and returns the last count seen."""
    seen = -1
    for _ in range(100):
        seen = (live.viewers_now(conference_ids=[conference_id]) or {}).get(conference_id, -1)
        if seen == expected:
            return seen
        time.sleep(0.1)
    return seen


@pytest.mark.django_db(transaction=True)
def test_connected_stream_clients_are_counted_then_leave(asgi_server, viewer_session):
    conference = make_conference(status=ConferenceStatus.LIVE)
    redis_clients.client(django_settings.QA_LIVE_REDIS_URL).delete(_key(conference.pk))
    readers = []
    try:
        for _ in range(2):
            _, cookies = viewer_session(conference)
            readers.append(
                SseReader(f"{asgi_server.url}/me/{conference.slug}/stream/events/", cookies=cookies)
            )

        assert _wait_for_viewers(conference.pk, 2) == 2

        readers.pop().close()

        assert _wait_for_viewers(conference.pk, 1) == 1
    finally:
        for reader in readers:
            reader.close()
