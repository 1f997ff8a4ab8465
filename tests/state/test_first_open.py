"""Processes that start at once on a state file nobody has made yet all open it (WAL switch, tables, secret)."""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path

import pytest

from telnyx_iot_mcp.server.state import SqliteStore, StoreUnavailable

ROUNDS, PROCESSES, THREADS = 5, 20, 20  # 2,000 first opens, 400 at once on each new file


def open_at(path: Path, start: float, answers) -> None:
    """In a child process: THREADS opens of `path` at `start`; puts the failures and the secrets seen."""
    failures, seen = [], set()
    barrier = threading.Barrier(THREADS)

    def one() -> None:
        barrier.wait()
        try:
            store = SqliteStore(path)
        except StoreUnavailable as error:
            failures.append(str(error))
            return
        seen.add((store._db.execute("SELECT value FROM secret").fetchone()[0],))
        store._db.close()

    while time.time() < start:
        time.sleep(0.001)
    threads = [threading.Thread(target=one) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    answers.put((failures, seen))


@pytest.mark.slow
def test_two_thousand_concurrent_first_opens_all_succeed_and_agree(tmp_path):
    context = multiprocessing.get_context("fork")
    failures, opened = [], 0
    for round_ in range(ROUNDS):
        path = tmp_path / f"round-{round_}" / "state.sqlite3"
        answers = context.Queue()
        start = time.time() + 0.5  # every process forked and waiting
        processes = [context.Process(target=open_at, args=(path, start, answers)) for _ in range(PROCESSES)]
        for process in processes:
            process.start()
        seen = set()
        for _ in processes:
            lost, agreed = answers.get(timeout=120)
            failures += lost
            seen |= agreed
        for process in processes:
            process.join(30)
        opened += PROCESSES * THREADS - len(failures)
        assert len(seen) <= 1  # one secret and one generation per file, whoever made it
    assert failures == [] and opened == ROUNDS * PROCESSES * THREADS
