"""Live delivery end to end: the app under uvicorn (ASGI) in a thread, real Redis pub/sub, and
event-stream clients reading with httpx."""

from __future__ import annotations

import json
import queue
import threading
import time

import httpx
import pytest
import redis
from django.conf import settings as django_settings

from conferences.choices import ConferenceStatus
from qa import live, services
from qa.models import LiveEvent
from tests.factories import make_conference, make_question, make_registration

pytestmark = pytest.mark.django_db(transaction=True)


class SseReader:
    """Reads one event stream in a thread; ``events`` gets a dict per frame."""

    def __init__(self, url: str, *, cookies: dict[str, str], headers: dict | None = None) -> None:
        self.url, self.cookies, self.headers = url, cookies, headers or {}
        self.events: queue.Queue[dict[str, str]] = queue.Queue()
        self.status: int | None = None
        self.connected = threading.Event()
        self.comments = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        assert self.connected.wait(10), "the stream did not answer"

    def _run(self) -> None:
        timeout = httpx.Timeout(10, read=30)
        with (
            httpx.Client(timeout=timeout, cookies=self.cookies) as client,
            client.stream("GET", self.url, headers=self.headers) as response,
        ):
            self.status = response.status_code
            self.connected.set()
            frame: dict[str, str] = {}
            for line in response.iter_lines():
                if self._stop.is_set():
                    return
                if line == "":
                    if "data" in frame:
                        self.events.put(frame)
                    frame = {}
                elif line.startswith(":"):
                    self.comments += 1
                else:
                    name, _, value = line.partition(":")
                    frame[name] = value.removeprefix(" ")

    def take(self, count: int, timeout: float = 10) -> list[dict[str, str]]:
        got = []
        deadline = time.monotonic() + timeout
        while len(got) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"expected {count} events, got {got}")
            got.append(self.events.get(timeout=remaining))
        return got

    def quiet(self, seconds: float) -> list[dict[str, str]]:
        """Whatever arrives within ``seconds`` (to prove nothing more comes)."""
        time.sleep(seconds)
        extra = []
        while not self.events.empty():
            extra.append(self.events.get_nowait())
        return extra

    def close(self) -> None:
        self._stop.set()
        self.thread.join(timeout=5)


def _publish_questions(conference, count: int, prefix: str = "Q") -> list:
    published = []
    for n in range(count):
        question = make_question(conference=conference, text=f"{prefix}{n}")
        services.approve_question(
            conference_id=conference.pk,
            question_id=question.pk,
            moderator=None,
            expected_version=1,
        )
        published.append(question)
    return published


def test_event_published_reaches_connected_viewer(asgi_server, viewer_session):
    conference = make_conference(status=ConferenceStatus.LIVE)
    _, cookies = viewer_session(conference)
    reader = SseReader(f"{asgi_server.url}/me/{conference.slug}/stream/events/", cookies=cookies)
    try:
        assert reader.status == 200
        [question] = _publish_questions(conference, 1, prefix="<b>Live</b>")

        [event] = reader.take(1)

        stored = LiveEvent.objects.get(channel="viewers")
        assert (event["event"], event["id"]) == ("question", str(stored.pk))
        assert json.loads(event["data"])["text"] == "<b>Live</b>0"
        assert json.loads(event["data"])["id"] == question.pk
        assert reader.quiet(0.5) == []
    finally:
        reader.close()


def test_new_question_reaches_moderator_stream(asgi_server, viewer_factory, roles):
    from django.test import Client

    from tests.factories import make_moderator

    conference = make_conference(status=ConferenceStatus.LIVE)
    client = Client()
    client.force_login(make_moderator())
    cookies = {"sessionid": client.cookies["sessionid"].value}
    reader = SseReader(f"{asgi_server.url}/moderate/{conference.slug}/events/", cookies=cookies)
    try:
        registration = make_registration(conference=conference)
        question = services.ask_question(registration_id=registration.pk, text="Til moderator?")

        [event] = reader.take(1)

        assert event["event"] == "question_new"
        assert json.loads(event["data"]) == {"id": question.pk, "status": "awaiting", "version": 1}
        assert registration.organisation_name not in event["data"]
    finally:
        reader.close()


def _resume(conference, url: str, cookies: dict, last_event_id: str) -> tuple[list, list, list]:
    """Reopen a stream at ``last_event_id``: the 2 events it missed, 1 published after, and
    whatever else arrives (nothing, if all is well)."""
    second = SseReader(url, cookies=cookies, headers={"Last-Event-ID": last_event_id})
    try:
        replayed = second.take(2)
        _publish_questions(conference, 1, prefix="after")
        live_event = second.take(1)
        extra = second.quiet(0.5)
    finally:
        second.close()
    return replayed, live_event, extra


def test_last_event_id_replays_missed_events_without_doubles(asgi_server, viewer_session):
    conference = make_conference(status=ConferenceStatus.LIVE)
    _, cookies = viewer_session(conference)
    url = f"{asgi_server.url}/me/{conference.slug}/stream/events/"
    first = SseReader(url, cookies=cookies)
    _publish_questions(conference, 3, prefix="before")
    seen = first.take(3)
    first.close()

    _publish_questions(conference, 2, prefix="missed")  # while disconnected
    replayed, live_event, extra = _resume(conference, url, cookies, seen[-1]["id"])

    texts = [json.loads(e["data"])["text"] for e in seen + replayed + live_event]
    assert texts == ["before0", "before1", "before2", "missed0", "missed1", "after0"]
    assert extra == []
    ids = [int(e["id"]) for e in seen + replayed + live_event]
    assert ids == sorted(set(ids))
    assert ids == list(LiveEvent.objects.filter(channel="viewers").values_list("id", flat=True))


def test_reconnecting_stream_replays_recent_events_from_memory(
    asgi_server, viewer_session, monkeypatch
):
    # The process's hub keeps the last frames it passed on: a stream reopening at a recent
    # Last-Event-ID (a page load, a reconnection after a lost node) reads nothing from the table.
    conference = make_conference(status=ConferenceStatus.LIVE)
    _, cookies = viewer_session(conference)
    url = f"{asgi_server.url}/me/{conference.slug}/stream/events/"
    staying = SseReader(url, cookies=cookies)  # keeps the hub following the conference
    first = SseReader(url, cookies=cookies)
    _publish_questions(conference, 3, prefix="before")
    seen = first.take(3)
    first.close()
    _publish_questions(conference, 2, prefix="missed")
    staying.take(5)  # the hub has passed all five on
    reads = []
    original = live.events_after

    async def counted(*args):
        reads.append(args)
        return await original(*args)

    monkeypatch.setattr(live, "events_after", counted)
    try:
        replayed, live_event, extra = _resume(conference, url, cookies, seen[-1]["id"])
    finally:
        staying.close()

    texts = [json.loads(e["data"])["text"] for e in replayed + live_event]
    assert texts == ["missed0", "missed1", "after0"]
    assert extra == []
    assert reads == []


def test_query_cursor_used_on_first_connect(asgi_server, viewer_session):
    conference = make_conference(status=ConferenceStatus.LIVE)
    _, cookies = viewer_session(conference)
    _publish_questions(conference, 2)
    first_id = LiveEvent.objects.filter(channel="viewers").order_by("id").first().pk

    reader = SseReader(
        f"{asgi_server.url}/me/{conference.slug}/stream/events/?last_event_id={first_id}",
        cookies=cookies,
    )
    try:
        [event] = reader.take(1)
        assert json.loads(event["data"])["text"] == "Q1"
        assert reader.quiet(0.3) == []
    finally:
        reader.close()


def test_one_redis_subscription_per_process_fans_out(asgi_server, viewer_session):
    conference = make_conference(status=ConferenceStatus.LIVE)
    client = redis.Redis.from_url(django_settings.QA_LIVE_REDIS_URL)
    readers = []
    try:
        for _ in range(5):
            _, cookies = viewer_session(conference)
            readers.append(
                SseReader(f"{asgi_server.url}/me/{conference.slug}/stream/events/", cookies=cookies)
            )
        _publish_questions(conference, 1, prefix="fan")
        frames = [reader.take(1)[0] for reader in readers]

        stored = LiveEvent.objects.get(channel="viewers").frame_data
        assert [f["data"] for f in frames] == [stored] * 5  # rendered once, same bytes for all
        assert live.hub.clients == 5
        # Counted by this process's client name: other test processes share the Redis server.
        ours = [c for c in client.client_list() if c["name"] == live.subscriber_name()]
        assert [int(c["psub"]) for c in ours] == [1]
    finally:
        for reader in readers:
            reader.close()


def test_without_redis_streams_poll_the_stored_events(asgi_server, viewer_session, settings):
    settings.QA_LIVE_REDIS_URL = ""
    conference = make_conference(status=ConferenceStatus.LIVE)
    _, cookies = viewer_session(conference)
    url = f"{asgi_server.url}/me/{conference.slug}/stream/events/"
    reader = SseReader(url, cookies=cookies)
    try:
        _publish_questions(conference, 2, prefix="poll")
        events = reader.take(2)
        assert [json.loads(e["data"])["text"] for e in events] == ["poll0", "poll1"]
        assert reader.quiet(0.5) == []
    finally:
        reader.close()
    resumed = SseReader(url, cookies=cookies, headers={"Last-Event-ID": events[0]["id"]})
    try:
        assert [json.loads(e["data"])["text"] for e in resumed.take(1)] == ["poll1"]
        assert resumed.quiet(0.5) == []
    finally:
        resumed.close()


def test_vote_counts_coalesced_then_flushed_by_task(
    asgi_server, viewer_session, settings, celery_worker
):
    settings.QA_VOTE_COALESCE_MS = 300
    conference = make_conference(status=ConferenceStatus.LIVE)
    [question] = _publish_questions(conference, 1)
    _, cookies = viewer_session(conference)
    reader = SseReader(f"{asgi_server.url}/me/{conference.slug}/stream/events/", cookies=cookies)
    try:
        for _ in range(6):
            registration = make_registration(conference=conference)
            services.vote_question(registration_id=registration.pk, question_id=question.pk)
        events = reader.take(2, timeout=15)
        extra = reader.quiet(1.0)
    finally:
        reader.close()

    counts = [
        json.loads(e["data"])["counts"][str(question.pk)]
        for e in events + extra
        if e["event"] == "votes"
    ]
    assert counts[0] == 1
    assert counts[-1] == 6
    assert len(counts) < 6


def test_late_published_event_fills_the_gap_in_order(asgi_server, viewer_session, settings):
    conference = make_conference(status=ConferenceStatus.LIVE)
    _, cookies = viewer_session(conference)
    reader = SseReader(f"{asgi_server.url}/me/{conference.slug}/stream/events/", cookies=cookies)
    try:
        url = settings.QA_LIVE_REDIS_URL
        settings.QA_LIVE_REDIS_URL = ""  # A is committed, but its publish is "late" (never)
        live.record_event(
            conference_id=conference.pk, channel="viewers", kind="t", payload={"n": 1}
        )
        settings.QA_LIVE_REDIS_URL = url
        live.record_event(
            conference_id=conference.pk, channel="viewers", kind="t", payload={"n": 2}
        )

        events = reader.take(2)
        extra = reader.quiet(0.5)
    finally:
        reader.close()

    stored = list(LiveEvent.objects.filter(conference=conference).order_by("id"))
    assert [e["id"] for e in events] == [str(e.pk) for e in stored]
    assert [json.loads(e["data"]) for e in events] == [{"n": 1}, {"n": 2}]
    assert stored[1].previous_id == stored[0].pk
    assert extra == []


def test_event_whose_publish_failed_arrives_with_the_heartbeat(
    asgi_server, viewer_session, settings
):
    conference = make_conference(status=ConferenceStatus.LIVE)
    _, cookies = viewer_session(conference)
    reader = SseReader(f"{asgi_server.url}/me/{conference.slug}/stream/events/", cookies=cookies)
    try:
        time.sleep(0.3)  # subscribed
        url = settings.QA_LIVE_REDIS_URL
        settings.QA_LIVE_REDIS_URL = ""  # committed, never published
        live.record_event(conference_id=conference.pk, channel="viewers", kind="t", payload={})
        settings.QA_LIVE_REDIS_URL = url

        [event] = reader.take(1, timeout=5)  # heartbeat is 1 s in these tests
    finally:
        reader.close()

    assert event["id"] == str(LiveEvent.objects.get(conference=conference).pk)
    assert reader.comments >= 1
