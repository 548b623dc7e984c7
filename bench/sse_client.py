"""A lean server-sent-events client on raw asyncio transports: 1,000 streams in one process.

Used by the benchmarks (``bench_qa``) and the fault suite (``faults.py``). Each ``Stream`` is
one HTTP/1.1 connection; the protocol de-chunks the body and parses ``id:``, ``event:``,
``data:`` and ``retry:`` lines straight from ``data_received`` (no coroutine per frame), so
arrival times are stamped on receipt. With ``reconnect=True`` a stream behaves as a browser's
``EventSource``: when the connection ends or fails it waits the server's ``retry:`` delay and
opens a new one carrying ``Last-Event-ID``; it records how long each reconnection took.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


class Watch:
    """Arrival times of the first frame containing ``marker``, one per stream, stamped by the
    stream's own reader (no polling loop competing with the readers)."""

    def __init__(self, marker: str, expected: int) -> None:
        self.marker = marker
        self.expected = expected
        self.arrivals: dict[int, float] = {}
        self.done = asyncio.Event()

    def check(self, stream: Stream, data: str, now: float) -> None:
        if self.marker in data and id(stream) not in self.arrivals:
            self.arrivals[id(stream)] = now
            if len(self.arrivals) >= self.expected:
                self.done.set()


class _SseProtocol(asyncio.Protocol):
    """Parses HTTP/1.1 chunked SSE straight from ``data_received``."""

    def __init__(self, stream: Stream) -> None:
        self.stream = stream
        self.raw = b""
        self.body = b""
        self.headers_done = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        self.raw += data
        if not self.headers_done:
            head, sep, rest = self.raw.partition(b"\r\n\r\n")
            if not sep:
                return
            if b" 200 " not in head.split(b"\r\n", 1)[0]:
                self.stream.refused(head.split(b"\r\n", 1)[0].decode(errors="replace"), self)
                return
            self.headers_done, self.raw = True, rest
        while True:  # de-chunk
            size_line, sep, rest = self.raw.partition(b"\r\n")
            if not sep:
                break
            size = int(size_line.split(b";", 1)[0] or b"0", 16)
            if len(rest) < size + 2:
                break
            self.body += rest[:size]
            self.raw = rest[size + 2 :]
        while b"\n\n" in self.body:
            frame, self.body = self.body.split(b"\n\n", 1)
            self.stream.frame(frame.decode(), now)

    def connection_lost(self, exc: Exception | None) -> None:
        self.stream.lost(self)


@dataclass
class Stream:
    """One event-stream connection: the ids and frames it received, with arrival times.

    ``reconnect``: reopen after a loss as ``EventSource`` does (``retry:`` delay, then a new
    connection with ``Last-Event-ID``). ``reconnects`` holds, per loss, the seconds from the
    loss until the next connection's ``: connected`` comment; ``refusals`` the status lines of
    answers other than 200 (each followed by another attempt).
    """

    host: str
    port: int
    path: str
    cookie: str
    last_id: str = ""
    reconnect: bool = False
    retry_ms: int = 2000
    ids: list[int] = field(default_factory=list)
    frames: list[tuple[float, str, str]] = field(default_factory=list)  # (time, event, data)
    watch: Watch | None = None
    error: str = ""
    transport: asyncio.Transport | None = None
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    reconnects: list[float] = field(default_factory=list)
    reconnected_at: list[float] = field(default_factory=list)  # time.monotonic() of each
    refusals: list[str] = field(default_factory=list)
    connect_errors: int = 0
    losses: int = 0
    lost_times: list[float] = field(default_factory=list)  # time.monotonic() of each loss
    lost_at: float | None = None
    _protocol: _SseProtocol | None = None
    _closed: bool = False

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        protocol = _SseProtocol(self)
        self._protocol = protocol
        transport, _ = await loop.create_connection(lambda: protocol, self.host, self.port)
        if self._protocol is not protocol:  # cut or closed while connecting
            transport.abort()
            return
        self.transport = transport  # type: ignore[assignment]
        headers = [
            f"GET {self.path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            "Accept: text/event-stream",
            f"Cookie: {self.cookie}",
        ]
        if self.last_id:
            headers.append(f"Last-Event-ID: {self.last_id}")
        transport.write(("\r\n".join(headers) + "\r\n\r\n").encode())

    def frame(self, raw: str, now: float) -> None:
        event = data = event_id = ""
        for line in raw.split("\n"):
            if line.startswith("id: "):
                event_id = line[4:]
            elif line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
            elif line.startswith("retry: "):
                self.retry_ms = int(line[7:])
            elif line.startswith(": connected"):
                self.connected.set()
                if self.lost_at is not None:
                    moment = time.monotonic()
                    self.reconnects.append(moment - self.lost_at)
                    self.reconnected_at.append(moment)
                    self.lost_at = None
        if event_id:
            self.last_id = event_id
            self.ids.append(int(event_id))
        if data:
            self.frames.append((now, event, data))
            if self.watch is not None:
                self.watch.check(self, data, now)

    async def start(self) -> None:
        await self.open()

    async def cut(self) -> None:
        """Drop the connection (as a network failure would); no automatic reconnect."""
        self._protocol = None
        if self.transport is not None:
            self.transport.abort()
            self.transport = None
        self.connected = asyncio.Event()

    async def close(self) -> None:
        """Stop for good: no reconnect after this."""
        self._closed = True
        await self.cut()

    # --- Reconnecting ------------------------------------------------------------------------

    def refused(self, status_line: str, protocol: _SseProtocol) -> None:
        self.error = status_line
        self.refusals.append(status_line)
        if protocol.transport is not None:
            protocol.transport.close()  # connection_lost follows, and with it a new attempt

    def lost(self, protocol: _SseProtocol) -> None:
        """The connection of ``protocol`` ended; a deliberate ``cut`` is not a loss."""
        if protocol is not self._protocol:
            return
        self._protocol = None
        self.transport = None
        self.connected = asyncio.Event()
        if not self.reconnect or self._closed:
            return
        self.losses += 1
        self.lost_times.append(time.monotonic())
        if self.lost_at is None:
            self.lost_at = time.monotonic()
        asyncio.get_running_loop().call_later(self.retry_ms / 1000, self._spawn_reopen)

    def _spawn_reopen(self) -> None:
        if not self._closed and self._protocol is None:
            asyncio.get_running_loop().create_task(self._reopen())

    async def _reopen(self) -> None:
        try:
            await self.open()
        except OSError:
            # Refused or unreachable: EventSource waits its retry delay and tries again.
            self.connect_errors += 1
            self._protocol = None
            if not self._closed:
                asyncio.get_running_loop().call_later(self.retry_ms / 1000, self._spawn_reopen)


def run_client(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a load client's coroutine on uvloop (it comes with uvicorn[standard]), as the servers
    run theirs: the client's own reading of many streams then delays their arrival times less."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile: the smallest value with at least ``p`` % of the values at or
    below it (``nan`` for no values)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[index]
