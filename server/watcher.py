"""The watcher: polls the fleet for every subscriber at once and turns what changed into events, each once.

One poll reads the SIM list (every page, at the API's largest page size), the SIM card actions newest first
back to the last poll (and to the oldest still running) and, when threshold events are wanted, the SIM card
groups (their shared limits and use), whatever the number of subscribers: what a subscriber wants is chosen from
the events afterwards.
What the poll saw (a row per SIM, written only when it changed) and the events it found are written to the
watch state in one step: a log where each
event id is logged once, in order, its position being the cursor. Each consumer (the terminal command, a
webhook subscription, an MCP client polling) reads the log after its cursor, so a restart neither repeats
nor loses an event. With Redis, replicas share the state and elect one poller with a lease.
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
from pathlib import Path
from typing import Any, Protocol

from ..tools.client import TelnyxClient
from ..tools.dashboard import read_pages
from ..tools.executor import execute
from ..tools.paging import PAGE_SIZE
from ..tools.registry import OPERATIONS
from .events import (Event, Seen, detect_actions, detect_forecasts, detect_group_forecasts, detect_groups,
                     detect_silence, detect_sims, detect_usage, iso, moment)
from .state import MEMORY_URLS, REDIS_SCHEMES, StoreUnavailable, default_state_dir

WATCH_FILE = "watch.sqlite3"
MAX_SIM_CARDS = 100_000
MAX_GROUPS = 10_000
ACTIONS_PER_POLL = 250  # actions read on the first poll (what finished before it is history)
MAX_ACTIONS = 25_000  # actions read at most per poll, newest first
BASELINE_DAYS = 14  # days of detail records the first read takes as each SIM's usual
USAGE_LAG = 600.0  # seconds: detail records reach the API a while after a session; read up to this long ago
CLOCK_SLACK = 300.0  # seconds: an action finished this long before the last poll still counts as new
KEEP_RUNNING = 7 * 86400.0  # seconds an action seen running but no longer listed is still looked for
KEEP_EVENTS = 40 * 86400.0  # seconds delivered events are kept (longer than a billing period)
SIM_FIELDS = ["id", "iccid", "status", "sim_card_group_id", "tags", "data_limit",
              "current_billing_period_consumed_data", "current_mcc", "current_mnc", "updated_at"]


class WatchState(Protocol):
    """What the watcher keeps: its view of the fleet (the poll's state, and under `sims` a value per SIM, of which
    `commit` writes the ones given: those that changed), an append-only log of events (each id once, numbered in
    order: the number is the cursor), each consumer's cursor, webhook subscriptions, and the poller's lease."""

    async def load(self, account: str, sims: bool = True) -> dict[str, Any]: ...
    async def commit(self, account: str, state: dict[str, Any], events: list[Event],
                     sims: dict[str, Any] | None = None) -> list[Event]: ...
    async def read(self, account: str, after: int, limit: int = 1000) -> list[tuple[int, Event]]: ...
    async def head(self, account: str) -> int: ...
    async def cursor(self, account: str, consumer: str) -> int | None: ...
    async def set_cursor(self, account: str, consumer: str, seq: int) -> None: ...
    async def subscriptions(self) -> dict[str, dict[str, Any]]: ...
    async def put_subscription(self, sub_id: str, value: dict[str, Any] | None) -> None: ...
    async def lead(self, account: str, holder: str, seconds: float) -> bool: ...
    async def aclose(self) -> None: ...


def _event(row: str | bytes) -> Event:
    value = json.loads(row)
    return Event(value["id"], value["type"], value["time"], value.get("sim_card_id"), value.get("data") or {})


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class SqliteWatchState:
    """The watch state in a SQLite file beside the server's state (owner-only: it holds webhook secrets)."""

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
                CREATE TABLE IF NOT EXISTS watch_sims (account TEXT NOT NULL, sim_id TEXT NOT NULL,
                    value TEXT NOT NULL, PRIMARY KEY (account, sim_id)) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS watch_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL,
                    id TEXT NOT NULL, body TEXT NOT NULL, queued REAL NOT NULL, UNIQUE (account, id));
                CREATE TABLE IF NOT EXISTS watch_cursors (account TEXT NOT NULL, consumer TEXT NOT NULL,
                    seq INTEGER NOT NULL, PRIMARY KEY (account, consumer)) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS watch_subscriptions (id TEXT PRIMARY KEY, value TEXT NOT NULL);
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

    def _transaction(self, work):
        def run(db: sqlite3.Connection):
            db.execute("BEGIN IMMEDIATE")
            try:
                result = work(db)
                db.execute("COMMIT")
                return result
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return self._run(run)

    async def load(self, account: str, sims: bool = True) -> dict[str, Any]:
        def work(db: sqlite3.Connection) -> dict[str, Any]:
            row = db.execute("SELECT value FROM watch_state WHERE account = ?", (account,)).fetchone()
            found = {**(json.loads(row[0]) if row else {}), "sims": {}}
            if sims:
                found["sims"] = {i: json.loads(v) for i, v in db.execute(
                    "SELECT sim_id, value FROM watch_sims WHERE account = ?", (account,))}
            return found
        return self._run(work)

    async def commit(self, account: str, state: dict[str, Any], events: list[Event],
                     sims: dict[str, Any] | None = None) -> list[Event]:
        """Save what the poll saw (the SIMs given) and log its events, in one step; returns the events not logged
        before."""
        now = time.time()

        def work(db: sqlite3.Connection) -> list[Event]:
            db.execute("INSERT OR REPLACE INTO watch_state (account, value) VALUES (?, ?)", (account, _json(state)))
            db.executemany("INSERT OR REPLACE INTO watch_sims (account, sim_id, value) VALUES (?, ?, ?)",
                           [(account, i, _json(v)) for i, v in (sims or {}).items()])
            fresh = [e for e in events if db.execute(
                "INSERT OR IGNORE INTO watch_events (account, id, body, queued) VALUES (?, ?, ?, ?)",
                (account, e.id, _json(e.as_json()), now)).rowcount == 1]
            db.execute("DELETE FROM watch_events WHERE queued < ?", (now - KEEP_EVENTS,))
            return fresh
        return self._transaction(work)

    async def read(self, account: str, after: int, limit: int = 1000) -> list[tuple[int, Event]]:
        rows = self._run(lambda db: db.execute(
            "SELECT seq, body FROM watch_events WHERE account = ? AND seq > ? ORDER BY seq LIMIT ?",
            (account, after, limit)).fetchall())
        return [(seq, _event(body)) for seq, body in rows]

    async def head(self, account: str) -> int:
        row = self._run(lambda db: db.execute("SELECT MAX(seq) FROM watch_events WHERE account = ?",
                                              (account,)).fetchone())
        return row[0] or 0

    async def cursor(self, account: str, consumer: str) -> int | None:
        row = self._run(lambda db: db.execute("SELECT seq FROM watch_cursors WHERE account = ? AND consumer = ?",
                                              (account, consumer)).fetchone())
        return row[0] if row else None

    async def set_cursor(self, account: str, consumer: str, seq: int) -> None:
        self._run(lambda db: db.execute("INSERT OR REPLACE INTO watch_cursors (account, consumer, seq) VALUES (?, ?, ?)",
                                        (account, consumer, seq)))

    async def subscriptions(self) -> dict[str, dict[str, Any]]:
        rows = self._run(lambda db: db.execute("SELECT id, value FROM watch_subscriptions").fetchall())
        return {i: json.loads(v) for i, v in rows}

    async def put_subscription(self, sub_id: str, value: dict[str, Any] | None) -> None:
        if value is None:
            self._run(lambda db: db.execute("DELETE FROM watch_subscriptions WHERE id = ?", (sub_id,)))
        else:
            self._run(lambda db: db.execute("INSERT OR REPLACE INTO watch_subscriptions (id, value) VALUES (?, ?)",
                                            (sub_id, _json(value))))

    async def lead(self, account: str, holder: str, seconds: float) -> bool:
        now = time.time()

        def work(db: sqlite3.Connection) -> bool:
            row = db.execute("SELECT holder, until FROM watch_lease WHERE account = ?", (account,)).fetchone()
            mine = row is None or row[0] == holder or row[1] < now
            if mine:
                db.execute("INSERT OR REPLACE INTO watch_lease (account, holder, until) VALUES (?, ?, ?)",
                           (account, holder, now + seconds))
            return mine
        return self._transaction(work)

    async def aclose(self) -> None:
        with self._lock:
            self._db.close()


# Save one poll and log its events atomically: the SIMs that changed (ARGV[3] pairs of id and value), then each
# event id once (a marker key kept as long as events are), numbered in order.
_COMMIT = """
redis.call('SET', KEYS[1], ARGV[1])
local changed = tonumber(ARGV[3])
for i = 4, 3 + 2 * changed, 2 do
  redis.call('HSET', KEYS[5], ARGV[i], ARGV[i + 1])
end
local fresh = {}
for i = 4 + 2 * changed, #ARGV, 2 do
  if redis.call('SET', KEYS[4] .. ARGV[i], 1, 'NX', 'EX', ARGV[2]) then
    local seq = redis.call('INCR', KEYS[3])
    redis.call('ZADD', KEYS[2], seq, cjson.encode({seq, ARGV[i + 1]}))
    table.insert(fresh, ARGV[i])
  end
end
return fresh
"""


class RedisWatchState:
    """The watch state shared by replicas (the same keys whichever replica polls); one poller holds a lease."""

    PREFIX = "telnyx-iot-mcp:watch:"
    MAX_LOGGED = 100_000  # events kept per account, newest

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

    async def load(self, account: str, sims: bool = True) -> dict[str, Any]:
        raw = await self._call(lambda r: r.get(self._key(account, "state")))
        found = {**(json.loads(raw) if raw else {}), "sims": {}}
        if sims:
            rows = await self._call(lambda r: r.hgetall(self._key(account, "sims")))
            found["sims"] = {(k.decode() if isinstance(k, bytes) else k): json.loads(v) for k, v in rows.items()}
        return found

    async def commit(self, account: str, state: dict[str, Any], events: list[Event],
                     sims: dict[str, Any] | None = None) -> list[Event]:
        args: list[Any] = [_json(state), int(KEEP_EVENTS), len(sims or {})]
        for sim_id, value in (sims or {}).items():
            args += [sim_id, _json(value)]
        for event in events:
            args += [event.id, _json(event.as_json())]
        keys = [self._key(account, p) for p in ("state", "log", "seq", "id:", "sims")]
        fresh = await self._call(lambda r: r.eval(_COMMIT, len(keys), *keys, *args))
        await self._call(lambda r: r.zremrangebyrank(self._key(account, "log"), 0, -self.MAX_LOGGED - 1))
        ids = {f.decode() if isinstance(f, bytes) else f for f in fresh or []}
        return [e for e in events if e.id in ids]

    async def read(self, account: str, after: int, limit: int = 1000) -> list[tuple[int, Event]]:
        rows = await self._call(lambda r: r.zrangebyscore(self._key(account, "log"), f"({after}", "+inf",
                                                           start=0, num=limit))
        found = []
        for row in rows:
            seq, body = json.loads(row)
            found.append((int(seq), _event(body)))
        return found

    async def head(self, account: str) -> int:
        return int(await self._call(lambda r: r.get(self._key(account, "seq"))) or 0)

    async def cursor(self, account: str, consumer: str) -> int | None:
        raw = await self._call(lambda r: r.hget(self._key(account, "cursors"), consumer))
        return int(raw) if raw is not None else None

    async def set_cursor(self, account: str, consumer: str, seq: int) -> None:
        await self._call(lambda r: r.hset(self._key(account, "cursors"), consumer, seq))

    async def subscriptions(self) -> dict[str, dict[str, Any]]:
        rows = await self._call(lambda r: r.hgetall(self.PREFIX + "subscriptions"))
        return {(k.decode() if isinstance(k, bytes) else k): json.loads(v) for k, v in rows.items()}

    async def put_subscription(self, sub_id: str, value: dict[str, Any] | None) -> None:
        if value is None:
            await self._call(lambda r: r.hdel(self.PREFIX + "subscriptions", sub_id))
        else:
            await self._call(lambda r: r.hset(self.PREFIX + "subscriptions", sub_id, _json(value)))

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
                 thresholds: tuple[float, ...], silent_hours: tuple[float, ...], usage: bool = False,
                 forecast: bool = False, groups: bool = False, clock=time.time) -> None:
        self.client = client
        self.state = state
        self.account = account
        self.thresholds = tuple(sorted(set(thresholds)))
        self.silent_hours = tuple(sorted(set(silent_hours)))
        self.usage = usage  # read detail records too (usage anomalies, new networks)
        self.forecast = forecast  # and forecast each SIM's limit from its daily use (needs usage)
        self.groups = groups  # read the SIM card groups too (threshold events of their shared limits)
        self.clock = clock
        self.holder = secrets.token_hex(8)
        self.sims: dict[str, dict[str, Any]] = {}  # the last SIM list read, for subscriptions by group or tag

    async def poll(self) -> list[Event]:
        """Read the fleet once; returns the events it found that were not queued before."""
        now = self.clock()
        saved = await self.state.load(self.account)
        rows = saved.get("sims") or {}
        seen = {k: Seen.from_json(v) for k, v in rows.items()}
        running = saved.get("running") or {}
        if isinstance(running, list):  # before the start of each running action was kept
            running = dict.fromkeys(running, saved.get("polled_at") or now)
        last = saved.get("polled_at")
        since = None if last is None else last - CLOCK_SLACK
        sims, _ = await read_pages(self.client, "list_sim_cards", {"fields": SIM_FIELDS}, MAX_SIM_CARDS)
        actions = await self._actions(None if since is None else min([since, *running.values()]))
        self.sims = {s["id"]: s for s in sims if s.get("id")}
        events = detect_sims(sims, seen, now=now, thresholds=self.thresholds)
        groups: list[dict[str, Any]] = []
        if self.groups:
            groups, _ = await read_pages(self.client, "list_sim_card_groups", {}, MAX_GROUPS)
            events += detect_groups(groups, now=now, thresholds=self.thresholds)
        started = {a["id"]: moment(a.get("created_at")) or now for a in actions if a.get("id")}
        in_progress = set(running)
        events += detect_actions(actions, in_progress, now=now, since=since)
        running = {i: running.get(i) or started[i] for i in in_progress  # an action's id: when it was created
                   if i in started or now - running[i] < KEEP_RUNNING}
        saved_usage = saved.get("usage_until")
        usage_until = saved_usage
        if self.usage:
            from ..tools.analytics.reading import Clocked, pages

            usage_until = now - USAGE_LAG
            start = saved_usage if saved_usage is not None else usage_until - BASELINE_DAYS * 86400
            records: list[dict[str, Any]] = []
            if usage_until > start:
                await pages(Clocked(self.client), "list_wireless_detail_records",
                            {"start_date": iso(start), "end_date": iso(usage_until)}, records.extend)
                events += detect_usage(records, seen, self.sims, now=now, learning=saved_usage is None)
            else:
                usage_until = saved_usage
            if self.forecast:
                events += detect_forecasts(sims, seen, now=now)
                events += detect_group_forecasts(groups, sims, seen, now=now)
        events += detect_silence(sims, seen, now=now, hours=self.silent_hours,
                                 records_until=usage_until if self.usage else None, learning=last is None or (self.usage and saved_usage is None))
        now_seen = {k: v.as_json() for k, v in seen.items()}
        return await self.state.commit(self.account, {
            "polled_at": now, "running": running, "usage_until": usage_until,
        }, events, {k: v for k, v in now_seen.items() if rows.get(k) != v})

    async def _actions(self, back_to: float | None) -> list[dict[str, Any]]:
        """SIM card actions newest first: the first page on the first poll, else pages until one reaches an action
        created before `back_to` (the last poll, or the oldest action seen running, if older)."""
        if back_to is None:
            return (await read_pages(self.client, "list_sim_card_actions", {}, ACTIONS_PER_POLL))[0]
        actions: list[dict[str, Any]] = []
        page = 1
        while len(actions) < MAX_ACTIONS:
            result = await execute(self.client, OPERATIONS["list_sim_card_actions"],
                                   {"page_number": page, "page_size": PAGE_SIZE})
            batch = result.get("data") or []
            actions.extend(batch)
            oldest = min((moment(a.get("created_at")) or 0.0 for a in batch), default=0.0)
            if not batch or oldest < back_to or page >= ((result.get("meta") or {}).get("total_pages") or page):
                break
            page += 1
        return actions

    async def unread(self, consumer: str, limit: int = 1000) -> list[tuple[int, Event]]:
        """Events `consumer` has not taken yet, oldest first (all logged ones for a new consumer)."""
        return await self.state.read(self.account, await self.state.cursor(self.account, consumer) or 0, limit)

    async def taken(self, consumer: str, seq: int) -> None:
        await self.state.set_cursor(self.account, consumer, seq)

    async def lead(self, seconds: float) -> bool:
        return await self.state.lead(self.account, self.holder, seconds)
