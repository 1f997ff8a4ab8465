"""A misbehaving Telnyx stand-in: a raw HTTP/1.1 server on 127.0.0.1 that plays a script of faults.

Each request is recorded (method, path, headers, body) and answered by the next scripted behaviour, or by
`default` when the script is empty. Every answer closes the connection, so each attempt is one request.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

Behaviour = Callable[["Seen", asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Seen:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


def _head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in {"Connection": "close", **headers}.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def reply(status: int, body: Any = None, *, headers: dict[str, str] | None = None,
          content_type: str = "application/json") -> Behaviour:
    raw = body if isinstance(body, bytes) else json.dumps(body if body is not None else {"data": []}).encode()

    async def run(seen: Seen, writer: asyncio.StreamWriter) -> None:
        writer.write(_head(status, {"Content-Type": content_type, "Content-Length": str(len(raw)),
                                    **(headers or {})}) + raw)
        await writer.drain()
    return run


def reset() -> Behaviour:
    """Read the request, then drop the connection with a TCP reset and no answer."""
    async def run(seen: Seen, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()
    return run


def hang(seconds: float = 5.0) -> Behaviour:
    """Never answer (within `seconds`)."""
    async def run(seen: Seen, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(seconds)
    return run


def truncated() -> Behaviour:
    """Promise 1000 bytes of JSON, send 20, close."""
    async def run(seen: Seen, writer: asyncio.StreamWriter) -> None:
        head = _head(200, {"Content-Type": "application/json", "Content-Length": "1000"})
        writer.write(head + b'{"data": [{"id": "a')
        await writer.drain()
    return run


def drip(size: int = 200, interval: float = 0.05) -> Behaviour:
    """A body sent one byte at a time: each read is quick, the whole never arrives in time."""
    async def run(seen: Seen, writer: asyncio.StreamWriter) -> None:
        writer.write(_head(200, {"Content-Type": "application/json", "Content-Length": str(size)}))
        for _ in range(size):
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(interval)
    return run


def huge(size: int, *, declare_length: bool = True) -> Behaviour:
    """A body of `size` bytes, with or without a Content-Length (chunked otherwise)."""
    async def run(seen: Seen, writer: asyncio.StreamWriter) -> None:
        chunk = b'{"data":[' + b'"x",' * 16_000
        if declare_length:
            writer.write(_head(200, {"Content-Type": "application/json", "Content-Length": str(size)}))
        else:
            writer.write(_head(200, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}))
        sent = 0
        while sent < size:
            piece = chunk[: size - sent]
            writer.write(piece if declare_length else b"%x\r\n%s\r\n" % (len(piece), piece))
            await writer.drain()
            sent += len(piece)
        if not declare_length:
            writer.write(b"0\r\n\r\n")
    return run


@dataclass
class Upstream:
    default: Behaviour = field(default_factory=lambda: reply(200, {"data": []}))
    script: deque[Behaviour] = field(default_factory=deque)
    seen: list[Seen] = field(default_factory=list)
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v2"

    def play(self, *behaviours: Behaviour) -> None:
        self.script.clear()
        self.script.extend(behaviours)
        self.seen.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *header_lines = head.decode("latin-1").split("\r\n")
            method, target, _ = request_line.split(" ", 2)
            headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines if h)}
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            seen = Seen(method, target, headers, body)
            self.seen.append(seen)
            behaviour = self.script.popleft() if self.script else self.default
            await behaviour(seen, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # a client that hung up, or the server shutting down
        finally:
            if not writer.transport.is_closing():
                writer.close()

    def __enter__(self) -> Upstream:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        async def start() -> None:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()

        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(start(), self._loop)
        ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()
        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
