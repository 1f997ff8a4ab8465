"""Stopping on a signal (SIGTERM from a process manager, Ctrl+C, a closed terminal) without losing the audit log.

Python's default SIGTERM ends the process at once: a change in flight to Telnyx would keep its `send` line
and never get an `end` line. Here a signal stops the server instead: the calls in flight are cancelled (each
writes its own `unknown` end line) or, over HTTP, given a short grace to finish first. Whatever still has no
end line when the server has stopped, or when it has not stopped in time, or at a second signal, is ended by
`AuditLog.close`, and the process then exits by the signal, as its supervisor expects.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Callable

import anyio

from .audit import AuditLog

log = logging.getLogger("telnyx_iot_mcp")

SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name))


class StopOnSignal:
    """`group.start_soon(stopper.watch, stop)` beside the serving code; `stopper.finish()` after it ended."""

    def __init__(self, audit: AuditLog, *, grace: float) -> None:
        self.audit = audit
        self.grace = grace  # how long the server may take to stop after `stop()` before the process exits anyway
        self.received: int | None = None

    async def watch(self, stop: Callable[[], None]) -> None:
        """Wait for a stop signal, then `stop()`; cancel this task once serving has ended."""
        if sys.platform == "win32":  # no POSIX signals to turn into a stop: the default handling stands
            return
        with anyio.open_signal_receiver(*SIGNALS) as signals:
            async for received in signals:
                self.received = received
                self.audit.stopping = f"the server was stopped ({signal.Signals(received).name})"
                log.info("%s received: stopping; calls in flight are cancelled and audited",
                         signal.Signals(received).name)
                stop()
                break
            again = False
            with anyio.move_on_after(self.grace):
                async for _ in signals:  # a second signal: stop now
                    again = True
                    break
        log.info("exiting now (%s)", "a second signal" if again else f"still stopping after {self.grace:.0f} s")
        self.finish()

    def finish(self) -> None:
        """End what is still in flight in the audit log; after a stop signal, exit by that signal."""
        if self.received is None:
            self.audit.close("the server stopped")
            return
        self.audit.close(self.audit.stopping or "the server was stopped")
        logging.shutdown()
        signal.signal(self.received, signal.SIG_DFL)
        os.kill(os.getpid(), self.received)
