"""The watcher: polls the fleet for every subscriber at once and turns what changed into events, each once.

One poll reads the SIM list (every page, at the API's largest page size) and the first page of SIM card
actions, whatever the number of subscribers: what a subscriber wants is chosen from the events afterwards.
What the poll saw and the events it found are written to the watch state in one step (an outbox keyed by
event id), then delivered and marked; a restart delivers what was found but not yet marked, and an event
id already in the outbox is never queued again. With Redis, replicas elect one poller with a lease.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from ..tools.client import TelnyxClient
from ..tools.dashboard import read_pages
from .events import Event, Seen, detect_actions, detect_sims
from .state import MEMORY_URLS, REDIS_SCHEMES, StoreUnavailable, default_state_dir

WATCH_FILE = "watch.sqlite3"
MAX_SIM_CARDS = 100_000
ACTIONS_PER_POLL = 250
CLOCK_SLACK = 300.0  # seconds: an action finished this long before the last poll still counts as new
KEEP_EVENTS = 40 * 86400.0  # seconds delivered events are kept (longer than a billing period)
SIM_FIELDS = ["id", "iccid", "status", "sim_card_group_id", "tags", "data_limit",
              "current_billing_period_consumed_data", "current_mcc", "current_mnc", "updated_at"]


class WatchState(Protocol):
    async def load(self, account: str) -> dict[str, Any]: ...
    async def commit(self, account: str, state: dict[str, Any], events: list[Event]) -> list[Event]: ...
    async def pending(self, account: str) -> list[Event]: ...
    async def delivered(self, account: str, ids: Iterable[str]) -> None: ...
    async def lead(self, account: str, holder: str, seconds: float) -> bool: ...
    async def aclose(self) -> None: ...


def _event(row: str) -> Event:
    value = json.loads(row)
    return Event(value["id"], value["type"], value["time"], value.get("sim_card_id"), value.get("data") or {})


class SqliteWatchState:
    """The watch state in a SQLite file beside the server's state: one process polls (a lock file says which)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
            self._db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
            for attempt in range(50):  # a first open by several processes at once: switching mode may be busy
                try:
                    self._db.execute("PRAGMA journal_mode=WAL")
                    break
                except sqlite3.OperationalError:
                    time.sleep(0.05 * (attempt + 1))
            self._db.executescript("""
                CREATE TABLE IF NOT EXISTS watch_state (account TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS watch_events (account TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,
                    queued REAL NOT NULL, delivered REAL, PRIMARY KEY (account, id)) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS watch_lease (account TEXT PRIMARY KEY, holder TEXT NOT NULL,
                    until REAL NOT NULL);
            """)
        except (OSError, sqlite3.Error) as error:
            raise StoreUnavailable(f"the watch state {self.path} cannot be opened ({error})") from None

    def _run(self, work):
        try:
            with self._lock:
                return work(self._db)
        except sqlite3.Error as error:
            raise StoreUnavailable(f"the watch state {self.path} cannot be used ({error})") from None

    async def load(self, account: str) -> dict[str, Any]:
        row = self._run(lambda db: db.execute("SELECT value FROM watch_state WHERE account = ?", (account,)).fetchone())
        return json.loads(row[0]) if row else {}

    async def commit(self, account: str, state: dict[str, Any], events: list[Event]) -> list[Event]:
        """Save what the poll saw and queue its events; returns those not queued before."""
        now = time.time()

        def work(db: sqlite3.Connection) -> list[Event]:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("INSERT OR REPLACE INTO watch_state (account, value) VALUES (?, ?)",
                           (account, json.dumps(state, separators=(",", ":"))))
                fresh = [e for e in events if db.execute(
                    "INSERT OR IGNORE INTO watch_events (account, id, body, queued) VALUES (?, ?, ?, ?)",
                    (account, e.id, json.dumps(e.as_json()), now)).rowcount == 1]
                db.execute("DELETE FROM watch_events WHERE delivered IS NOT NULL AND delivered < ?", (now - KEEP_EVENTS,))
                db.execute("COMMIT")
                return fresh
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return self._run(work)

    async def pending(self, account: str) -> list[Event]:
        rows = self._run(lambda db: db.execute(
            "SELECT body FROM watch_events WHERE account = ? AND delivered IS NULL ORDER BY queued, id",
            (account,)).fetchall())
        return [_event(r[0]) for r in rows]

    async def delivered(self, account: str, ids: Iterable[str]) -> None:
        now = time.time()
        self._run(lambda db: db.executemany("UPDATE watch_events SET delivered = ? WHERE account = ? AND id = ?",
                                            [(now, account, i) for i in ids]))

    async def lead(self, account: str, holder: str, seconds: float) -> bool:
        now = time.time()

        def work(db: sqlite3.Connection) -> bool:
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute("SELECT holder, until FROM watch_lease WHERE account = ?", (account,)).fetchone()
                mine = row is None or row[0] == holder or row[1] < now
                if mine:
                    db.execute("INSERT OR REPLACE INTO watch_lease (account, holder, until) VALUES (?, ?, ?)",
                               (account, holder, now + seconds))
                db.execute("COMMIT")
                return mine
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return self._run(work)

    async def aclose(self) -> None:
        with self._lock:
            self._db.close()


class RedisWatchState:
    """The watch state shared by replicas: a hash of what was seen, an outbox list, a lease for one poller."""

    PREFIX = "telnyx-iot-mcp:watch:"

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)

    def _key(self, account: str, part: str) -> str:
        return f"{self.PREFIX}{account}:{part}"

    async def _call(self, work):
        import redis

        try:
            return await work(self._redis)
        except (redis.RedisError, OSError) as error:
            raise StoreUnavailable(f"Redis cannot be used for the watch state ({type(error).__name__})") from None

    async def load(self, account: str) -> dict[str, Any]:
        raw = await self._call(lambda r: r.get(self._key(account, "state")))
        return json.loads(raw) if raw else {}

    async def commit(self, account: str, state: dict[str, Any], events: list[Event]) -> list[Event]:
        async def work(r) -> list[Event]:
            async with r.pipeline(transaction=True) as pipe:
                pipe.set(self._key(account, "state"), json.dumps(state, separators=(",", ":")))
                for event in events:  # an id queued once is never queued again (kept as long as delivered events)
                    pipe.set(self._key(account, f"id:{event.id}"), 1, nx=True, ex=int(KEEP_EVENTS))
                results = await pipe.execute()
            fresh = [e for e, added in zip(events, results[1:]) if added]
            if fresh:
                await r.rpush(self._key(account, "outbox"), *[json.dumps(e.as_json()) for e in fresh])
            return fresh
        return await self._call(work)

    async def pending(self, account: str) -> list[Event]:
        rows = await self._call(lambda r: r.lrange(self._key(account, "outbox"), 0, -1))
        return [_event(row) for row in rows]

    async def delivered(self, account: str, ids: Iterable[str]) -> None:
        done = set(ids)

        async def work(r) -> None:
            for row in await r.lrange(self._key(account, "outbox"), 0, -1):
                if _event(row).id in done:
                    await r.lrem(self._key(account, "outbox"), 1, row)
        await self._call(work)

    async def lead(self, account: str, holder: str, seconds: float) -> bool:
        async def work(r) -> bool:
            key = self._key(account, "lease")
            if await r.set(key, holder, nx=True, px=int(seconds * 1000)):
                return True
            if (await r.get(key) or b"").decode() == holder:
                await r.pexpire(key, int(seconds * 1000))
                return True
            return False
        return await self._call(work)

    async def aclose(self) -> None:
        await self._redis.aclose()


def open_watch_state(state_url: str | None, state_dir: str | None) -> WatchState:
    """The watch state beside the server's state store: Redis when that is Redis, else a SQLite file."""
    url = (state_url or "").strip()
    scheme = url.split(":", 1)[0].lower()
    if scheme in REDIS_SCHEMES:
        return RedisWatchState(url)
    if scheme == "sqlite":
        path = url[len("sqlite:"):]
        return SqliteWatchState(Path(path[2:] if path.startswith("//") else path).with_name(WATCH_FILE))
    if url.lower() in MEMORY_URLS:
        import tempfile

        return SqliteWatchState(Path(tempfile.mkdtemp(prefix="telnyx-iot-watch-")) / WATCH_FILE)
    return SqliteWatchState((Path(state_dir).expanduser() if state_dir else default_state_dir()) / WATCH_FILE)


def account_key(api_key: str | None, scope: str = "") -> str:
    """Whose fleet (and which selection of it) a watch state is about, without holding the key: a digest."""
    digest = hmac.new(b"telnyx-iot-mcp watch account", (api_key or "sandbox").encode(), hashlib.sha256)
    digest.update(b"\x1f" + scope.encode())
    return digest.hexdigest()[:24]


class Watcher:
    """Polls one account's fleet; `poll` returns the events found (queued in the state before it returns)."""

    def __init__(self, client: TelnyxClient, state: WatchState, account: str, *,
                 thresholds: tuple[float, ...], silent_hours: tuple[float, ...], clock=time.time) -> None:
        self.client = client
        self.state = state
        self.account = account
        self.thresholds = tuple(sorted(set(thresholds)))
        self.silent_hours = tuple(sorted(set(silent_hours)))
        self.clock = clock
        self.holder = secrets.token_hex(8)
        self.sims: dict[str, dict[str, Any]] = {}  # the last SIM list read, for subscriptions by group or tag

    async def poll(self) -> list[Event]:
        """Read the fleet once; returns the events it found that were not queued before."""
        now = self.clock()
        saved = await self.state.load(self.account)
        seen = {k: Seen.from_json(v) for k, v in (saved.get("sims") or {}).items()}
        running = set(saved.get("running") or [])
        last = saved.get("polled_at")
        sims, _ = await read_pages(self.client, "list_sim_cards", {"fields": SIM_FIELDS}, MAX_SIM_CARDS)
        actions, _ = await read_pages(self.client, "list_sim_card_actions", {}, ACTIONS_PER_POLL)
        self.sims = {s["id"]: s for s in sims if s.get("id")}
        events = detect_sims(sims, seen, now=now, thresholds=self.thresholds, silent_hours=self.silent_hours)
        events += detect_actions(actions, running, now=now,
                                 since=None if last is None else last - CLOCK_SLACK)
        return await self.state.commit(self.account, {
            "polled_at": now, "sims": {k: v.as_json() for k, v in seen.items()}, "running": sorted(running),
        }, events)

    async def pending(self) -> list[Event]:
        return await self.state.pending(self.account)

    async def delivered(self, events: Iterable[Event]) -> None:
        await self.state.delivered(self.account, [e.id for e in events])

    async def lead(self, seconds: float) -> bool:
        return await self.state.lead(self.account, self.holder, seconds)
