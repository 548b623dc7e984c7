"""The lean SSE client of the benchmarks and the fault suite (bench/sse_client.py) against a
small event-stream server on a loopback port: frames and ids parsed from a chunked body, a
reconnection as EventSource makes it (the server's retry delay, Last-Event-ID), a refusal
tried again, and a deliberate cut that stays cut."""

from __future__ import annotations

import asyncio

from bench.sse_client import Stream, percentile


class EventServer:
    """Answers each GET with a chunked event stream; ``scripts`` says, per connection, what to
    send: a status other than 200, or frames followed by an abrupt close or an open end."""

    def __init__(self, scripts: list[dict]) -> None:
        self.scripts = scripts
        self.requests: list[dict[str, str]] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self.answer(reader, writer)
        finally:
            writer.close()

    async def answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        lines = head.split("\r\n")[1:]
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines) if k}
        self.requests.append(headers)
        script = self.scripts[min(len(self.requests), len(self.scripts)) - 1]
        if script.get("status"):
            writer.write(f"HTTP/1.1 {script['status']}\r\nContent-Length: 0\r\n\r\n".encode())
            await writer.drain()
            return
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        for frame in script["frames"]:
            data = frame.encode()
            writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            await writer.drain()
            await asyncio.sleep(0.01)
        if script.get("close"):
            writer.transport.abort()  # a node that is gone: no final chunk
            return
        await asyncio.sleep(30)

    def close(self) -> None:
        if self.server is not None:
            self.server.close()


def _event(event_id: int) -> str:
    return f'id: {event_id}\nevent: question\ndata: {{"id":{event_id},"n":1}}\n\n'


def test_stream_reconnects_after_a_loss_with_last_event_id_and_the_retry_delay():
    scripts = [
        {"frames": ["retry: 100\n: connected\n\n", _event(1), _event(2)], "close": True},
        {"status": "502 Bad Gateway"},
        {"frames": [": connected\n\n", _event(3)]},
    ]

    async def scenario() -> tuple[Stream, EventServer]:
        server = EventServer(scripts)
        port = await server.start()
        stream = Stream("127.0.0.1", port, "/events/", "sessionid=x", reconnect=True)
        await stream.start()
        for _ in range(300):
            if stream.ids == [1, 2, 3] and stream.connected.is_set():
                break
            await asyncio.sleep(0.01)
        await stream.close()
        server.close()
        await server.server.wait_closed()
        await asyncio.sleep(0.05)  # the aborted transports finish closing
        return stream, server

    stream, server = asyncio.run(scenario())

    assert stream.ids == [1, 2, 3]
    assert [frame[1] for frame in stream.frames] == ["question"] * 3
    assert stream.retry_ms == 100
    assert [r.get("last-event-id") for r in server.requests] == [None, "2", "2"]
    assert server.requests[0]["cookie"] == "sessionid=x"
    assert stream.refusals == ["HTTP/1.1 502 Bad Gateway"]
    assert stream.losses == 2  # the abrupt close and the refused answer
    assert len(stream.reconnects) == 1
    assert 0.2 <= stream.reconnects[0] < 5  # two retry delays, then connected


def test_cut_drops_the_connection_without_reconnecting():
    scripts = [{"frames": ["retry: 50\n: connected\n\n", _event(7)]}]

    async def scenario() -> tuple[Stream, EventServer]:
        server = EventServer(scripts)
        port = await server.start()
        stream = Stream("127.0.0.1", port, "/events/", "sessionid=y", reconnect=True)
        await stream.start()
        await asyncio.wait_for(stream.connected.wait(), 5)
        for _ in range(200):
            if stream.ids:
                break
            await asyncio.sleep(0.01)
        await stream.cut()
        await asyncio.sleep(0.3)  # six retry delays
        server.close()
        await server.server.wait_closed()
        await asyncio.sleep(0.05)
        return stream, server

    stream, server = asyncio.run(scenario())

    assert stream.ids == [7]
    assert len(server.requests) == 1
    assert stream.losses == 0
    assert not stream.connected.is_set()


def test_percentile_is_nearest_rank():
    values = [float(n) for n in range(1, 101)]

    assert (percentile(values, 50), percentile(values, 95), percentile(values, 100)) == (
        50.0,
        95.0,
        100.0,
    )
    assert percentile([], 95) != percentile([], 95)  # nan
