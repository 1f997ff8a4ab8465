"""Log lines go to stderr from a thread of their own.

A client that starts the server with its stderr on a pipe it never reads fills that pipe after a few
hundred audit lines; a line written on the event loop would then block, and with it every call. Here a
full pipe holds up only the writer thread, and once its backlog is full, new lines are dropped (the audit
file, `--audit-log`, keeps every line either way)."""

from __future__ import annotations

import logging
import logging.handlers
import os
import queue
import threading
from typing import TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
BACKLOG = 10_000  # lines held while stderr is not read
CLOSE_WAIT_SECONDS = 2.0  # at exit, how long the queued lines may take to reach stderr


class BackgroundStderr(logging.handlers.QueueHandler):
    """Hands each record, already formatted and masked by this handler's filters, to the writer thread.

    The thread writes to the file descriptor itself, holding no lock of `logging` or of the stream's buffer
    while a write blocks: exiting never waits on it longer than CLOSE_WAIT_SECONDS."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(queue.Queue(BACKLOG))
        self.setFormatter(logging.Formatter("%(message)s"))  # the message and any traceback; the writer adds the rest
        self.line = logging.Formatter(FORMAT)
        stream.flush()
        self.stream = stream
        try:
            self.fd: int | None = stream.fileno()
        except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation: a stream in memory
            self.fd = None
        self.thread = threading.Thread(target=self._write, name="stderr-log", daemon=True)
        self.thread.start()

    def enqueue(self, record: logging.LogRecord) -> None:
        try:
            self.queue.put_nowait(record)
        except queue.Full:  # nobody reads stderr: losing a log line beats stalling every call
            pass

    def _write(self) -> None:
        while (record := self.queue.get()) is not None:
            text = self.line.format(record) + "\n"
            try:
                if self.fd is None:
                    self.stream.write(text)
                    continue
                data = memoryview(text.encode("utf-8", "replace"))
                while data:
                    data = data[os.write(self.fd, data):]
            except (OSError, ValueError):  # stderr was closed
                return

    def close(self) -> None:
        """At exit (logging.shutdown): the queued lines are written, unless stderr stays blocked."""
        try:
            self.queue.put_nowait(None)
        except queue.Full:
            pass
        else:
            self.thread.join(CLOSE_WAIT_SECONDS)
        super().close()
