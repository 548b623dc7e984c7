"""The per-process fan-out hub keeps each conference's frames in order: a frame that overtakes
its predecessor (two writers' PUBLISHes crossing) waits for it, and an event whose publish never
came is read from the table once per process, however many viewers are connected."""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest

from conferences.choices import ConferenceStatus
from qa import live
from qa.live import LiveHub, Subscriber, channel_key, render_frame
from qa.models import LiveEvent
from tests.factories import make_conference

VIEWERS = 50


def _frame(event_id: int) -> bytes:
    return render_frame(event_id, "question", f'{{"id":{event_id}}}').encode()


def _listening(hub: LiveHub, key: str, last_id: int, count: int) -> list[Subscriber]:
    subscribers = [Subscriber(key, asyncio.Queue()) for _ in range(count)]
    hub._subscribers[key].update(subscribers)
    hub._last_id[key] = last_id
    return subscribers


def _drained(subscriber: Subscriber) -> list[int]:
    got = []
    while not subscriber.queue.empty():
        got.append(subscriber.queue.get_nowait()[0])
    return got


def test_hub_passes_a_frame_that_overtook_its_predecessor_on_in_order():
    async def scenario() -> tuple[list[list[int]], int]:
        hub = LiveHub()
        subscribers = _listening(hub, "7:viewers", 10, VIEWERS)
        hub._receive("7:viewers", 12, 11, _frame(12))
        held_back = [_drained(s) for s in subscribers[:1]]
        hub._receive("7:viewers", 11, 10, _frame(11))
        hub._receive("7:viewers", 11, 10, _frame(11))  # a repeat is dropped
        await asyncio.sleep(live._GAP_WAIT_SECONDS * 3)
        return held_back + [_drained(s) for s in subscribers], hub.table_reads

    (held_back, *received), table_reads = asyncio.run(scenario())

    assert held_back == []
    assert received == [[11, 12]] * VIEWERS
    assert table_reads == 0


def test_hub_replays_what_it_keeps_and_only_that(monkeypatch):
    monkeypatch.setattr(live, "_RECENT_FRAMES", 4)

    async def scenario() -> dict[int, object]:
        hub = LiveHub()
        _listening(hub, "7:viewers", 10, 1)
        answers = {
            "before anything passed on, at the hub's last": hub.frames_after("7:viewers", 10)
        }
        for event_id in range(11, 17):  # 11..16; 4 kept: 13..16
            hub._receive("7:viewers", event_id, event_id - 1, _frame(event_id))
        for cursor in (11, 12, 13, 15, 16, 40):
            answers[cursor] = hub.frames_after("7:viewers", cursor)
        answers["unknown key"] = hub.frames_after("8:viewers", 0)
        return answers

    answers = asyncio.run(scenario())

    assert answers["before anything passed on, at the hub's last"] == []
    assert answers[11] is None  # 12 is no longer kept: the table must be read
    assert answers[12] == [(n, _frame(n)) for n in (13, 14, 15, 16)]
    assert answers[13] == [(n, _frame(n)) for n in (14, 15, 16)]
    assert answers[15] == [(16, _frame(16))]
    assert answers[16] == []
    assert answers[40] == []  # ahead of this process: the queue brings what follows
    assert answers["unknown key"] is None


@pytest.mark.django_db(transaction=True)
def test_hub_reads_a_missing_event_from_the_table_once_for_all_viewers():
    conference = make_conference(status=ConferenceStatus.LIVE)
    events = [
        live.record_event(
            conference_id=conference.pk, channel="viewers", kind="question", payload={"id": n}
        )
        for n in range(3)
    ]
    first, missing, last = (event.pk for event in events)
    key = channel_key(conference.pk, "viewers")

    async def scenario() -> tuple[list[list[int]], int, list[bytes]]:
        hub = LiveHub()
        subscribers = _listening(hub, key, first, VIEWERS)
        # The publish of ``missing`` never arrives; ``last`` does.
        hub._receive(key, last, missing, _frame(last))
        await asyncio.sleep(live._GAP_WAIT_SECONDS)
        while hub._filling[key] and not hub._filling[key].done():
            await asyncio.sleep(0.01)
        frames = [item[2] for item in list(subscribers[0].queue._queue)]  # type: ignore[attr-defined]
        return [_drained(s) for s in subscribers], hub.table_reads, frames

    received, table_reads, frames = asyncio.run(scenario())

    assert received == [[missing, last]] * VIEWERS
    assert table_reads == 1
    stored = LiveEvent.objects.get(pk=missing)
    assert frames[0] == render_frame(missing, "question", stored.frame_data).encode()


STREAMS = 20


@pytest.mark.django_db(transaction=True)
def test_event_streams_hold_no_thread_each(asgi_server, viewer_session):
    # Django keeps a thread per request until its response ends; an event stream lasts the
    # whole conference, so the stream views are @long_lived (dialogkonferanse/common/asgi.py).
    conference = make_conference(status=ConferenceStatus.LIVE)
    _, cookies = viewer_session(conference)
    host, port = asgi_server.url.removeprefix("http://").split(":")
    request = (
        f"GET /me/{conference.slug}/stream/events/ HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Accept: text/event-stream\r\nCookie: sessionid={cookies['sessionid']}\r\n\r\n"
    ).encode()
    before = threading.active_count()
    streams = []
    try:
        for _ in range(STREAMS):
            stream = socket.create_connection((host, int(port)), timeout=10)
            streams.append(stream)
            stream.sendall(request)
            received = b""
            while b": connected" not in received:
                chunk = stream.recv(4096)
                assert chunk, received
                received += chunk
            assert received.startswith(b"HTTP/1.1 200 ")
        during = threading.active_count()
    finally:
        for stream in streams:
            stream.close()

    # asgiref's shared threads may start; no thread per stream.
    assert during - before < STREAMS // 2


class _QueuedHub:
    """Stands in for the process's hub: one subscriber whose queue already holds ``items``,
    as when a busy node reaches a stream only after several frames arrived for it."""

    def __init__(self, items: list[object]) -> None:
        self.subscriber = Subscriber("7:viewers", asyncio.Queue())
        for item in items:
            self.subscriber.queue.put_nowait(item)

    async def attach(self, key: str) -> Subscriber:
        return self.subscriber

    def frames_after(self, key: str, cursor: int) -> list[tuple[int, bytes]]:
        return []

    def detach(self, subscriber: Subscriber) -> None:
        pass


def _chunks(monkeypatch, items: list[object], *, table: list[int] = ()) -> list[bytes]:
    """What a stream at cursor 10 writes once its queue holds ``items``; ``table``: the stored
    event ids a catch-up reads."""
    monkeypatch.setattr(live, "hub", _QueuedHub(items))
    monkeypatch.setattr(live, "redis_url", lambda: "redis://queued-hub")

    async def events_after(conference_id: int, channel: str, after: int):
        return [(n, "question", f'{{"id":{n}}}') for n in table if n > after]

    monkeypatch.setattr(live, "events_after", events_after)

    async def read() -> list[bytes]:
        stream = live.event_stream(conference_id=7, channel="viewers", cursor=10)
        chunks = []
        try:
            await anext(stream)  # the retry interval and the "connected" comment
            while True:
                chunk = await asyncio.wait_for(anext(stream), 0.2)
                chunks.append(chunk if isinstance(chunk, bytes) else chunk.encode())
        except TimeoutError:
            return chunks
        finally:
            await stream.aclose()

    return asyncio.run(read())


def test_frames_queued_for_a_stream_go_out_in_one_write(monkeypatch):
    chunks = _chunks(
        monkeypatch,
        [(11, 10, _frame(11)), (12, 11, _frame(12)), live.HEARTBEAT, (13, 12, _frame(13))],
    )

    assert chunks == [_frame(11) + _frame(12) + _frame(13)]


def test_a_gap_in_queued_frames_is_read_from_the_table_in_order(monkeypatch):
    chunks = _chunks(
        monkeypatch,
        [(11, 10, _frame(11)), (14, 13, _frame(14)), (12, 11, _frame(12)), (15, 14, _frame(15))],
        table=[11, 12, 13, 14],
    )

    # 11 goes out; 14 reveals a gap, so the table gives 12 to 14; 12 was sent by then; 15 follows.
    assert b"".join(chunks) == b"".join(_frame(n) for n in (11, 12, 13, 14, 15))
    assert chunks[0] == _frame(11)


def test_a_lone_heartbeat_is_written(monkeypatch):
    assert _chunks(monkeypatch, [live.HEARTBEAT]) == [b": heartbeat\n\n"]
