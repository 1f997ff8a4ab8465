"""stdio served by the event loop itself: the MCP SDK's stdio transport hands every line read, every write and
every flush to a worker thread (three thread hops per call); pipes, sockets and terminals can be read and
written without blocking instead. Anything else (stdin from a file or /dev/null, which the loop cannot watch) is
served by the SDK's transport. Only public APIs: the streams are anyio's own, which `Server.run` accepts."""

from __future__ import annotations

import asyncio
import fcntl
import os
import stat
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import anyio
import mcp_types as types
from mcp.shared.message import SessionMessage

LINE_LIMIT = 1 << 26  # a request line longer than 64 MiB ends the connection


def loop_can_serve(fd: int) -> bool:
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    # Of character devices only terminals can be watched: /dev/null and the like are refused by epoll.
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or (stat.S_ISCHR(mode) and os.isatty(fd))


def claim(fd: int, diversion: int) -> int:
    """The protocol's copy of `fd`; `fd` itself then points at `diversion`, so a stray read gets EOF and a stray
    print goes to stderr rather than into the protocol."""
    private = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)
    os.dup2(diversion, fd)
    os.close(diversion)
    return private


def restore(fd: int, private: int) -> None:
    os.dup2(private, fd)
    os.set_blocking(fd, True)  # the loop made the shared file description non-blocking


class OpenRequests:
    """The client's requests read and not answered yet: a server told to stop answers them before it exits."""

    def __init__(self) -> None:
        self.ids: set[Any] = set()

    def read(self, message: Any) -> None:
        if isinstance(message, types.JSONRPCRequest):
            self.ids.add(message.id)

    def written(self, message: Any) -> None:
        if isinstance(message, (types.JSONRPCResponse, types.JSONRPCError)):
            self.ids.discard(message.id)

    async def answered(self) -> None:
        while self.ids:
            await anyio.sleep(0.02)


@asynccontextmanager
async def stdio_streams(requests: OpenRequests | None = None) -> AsyncIterator[tuple[Any, Any]]:
    """(read, write) streams for `Server.run` over the process's stdin and stdout; `requests` follows the
    requests not answered yet (over the SDK's transport, none are followed)."""
    requests = requests or OpenRequests()
    if not (sys.platform != "win32" and loop_can_serve(0) and loop_can_serve(1)):
        from mcp.server.stdio import stdio_server

        async with stdio_server() as streams:
            yield streams
        return
    loop = asyncio.get_running_loop()
    wire_in = claim(0, os.open(os.devnull, os.O_RDONLY))
    wire_out = claim(1, os.dup(2))
    async with AsyncExitStack() as stack:
        stack.callback(restore, 0, wire_in)
        stack.callback(restore, 1, wire_out)
        reader = asyncio.StreamReader(limit=LINE_LIMIT)
        reading, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader),
                                                  os.fdopen(os.dup(wire_in), "rb", buffering=0))
        stack.callback(reading.close)
        writing, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin,
                                                          os.fdopen(os.dup(wire_out), "wb", buffering=0))
        stack.callback(writing.close)
        writer = asyncio.StreamWriter(writing, protocol, None, loop)

        read_stream_writer, read_stream = anyio.create_memory_object_stream[SessionMessage | Exception](0)
        write_stream, write_stream_reader = anyio.create_memory_object_stream[SessionMessage](0)

        async def stdin_reader() -> None:  # as the SDK's: a line that is not a message is passed on as the error
            try:
                async with read_stream_writer:
                    while line := await reader.readline():
                        try:
                            message = types.jsonrpc_message_adapter.validate_json(
                                line.decode("utf-8", errors="replace"), by_name=False)
                        except Exception as exc:
                            await read_stream_writer.send(exc)
                            continue
                        requests.read(message)
                        await read_stream_writer.send(SessionMessage(message))
            except (anyio.ClosedResourceError, ConnectionError, ValueError):  # closed, or a line over the limit
                await anyio.lowlevel.checkpoint()

        async def stdout_writer() -> None:
            try:
                async with write_stream_reader:
                    async for session_message in write_stream_reader:
                        json = session_message.message.model_dump_json(by_alias=True, exclude_unset=True)
                        writer.write(json.encode() + b"\n")
                        await writer.drain()
                        requests.written(session_message.message)
            except (anyio.ClosedResourceError, ConnectionError):  # the client stopped reading: nothing to tell it
                await anyio.lowlevel.checkpoint()

        async with anyio.create_task_group() as tg:
            tg.start_soon(stdin_reader)
            tg.start_soon(stdout_writer)
            yield read_stream, write_stream
