"""The one event publisher and fan-out for live updates (CONVENTIONS "Live updates").

Writing: ``record_event`` stores a ``LiveEvent`` in the caller's transaction, with its SSE frame
rendered once, and publishes the frame through Redis after commit (one pub/sub channel per
conference and audience). On PostgreSQL a transaction-scoped advisory lock per conference makes
event ids grow in commit order, so "everything up to id N" is a valid replay cursor.

Reading: one Redis subscription per server process (``LiveHub``, an asyncio task started lazily
on the first stream) fans each frame out to the in-process queues of connected clients.
``event_stream`` is the async iterator an SSE response streams: it replays stored events after
the client's cursor (``Last-Event-ID``), then switches to live frames, dropping ids it has
already sent. Without Redis (``QA_LIVE_REDIS_URL`` empty) it polls the ``LiveEvent`` table.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import redis
import redis.asyncio as aioredis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

from dialogkonferanse.common import redis_clients
from dialogkonferanse.common.metrics import LIVE_VIEWERS

from .choices import Channel
from .models import LiveEvent

logger = logging.getLogger(__name__)

# Namespace of the advisory lock that orders event ids per conference (0x5141 = "QA").
_ADVISORY_NAMESPACE = 0x5141
_REPLAY_BATCH = 500


# --- Writing ----------------------------------------------------------------------------------


def subscriber_name() -> str:
    """The Redis client name of this process's live-event subscription."""
    return f"dialogkonferanse-live-{os.getpid()}"


def redis_url() -> str:
    return getattr(settings, "QA_LIVE_REDIS_URL", "") or ""


def channel_prefix() -> str:
    """Redis pub/sub is global across database numbers, so channels carry the database name:
    test runs and benchmarks on one Redis never hear each other."""
    configured = getattr(settings, "QA_LIVE_CHANNEL_PREFIX", "")
    if configured:
        return configured
    return f"dk:qa:{connection.settings_dict['NAME']}:"


def channel_key(conference_id: int, channel: str) -> str:
    return f"{conference_id}:{channel}"


def render_frame(event_id: int, kind: str, data: str) -> str:
    """One SSE frame; ``data`` is single-line JSON (json.dumps escapes newlines)."""
    return f"id: {event_id}\nevent: {kind}\ndata: {data}\n\n"


def record_event(
    *, conference_id: int, channel: str, kind: str, payload: dict[str, Any]
) -> LiveEvent:
    """Store one live event in the caller's transaction and publish it after commit.

    Lock: a transaction-scoped advisory lock per conference (PostgreSQL), held to commit, so ids
    are assigned in commit order and ``previous_id`` is the committed predecessor on the same
    channel. Keep this the last write of the transaction.
    Side effect: one Redis PUBLISH on commit (nothing on rollback).
    """
    channel = Channel(channel)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [_ADVISORY_NAMESPACE, conference_id]
            )
    data = json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    previous_id = latest_event_id(conference_id=conference_id, channel=channel) or None
    event = LiveEvent.objects.create(
        conference_id=conference_id,
        channel=channel,
        kind=kind,
        payload=payload,
        frame_data=data,
        previous_id=previous_id,
    )
    if redis_url():
        message = f"{event.pk}\n{previous_id or 0}\n{render_frame(event.pk, kind, data)}"
        redis_channel = channel_prefix() + channel_key(conference_id, channel)
        transaction.on_commit(lambda: _publish(redis_channel, message))
    return event


def _publish(redis_channel: str, message: str) -> None:
    # The event is committed: a failed publish only delays it until the clients' next catch-up
    # read (every heartbeat), it never loses it.
    try:
        redis_clients.client(redis_url()).publish(redis_channel, message)
    except redis.RedisError:
        logger.warning("Could not publish a live event on %s", redis_channel, exc_info=True)


def latest_event_id(*, conference_id: int, channel: str) -> int:
    """The cursor a freshly rendered page starts from (read it before the page's data)."""
    last = (
        LiveEvent.objects.filter(conference_id=conference_id, channel=channel)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    return last or 0


def _latest(conference_id: int, channel: str) -> int:
    try:
        return latest_event_id(conference_id=conference_id, channel=channel)
    finally:
        if not connection.in_atomic_block:
            connection.close()


_latest_released = sync_to_async(_latest, thread_sensitive=False)


def _events_after(conference_id: int, channel: str, after: int) -> list[tuple[int, str, str]]:
    try:
        return list(
            LiveEvent.objects.filter(conference_id=conference_id, channel=channel, id__gt=after)
            .order_by("id")
            .values_list("id", "kind", "frame_data")[:_REPLAY_BATCH]
        )
    finally:
        # Runs in an executor thread outside any request: give the connection back.
        if not connection.in_atomic_block:
            connection.close()


events_after = sync_to_async(_events_after, thread_sensitive=False)


# --- Fan-out: one subscription per process ----------------------------------------------------

RESYNC = object()  # queue marker: frames may have been missed, read the table
HEARTBEAT = object()  # queue marker: send a keep-alive comment


@dataclass(eq=False)
class Subscriber:
    key: str
    queue: asyncio.Queue


# How long the hub waits for a frame published out of order (two writers commit one after the
# other and their PUBLISHes cross) before it reads the missing events from the table itself.
_GAP_WAIT_SECONDS = 0.05
_MAX_PENDING = 200
# Frames each hub keeps per conference and channel, so that a stream opening (or reopening
# with Last-Event-ID) at a recent cursor replays them from memory instead of reading the table.
_RECENT_FRAMES = 256


class LiveHub:
    """One Redis pattern subscription per process and event loop, fanning frames out to the
    queues of connected clients. Started lazily by the first ``attach``.

    The hub passes each conference's frames on in id order, each one's predecessor the frame
    before it: a frame that arrives ahead of its predecessor waits (briefly) for it, and an
    event whose publish never came is read from the table, once per process and not once per
    client, so a gap costs one query whatever the number of viewers. The last frames passed on
    are kept (``frames_after``): a stream that opens at a recent cursor, as every page load and
    every reconnection after a lost node does, starts without reading the table.
    """

    def __init__(self) -> None:
        self._subscribers: dict[str, set[Subscriber]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready: asyncio.Event | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self._prefix = ""
        # Per key: the last event passed on in order, and frames waiting for a predecessor
        # (by the id of that predecessor).
        self._last_id: dict[str, int] = {}
        self._pending: dict[str, dict[int, tuple[int, int, bytes]]] = defaultdict(dict)
        self._filling: dict[str, asyncio.Task[None]] = {}
        # Per key: the last frames passed on, consecutive (each one's predecessor the one before).
        self._recent: dict[str, deque[tuple[int, int, bytes]]] = {}
        self.messages = 0
        self.table_reads = 0
        self._reported: set[int] = set()

    @property
    def clients(self) -> int:
        return sum(len(s) for s in self._subscribers.values())

    async def attach(self, key: str, *, timeout: float = 3.0) -> Subscriber | None:
        """A queue receiving every frame for ``key``; ``None`` when Redis is unreachable."""
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._loop is not loop:
            self._loop = loop
            self._ready = asyncio.Event()
            self._subscribers = defaultdict(set)
            self._last_id = {}
            self._pending = defaultdict(dict)
            self._filling = {}
            self._recent = {}
            self._prefix = await sync_to_async(channel_prefix, thread_sensitive=False)()
            self._task = loop.create_task(self._run(), name="qa-live-hub")
            if self._heartbeat is not None and not self._heartbeat.done():
                with contextlib.suppress(RuntimeError):  # its loop may be closed already
                    self._heartbeat.cancel()
            self._heartbeat = loop.create_task(self._beat(), name="qa-live-heartbeat")
        if key not in self._last_id:
            conference_id, channel = key.split(":", 1)
            self._last_id[key] = await _latest_released(int(conference_id), channel)
        subscriber = Subscriber(key, asyncio.Queue(maxsize=settings.QA_SSE_QUEUE_SIZE))
        # Subscribed before the caller reads the table, so no frame falls in between.
        self._subscribers[key].add(subscriber)
        assert self._ready is not None  # noqa: S101
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            self.detach(subscriber)
            return None
        return subscriber

    def detach(self, subscriber: Subscriber) -> None:
        subscribers = self._subscribers.get(subscriber.key)
        if subscribers is not None:
            subscribers.discard(subscriber)
            if not subscribers:
                # No one here listens to this key any more: stop following it (the next
                # attach starts again from the table).
                self._subscribers.pop(subscriber.key, None)
                self._last_id.pop(subscriber.key, None)
                self._pending.pop(subscriber.key, None)
                self._recent.pop(subscriber.key, None)
                filling = self._filling.pop(subscriber.key, None)
                if filling is not None:
                    filling.cancel()

    def _receive(self, key: str, event_id: int, previous_id: int, frame: bytes) -> None:
        """A frame from Redis: pass it on if it follows the last one, else hold it back."""
        last = self._last_id.get(key)
        if last is None or event_id <= last:
            return  # no client of this process listens, or it was passed on already
        if previous_id == last:
            self._pass_on(key, (event_id, previous_id, frame))
            return
        self._pending[key][previous_id] = (event_id, previous_id, frame)
        wait = 0.0 if len(self._pending[key]) > _MAX_PENDING else _GAP_WAIT_SECONDS
        self._fill_later(key, wait, only_for_a_gap=True)

    def _pass_on(self, key: str, item: tuple[int, int, bytes]) -> None:
        """Dispatch ``item`` and every held-back frame that now follows in order."""
        pending = self._pending.get(key, {})
        recent = self._recent.get(key)
        if recent is None:
            recent = self._recent[key] = deque(maxlen=_RECENT_FRAMES)
        while True:
            self._dispatch(key, item)
            self._last_id[key] = item[0]
            recent.append(item)
            following = pending.pop(item[0], None)
            if following is None:
                break
            item = following
        for previous_id in [p for p in pending if p < self._last_id[key]]:
            del pending[previous_id]  # behind what was passed on (read from the table)
        if not pending:
            self._pending.pop(key, None)

    def frames_after(self, key: str, cursor: int) -> list[tuple[int, bytes]] | None:
        """The frames of ``key`` after ``cursor`` that this process has passed on, in order, or
        ``None`` when it cannot tell them all (the table must be read).

        Call right after ``attach``, before awaiting anything: what is passed on later goes to
        the subscriber's queue. Every event up to the hub's last one is committed and the kept
        frames are consecutive, so they are exactly the table's rows after ``cursor`` up to
        there; a cursor ahead of the hub (the client saw a newer event through another node)
        needs nothing now, the queue brings the rest.
        """
        last = self._last_id.get(key)
        if last is None:
            return None
        if cursor >= last:
            return []
        recent = self._recent.get(key)
        if not recent or cursor < recent[0][1]:
            return None  # older than what is kept (or nothing kept since the table's last)
        return [(event_id, frame) for event_id, _previous, frame in recent if event_id > cursor]

    def _fill_later(self, key: str, wait: float, *, only_for_a_gap: bool = False) -> None:
        running = self._filling.get(key)
        if running is None or running.done():
            fill = self._fill(key, wait, only_for_a_gap=only_for_a_gap)
            self._filling[key] = asyncio.get_running_loop().create_task(fill)

    async def _fill(self, key: str, wait: float, *, only_for_a_gap: bool) -> None:
        """Read the events after the last one passed on from the table and pass them on (the
        table has no hole behind a committed row, see ``record_event``). ``only_for_a_gap``:
        not if the late frame arrived meanwhile and nothing is held back any more."""
        await asyncio.sleep(wait)
        if only_for_a_gap and not self._pending.get(key):
            return
        conference_id, channel = key.split(":", 1)
        while key in self._last_id:
            after = self._last_id[key]
            self.table_reads += 1
            try:
                rows = await events_after(int(conference_id), channel, after)
            except Exception:
                logger.warning("Live-update hub could not read events", exc_info=True)
                self._dispatch(key, RESYNC)  # each client reads the table itself
                return
            previous_id = after
            for event_id, kind, data in rows:
                if event_id > self._last_id.get(key, event_id):
                    frame = render_frame(event_id, kind, data).encode()
                    self._pass_on(key, (event_id, previous_id, frame))
                previous_id = event_id
            if len(rows) < _REPLAY_BATCH:
                return

    def _dispatch(self, key: str, item: object) -> None:
        for subscriber in tuple(self._subscribers.get(key, ())):
            try:
                subscriber.queue.put_nowait(item)
            except asyncio.QueueFull:
                # A client too slow to keep up: drop its backlog, it re-reads the table.
                while not subscriber.queue.empty():
                    subscriber.queue.get_nowait()
                subscriber.queue.put_nowait(RESYNC)

    async def _beat(self) -> None:
        """Every heartbeat: a keep-alive to each client, and one table read per conference and
        channel (not per client) to catch an event whose publish failed after commit."""
        while True:
            await asyncio.sleep(float(settings.QA_SSE_HEARTBEAT_SECONDS))
            for key in tuple(self._subscribers):
                conference_id, channel = key.split(":", 1)
                try:
                    latest = await _latest_released(int(conference_id), channel)
                except Exception:
                    logger.warning("Live-update heartbeat could not read events", exc_info=True)
                    latest = 0
                if latest > self._last_id.setdefault(key, latest):
                    self._fill_later(key, 0.0)  # a publish that never came
                self._dispatch(key, HEARTBEAT)
            await self._report_viewers()

    async def _report_viewers(self) -> None:
        """Store this process's count of connected viewers per conference for the staff
        overview (``viewers_now``); a conference whose last viewer left is reported once as 0."""
        counts = {
            int(key.split(":", 1)[0]): len(subscribers)
            for key, subscribers in self._subscribers.items()
            if key.split(":", 1)[1] == Channel.VIEWERS
        }
        for conference_id in self._reported - counts.keys():
            counts[conference_id] = 0
        self._reported = {conference_id for conference_id, n in counts.items() if n}
        if not counts:
            return
        try:
            await sync_to_async(report_viewers, thread_sensitive=False)(
                prefix=self._prefix, counts=counts
            )
        except redis.RedisError:
            logger.warning("Could not store the number of connected viewers", exc_info=True)

    def _resync_all(self) -> None:
        """After the subscription was lost: what was published meanwhile is in the table."""
        for key in tuple(self._subscribers):
            self._fill_later(key, 0.0)

    async def _run(self) -> None:
        assert self._ready is not None  # noqa: S101
        backoff = 0.5
        first = True
        while True:
            # Named per process, so `CLIENT LIST` shows which server holds each subscription.
            client = aioredis.Redis.from_url(
                redis_url(), socket_connect_timeout=2, client_name=subscriber_name()
            )
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(self._prefix + "*")
                self._ready.set()
                if not first:
                    self._resync_all()  # frames published while we were away
                first = False
                backoff = 0.5
                async for message in pubsub.listen():
                    if message.get("type") != "pmessage":
                        continue
                    self.messages += 1
                    key = message["channel"].decode()[len(self._prefix) :]
                    event_id, previous_id, frame = message["data"].decode().split("\n", 2)
                    self._receive(key, int(event_id), int(previous_id), frame.encode())
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("Live-update subscription lost; reconnecting", exc_info=True)
                self._ready.clear()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                    await client.aclose()


hub = LiveHub()


# --- Viewers connected now (staff overview) ----------------------------------------------------


def _viewers_key(prefix: str, conference_id: int) -> str:
    return f"{prefix}viewers:{conference_id}"


def _viewers_fresh_seconds() -> float:
    """A process's report older than three heartbeats is from a process that is gone."""
    return 3 * float(settings.QA_SSE_HEARTBEAT_SECONDS)


def report_viewers(*, prefix: str, counts: dict[int, int], now: float | None = None) -> None:
    """Store one server process's number of connected viewers per conference: one Redis hash
    per conference, one field per process (``host:pid``), value ``count:unix time``.

    Written by each process's hub at every heartbeat, so the figure lags by at most one
    heartbeat. The hash expires when no process has written it for three heartbeats.
    """
    field = f"{socket.gethostname()}:{os.getpid()}"
    stamp = time.time() if now is None else now
    ttl = max(1, int(_viewers_fresh_seconds()))
    pipe = redis_clients.client(redis_url()).pipeline(transaction=False)
    for conference_id, count in counts.items():
        key = _viewers_key(prefix, conference_id)
        pipe.hset(key, field, f"{count}:{stamp:.3f}")
        pipe.expire(key, ttl)
    pipe.execute()


def viewers_now(*, conference_ids: list[int], now: float | None = None) -> dict[int, int] | None:
    """Viewers of each conference's stream page connected now, summed over every server
    process's fresh report; ``None`` when it cannot be known (no Redis, or Redis down)."""
    if not redis_url():
        return None
    prefix = channel_prefix()
    current = time.time() if now is None else now
    fresh = _viewers_fresh_seconds()
    try:
        pipe = redis_clients.client(redis_url()).pipeline(transaction=False)
        for conference_id in conference_ids:
            pipe.hgetall(_viewers_key(prefix, conference_id))
        reports = pipe.execute()
    except redis.RedisError:
        logger.warning("Could not read the number of connected viewers", exc_info=True)
        return None
    totals: dict[int, int] = {}
    for conference_id, report in zip(conference_ids, reports, strict=True):
        total = 0
        for value in report.values():
            count, _, stamp = value.decode().partition(":")
            try:
                if current - float(stamp) <= fresh:
                    total += int(count)
            except ValueError:
                continue
        totals[conference_id] = total
    return totals


# --- The stream one client reads --------------------------------------------------------------


def parse_cursor(value: str | None) -> int | None:
    if not value:
        return None
    try:
        cursor = int(value.strip())
    except ValueError:
        return None
    return cursor if cursor >= 0 else None


_HEARTBEAT_COMMENT = b": heartbeat\n\n"


def _follows(item: object, cursor: int) -> bool | None:
    """Whether the queued ``item`` is a live frame right after ``cursor`` (``True``), has
    nothing to send (``False``: a frame sent already, or a ``HEARTBEAT``), or leaves a gap
    behind it, as a ``RESYNC`` does (``None``)."""
    if item is HEARTBEAT:
        return False
    if item is RESYNC:
        return None
    event_id, previous_id, _frame = item  # type: ignore[misc]
    if event_id <= cursor:
        return False
    return True if previous_id == cursor else None


async def event_stream(
    *, conference_id: int, channel: str, cursor: int
) -> AsyncIterator[str | bytes]:
    """Frames for one client: stored events after ``cursor`` (from the hub's recent frames when
    it kept them all, else from the table), then live ones, heartbeats between.

    Invariant: the client has been sent every event of its stream up to ``cursor`` and no
    other, so its Last-Event-ID is always a valid resume point. A live frame whose predecessor
    is the cursor is passed on as it is (the bytes rendered once); one that reveals a gap (its
    predecessor was published late, or the queue overflowed) makes the stream read the table.
    Events commit in id order per conference, so the table never has a hole behind a row.
    """
    heartbeat = float(settings.QA_SSE_HEARTBEAT_SECONDS)
    state = {"cursor": cursor}

    async def catch_up() -> AsyncIterator[str]:
        while True:
            rows = await events_after(conference_id, channel, state["cursor"])
            for event_id, kind, data in rows:
                state["cursor"] = event_id
                yield render_frame(event_id, kind, data)
            if len(rows) < _REPLAY_BATCH:
                return

    yield f"retry: {settings.QA_SSE_RETRY_MS}\n: connected\n\n"
    subscriber = await hub.attach(channel_key(conference_id, channel)) if redis_url() else None
    # Counted while connected, for /metrics (added up over the worker processes).
    viewer = channel == Channel.VIEWERS
    if viewer:
        LIVE_VIEWERS.inc()
    try:
        replay = (
            hub.frames_after(channel_key(conference_id, channel), cursor)
            if subscriber is not None
            else None
        )
        if replay is None:
            async for frame in catch_up():
                yield frame
        else:  # from the hub's memory: no read of the table
            for event_id, raw_frame in replay:
                state["cursor"] = event_id
                yield raw_frame
        if subscriber is None:
            # Embedded default (no Redis), or Redis down: poll the stored events.
            poll = float(settings.QA_SSE_POLL_SECONDS)
            last_beat = time.monotonic()
            while True:
                await asyncio.sleep(poll)
                async for frame in catch_up():
                    yield frame
                    last_beat = time.monotonic()
                if time.monotonic() - last_beat >= heartbeat:
                    yield _HEARTBEAT_COMMENT
                    last_beat = time.monotonic()
        while True:
            # No timeout here: the hub's heartbeat task wakes every queue (one timer, not one
            # per client and event).
            item = await subscriber.queue.get()
            # Whatever else is queued by the time this stream runs goes out in the same write:
            # when a busy node falls behind, each stream then costs one write per turn, not one
            # per frame, and catches up instead of falling further behind.
            ready: list[bytes] = []
            beat = False
            while True:
                beat = beat or item is HEARTBEAT
                follows = _follows(item, state["cursor"])
                if follows is None:  # a resync or a gap: the table has it all, in order
                    if ready:
                        yield b"".join(ready)
                        ready = []
                    async for frame in catch_up():
                        yield frame
                elif follows:
                    event_id, _previous_id, raw_frame = item  # type: ignore[misc]
                    state["cursor"] = event_id
                    ready.append(raw_frame)  # the frame rendered once, shared by every client
                try:
                    item = subscriber.queue.get_nowait()
                except asyncio.QueueEmpty:
                    break
            if ready or beat:  # data keeps the connection alive as well as a heartbeat does
                yield b"".join(ready) or _HEARTBEAT_COMMENT
    finally:
        if viewer:
            LIVE_VIEWERS.dec()
        if subscriber is not None:
            hub.detach(subscriber)
