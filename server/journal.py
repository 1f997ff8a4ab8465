"""The change journal: every change that reached the send step, with each resource's state before it.

A change is one tool call that sends (a single call, a change plan, an undo, a resume). It gets a `change_id`,
returned in the call's structured content; per resource it touched the journal keeps the state before (the
fields the operation changes, as the registry's `Compensation` names them), what was sent, how it ended
(`pending` until sent, `sent` while in flight, then the plan's outcomes: done, submitted, failed, unknown,
skipped, conflict) and Telnyx's request id. Rows are written before each request goes out, so a change
stopped by a crash still says which resources may have been reached (server/undo.py reads it to undo or resume).

It lives beside the confirmation tokens (server/state.py): memory, the SQLite file, or Redis for replicas,
in tables and keys of its own, each change kept `retention_days`. Arguments are stored as the audit log stores
them: secret-named fields replaced, known secrets masked (tools/redact.py). Idempotency keys live here too
(server/idempotency.py): the claim of a keyed call, then its first outcome, kept as long as changes are.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import sqlite3
import threading
import time
from collections import Counter
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, AsyncIterator, Protocol

from ..tools.errors import ToolError
from ..tools.executor import execute
from ..tools.redact import redact_value
from ..tools.registry import OPERATIONS, Operation
from ..tools.registry.model import IDEMPOTENCY_KEY, dig
from .audit import redact
from .state import MemoryStore, SqliteStore, Store, StoreUnavailable

log = logging.getLogger("telnyx_iot_mcp.journal")

PREFIX = "chg_"
DEFAULT_RETENTION_DAYS = 30.0
FINAL = ("done", "submitted", "failed", "skipped", "conflict")  # a resource whose change came to an end
BEAT_SECONDS = 10.0  # a running change says it is alive this often (Journal.still_running)


# The idempotency key the change of this call is made under (server/idempotency.py `Keyed`), once claimed: it
# names the change_id, and once the change is journaled its claim lasts as long as the change.
keyed_change: ContextVar[Any] = ContextVar("keyed_change", default=None)


def new_change_id() -> str:
    return PREFIX + secrets.token_hex(8)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def clean(value: Any) -> Any:
    """What the journal may keep of arguments or state: secret-named fields replaced, known secrets masked."""
    return redact_value(redact(value))


class Backend(Protocol):
    async def put(self, change: dict[str, Any], expires: float) -> None: ...
    async def rows(self, change_id: str, rows: dict[str, dict[str, Any]], expires: float) -> None: ...
    async def get(self, change_id: str) -> dict[str, Any] | None: ...
    async def recent(self, account: str | None, limit: int) -> list[dict[str, Any]]: ...
    async def look(self, key: str) -> dict[str, Any] | None: ...
    async def claim(self, key: str, record: dict[str, Any], expires: float) -> dict[str, Any] | None: ...
    async def settle(self, key: str, record: dict[str, Any], expires: float) -> None: ...
    async def release(self, key: str) -> None: ...


class MemoryBackend:
    def __init__(self) -> None:
        self.changes: dict[str, tuple[float, dict[str, Any]]] = {}
        self.resources: dict[str, dict[str, dict[str, Any]]] = {}
        self.keys: dict[str, tuple[float, dict[str, Any]]] = {}

    def _purge(self) -> None:
        now = time.time()
        for old in [k for k, (expires, _) in self.changes.items() if expires <= now]:
            del self.changes[old]
            self.resources.pop(old, None)
        for old in [k for k, (expires, _) in self.keys.items() if expires <= now]:
            del self.keys[old]

    async def put(self, change: dict[str, Any], expires: float) -> None:
        self._purge()
        self.changes[change["change_id"]] = (expires, json.loads(json.dumps(change, default=str)))

    async def rows(self, change_id: str, rows: dict[str, dict[str, Any]], expires: float) -> None:
        self.resources.setdefault(change_id, {}).update(json.loads(json.dumps(rows, default=str)))

    async def get(self, change_id: str) -> dict[str, Any] | None:
        self._purge()
        found = self.changes.get(change_id)
        if found is None:
            return None
        return {**found[1], "resources": list(self.resources.get(change_id, {}).values())}

    async def recent(self, account: str | None, limit: int) -> list[dict[str, Any]]:
        self._purge()
        mine = [c for _, c in self.changes.values() if c.get("account") == account]
        return sorted(mine, key=lambda c: c["time"], reverse=True)[:limit]

    async def look(self, key: str) -> dict[str, Any] | None:
        self._purge()
        return self.keys[key][1] if key in self.keys else None

    async def claim(self, key: str, record: dict[str, Any], expires: float) -> dict[str, Any] | None:
        self._purge()
        if key in self.keys:
            return self.keys[key][1]
        self.keys[key] = (expires, json.loads(json.dumps(record, default=str)))
        return None

    async def settle(self, key: str, record: dict[str, Any], expires: float) -> None:
        self.keys[key] = (expires, json.loads(json.dumps(record, default=str)))

    async def release(self, key: str) -> None:
        self.keys.pop(key, None)


class SqliteBackend:
    """Tables of its own in the store's SQLite file, through a connection of its own."""

    PURGE_EVERY = 60.0

    def __init__(self, path: Any) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._purged = 0.0
        try:
            self._db = sqlite3.connect(path, timeout=10.0, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS journal_changes (id TEXT PRIMARY KEY, account TEXT, "
                             "time TEXT NOT NULL, expires REAL NOT NULL, body TEXT NOT NULL)")
            self._db.execute("CREATE INDEX IF NOT EXISTS journal_changes_recent ON journal_changes (account, time)")
            self._db.execute("CREATE TABLE IF NOT EXISTS journal_resources (change_id TEXT NOT NULL, key TEXT NOT NULL, "
                             "position INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (change_id, key))")
            self._db.execute("CREATE TABLE IF NOT EXISTS journal_keys (key TEXT PRIMARY KEY, expires REAL NOT NULL, "
                             "body TEXT NOT NULL)")
        except sqlite3.Error as error:
            raise StoreUnavailable(f"the change journal in {path} cannot be opened ({error})") from None

    def _run(self, work: Any) -> Any:
        try:
            with self._lock:
                now = time.time()
                if now - self._purged > self.PURGE_EVERY:
                    self._purged = now
                    old = [r[0] for r in self._db.execute("SELECT id FROM journal_changes WHERE expires <= ?", (now,))]
                    for change_id in old:
                        self._db.execute("DELETE FROM journal_resources WHERE change_id = ?", (change_id,))
                    self._db.execute("DELETE FROM journal_changes WHERE expires <= ?", (now,))
                    self._db.execute("DELETE FROM journal_keys WHERE expires <= ?", (now,))
                return work(self._db)
        except sqlite3.Error as error:
            raise StoreUnavailable(f"the change journal in {self.path} cannot be used ({error})") from None

    async def put(self, change: dict[str, Any], expires: float) -> None:
        body = json.dumps(change, default=str)
        self._run(lambda db: db.execute(
            "INSERT INTO journal_changes (id, account, time, expires, body) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET body = excluded.body",
            (change["change_id"], change.get("account"), change["time"], expires, body)))

    async def rows(self, change_id: str, rows: dict[str, dict[str, Any]], expires: float) -> None:
        values = [(change_id, key, row.get("position", 0), json.dumps(row, default=str)) for key, row in rows.items()]

        def write(db: sqlite3.Connection) -> None:
            db.execute("BEGIN")
            db.executemany("INSERT INTO journal_resources (change_id, key, position, body) VALUES (?, ?, ?, ?) "
                           "ON CONFLICT (change_id, key) DO UPDATE SET body = excluded.body", values)
            db.execute("COMMIT")

        self._run(write)

    async def get(self, change_id: str) -> dict[str, Any] | None:
        def read(db: sqlite3.Connection) -> dict[str, Any] | None:
            found = db.execute("SELECT body FROM journal_changes WHERE id = ? AND expires > ?",
                               (change_id, time.time())).fetchone()
            if found is None:
                return None
            rows = db.execute("SELECT body FROM journal_resources WHERE change_id = ? ORDER BY position",
                              (change_id,)).fetchall()
            return {**json.loads(found[0]), "resources": [json.loads(r[0]) for r in rows]}

        return self._run(read)

    async def recent(self, account: str | None, limit: int) -> list[dict[str, Any]]:
        rows = self._run(lambda db: db.execute(
            "SELECT body FROM journal_changes WHERE account IS ? AND expires > ? ORDER BY time DESC LIMIT ?",
            (account, time.time(), limit)).fetchall())
        return [json.loads(r[0]) for r in rows]

    async def look(self, key: str) -> dict[str, Any] | None:
        found = self._run(lambda db: db.execute("SELECT body FROM journal_keys WHERE key = ? AND expires > ?",
                                                (key, time.time())).fetchone())
        return None if found is None else json.loads(found[0])

    async def claim(self, key: str, record: dict[str, Any], expires: float) -> dict[str, Any] | None:
        def work(db: sqlite3.Connection) -> dict[str, Any] | None:
            db.execute("DELETE FROM journal_keys WHERE key = ? AND expires <= ?", (key, time.time()))
            if db.execute("INSERT OR IGNORE INTO journal_keys (key, expires, body) VALUES (?, ?, ?)",
                          (key, expires, json.dumps(record, default=str))).rowcount == 1:
                return None
            return json.loads(db.execute("SELECT body FROM journal_keys WHERE key = ?", (key,)).fetchone()[0])

        return self._run(work)

    async def settle(self, key: str, record: dict[str, Any], expires: float) -> None:
        self._run(lambda db: db.execute("INSERT OR REPLACE INTO journal_keys (key, expires, body) VALUES (?, ?, ?)",
                                        (key, expires, json.dumps(record, default=str))))

    async def release(self, key: str) -> None:
        self._run(lambda db: db.execute("DELETE FROM journal_keys WHERE key = ?", (key,)))


class RedisBackend:
    """Keys of its own beside the store's: a change, a hash of its resources, a sorted index per account."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.redis = store._redis
        self.prefix = f"{store.prefix}journal:"

    async def _do(self, work: Any) -> Any:
        try:
            return await work(self.redis)
        except self.store._errors as error:
            raise self.store._unavailable(error) from None

    async def put(self, change: dict[str, Any], expires: float) -> None:
        ms = max(int(expires * 1000), 1)
        index = f"{self.prefix}index:{change.get('account')}"

        async def work(r: Any) -> None:
            async with r.pipeline(transaction=True) as pipe:
                pipe.set(f"{self.prefix}change:{change['change_id']}", json.dumps(change, default=str), pxat=ms)
                pipe.zadd(index, {change["change_id"]: expires})
                pipe.zremrangebyscore(index, "-inf", time.time())
                pipe.pexpireat(index, ms)
                await pipe.execute()

        await self._do(work)

    async def rows(self, change_id: str, rows: dict[str, dict[str, Any]], expires: float) -> None:
        key = f"{self.prefix}rows:{change_id}"
        if not rows:  # HSET takes at least one field
            return

        async def work(r: Any) -> None:
            async with r.pipeline(transaction=True) as pipe:
                pipe.hset(key, mapping={k: json.dumps(v, default=str) for k, v in rows.items()})
                pipe.pexpireat(key, max(int(expires * 1000), 1))
                await pipe.execute()

        await self._do(work)

    async def get(self, change_id: str) -> dict[str, Any] | None:
        async def work(r: Any) -> Any:
            return await r.get(f"{self.prefix}change:{change_id}"), await r.hgetall(f"{self.prefix}rows:{change_id}")

        found, rows = await self._do(work)
        if not found:
            return None
        resources = sorted((json.loads(v) for v in rows.values()), key=lambda row: row.get("position", 0))
        return {**json.loads(found), "resources": resources}

    async def recent(self, account: str | None, limit: int) -> list[dict[str, Any]]:
        async def work(r: Any) -> list[Any]:
            ids = await r.zrevrangebyscore(f"{self.prefix}index:{account}", "+inf", time.time())
            return [v for v in await r.mget([f"{self.prefix}change:{i.decode()}" for i in ids]) if v] if ids else []

        changes = [json.loads(v) for v in await self._do(work)]
        return sorted(changes, key=lambda c: c["time"], reverse=True)[:limit]

    async def look(self, key: str) -> dict[str, Any] | None:
        found = await self._do(lambda r: r.get(f"{self.prefix}key:{key}"))
        return None if found is None else json.loads(found)

    async def claim(self, key: str, record: dict[str, Any], expires: float) -> dict[str, Any] | None:
        name = f"{self.prefix}key:{key}"

        async def work(r: Any) -> Any:
            if await r.set(name, json.dumps(record, default=str), nx=True, pxat=max(int(expires * 1000), 1)):
                return None
            return await r.get(name)

        found = await self._do(work)
        return None if found is None else json.loads(found)

    async def settle(self, key: str, record: dict[str, Any], expires: float) -> None:
        await self._do(lambda r: r.set(f"{self.prefix}key:{key}", json.dumps(record, default=str),
                                       pxat=max(int(expires * 1000), 1)))

    async def release(self, key: str) -> None:
        await self._do(lambda r: r.delete(f"{self.prefix}key:{key}"))


def backend_for(store: Store) -> Backend:
    if isinstance(store, SqliteStore):
        return SqliteBackend(store.path)
    if isinstance(store, MemoryStore) or not hasattr(store, "_redis"):
        return MemoryBackend()
    return RedisBackend(store)


class Journal:
    """Writes and reads changes; a failure to write is logged and the call goes on (its answer then has no
    change_id to undo or resume with)."""

    def __init__(self, backend: Backend, retention_days: float = DEFAULT_RETENTION_DAYS) -> None:
        self.backend = backend
        self.retention_seconds = retention_days * 86400
        self.running: set[str] = set()  # the changes this process is sending now

    @property
    def expires(self) -> float:
        return time.time() + self.retention_seconds

    async def begin(self, *, tool: str, operation: str, arguments: dict[str, Any], account: str | None,
                    confirmation: str, rows: list[dict[str, Any]], **extra: Any) -> str | None:
        """Record a change about to be sent, each resource `pending`; its change_id (None: not recorded).

        Under an idempotency key the change is recorded, or nothing is sent: raises ToolError."""
        keyed = keyed_change.get()
        change_id = keyed.change_id if keyed is not None and not keyed.journaled else new_change_id()
        change = {"change_id": change_id, "time": _now(), "tool": tool, "operation": operation,
                  "arguments": clean(arguments), "account": account, "person": _person(),
                  "confirmation": confirmation, "status": "running", "runner": runner(), "beat": time.time(),
                  **{k: v for k, v in extra.items() if v is not None}}
        rows_by_key = {}
        for position, row in enumerate(rows):
            rows_by_key[str(row.get("id") or position)] = {"position": position, "outcome": "pending", **clean(row)}
        try:
            await self.backend.put(change, self.expires)
            await self.backend.rows(change_id, rows_by_key, self.expires)
            if keyed is not None and not keyed.journaled:
                await self.backend.settle(keyed.stored, keyed.record(), self.expires)
                keyed.journaled = True
        except StoreUnavailable as why:
            if keyed is not None and not keyed.journaled:
                raise keyed.unavailable(why) from None
            log.warning("change not journaled (%s); it cannot be undone or resumed by id", why)
            return None
        self.running.add(change_id)
        return change_id

    async def update(self, change_id: str | None, row: dict[str, Any], key: str | None = None) -> None:
        """Write one resource's row again (its outcome, request id, what it left)."""
        if change_id is None:
            return
        try:
            await self.backend.rows(change_id, {key or str(row["id"]): clean(row)}, self.expires)
        except StoreUnavailable as why:
            log.warning("change %s: a resource's outcome was not journaled (%s)", change_id, why)

    async def end(self, change_id: str | None, status: str, **fields: Any) -> None:
        if change_id is None:
            return
        self.running.discard(change_id)
        try:
            change = await self.backend.get(change_id)
            if change is None:
                return
            change.pop("resources", None)
            change.update(status=status, ended=_now(), **fields)
            await self.backend.put(change, self.expires)
        except StoreUnavailable as why:
            log.warning("change %s: its end was not journaled (%s)", change_id, why)

    async def get(self, change_id: str, account: str | None) -> dict[str, Any] | None:
        """The change with its resources, if it was made in `account` by the signed-in person of this call
        (another account's, or another person's, is not found)."""
        change = await self.backend.get(change_id)
        mine = change is not None and change.get("account") == account and change.get("person") == _person()
        return change if mine else None

    async def recent(self, account: str | None, limit: int = 20) -> list[dict[str, Any]]:
        person = _person()
        found = await self.backend.recent(account, limit if person is None else limit * 10)
        return [change for change in found if change.get("person") == person][:limit]


    def still_running(self, change: dict[str, Any]) -> str | None:
        """Where a change marked running is still being sent: by this process, by another server process alive
        on this machine, or by another replica that said it is alive in the last 3 beats. None: it was cut off."""
        if change.get("status") != "running":
            return None
        if change["change_id"] in self.running:
            return "by this server"
        host, _, pid = str(change.get("runner") or "").rpartition(":")
        if host != socket.gethostname():  # another replica: alive while it beats
            age = time.time() - float(change.get("beat") or 0)
            return f"by the server on {host}, heard from {age:.0f} s ago" if age < 3 * BEAT_SECONDS else None
        if not pid.isdigit() or int(pid) == os.getpid():
            return None
        try:
            os.kill(int(pid), 0)
            command = Path(f"/proc/{pid}/cmdline").read_bytes() if Path("/proc").is_dir() else b"telnyx"
        except (OSError, ValueError):
            return None  # gone: the change was cut off (a crash, kill -9)
        return f"by server process {pid} on this machine" if b"telnyx" in command else None


def runner() -> str:
    """Which process sends a change: Journal.still_running checks it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _person() -> str | None:
    """Whose a change is besides the account's: the signed-in person (a digest of issuer, subject and client)."""
    from .auth import current_principal

    principal = current_principal()
    return principal.digest() if principal is not None else None


def journal_for(store: Store, retention_days: float = DEFAULT_RETENTION_DAYS) -> Journal:
    try:
        return Journal(backend_for(store), retention_days)
    except StoreUnavailable as why:
        log.warning("the change journal falls back to this process's memory (%s)", why)
        return Journal(MemoryBackend(), retention_days)


# -- the state before a change --------------------------------------------------------------------------

async def read_state(client: Any, op: Operation, target: Any) -> dict[str, Any] | None:
    """The fields `op` changes on the resource `target`, as they are now; None for no such resource.

    A public IP read answering 404 is a SIM without one: every field empty. Raises ToolError."""
    comp = op.compensation
    assert comp is not None and comp.reads
    try:
        record = (await execute(client, OPERATIONS[comp.reads], {comp.target: target}, whole=True))["data"]
    except ToolError as error:
        if error.payload.get("status") == 404:
            return None if comp.reads in ("get_sim_card", "get_sim_card_group") else {f: None for f in comp.fields}
        raise
    return {path: dig(record, path) for path in comp.fields}


def fields_of(op: Operation, record: dict[str, Any]) -> dict[str, Any]:
    """The fields `op` changes, from a record already read (a plan's resolved SIM)."""
    comp = op.compensation
    return {path: dig(record, path) for path in comp.fields} if comp is not None else {}


class Recorder:
    """The rows of one change as it runs: `sent` before a resource's request goes out, `answered` after."""

    def __init__(self, journal: Journal, change_id: str | None, rows: list[dict[str, Any]]) -> None:
        self.journal = journal
        self.change_id = change_id
        self.rows = {str(row.get("id") or position): {"position": position, "outcome": "pending", **row}
                     for position, row in enumerate(rows)}

    @classmethod
    async def start(cls, journal: Journal, rows: list[dict[str, Any]], *, tool: str, operation: str,
                    arguments: dict[str, Any], confirmation: str, **extra: Any) -> Recorder:
        from .audit import current_call

        account = (current_call.get() or (None, None))[1]
        change_id = await journal.begin(tool=tool, operation=operation, arguments=arguments, account=account,
                                        confirmation=confirmation, rows=rows, **extra)
        return cls(journal, change_id, rows)

    def key(self, resource_id: Any) -> str:
        return str(resource_id) if str(resource_id) in self.rows else "0"

    async def sent(self, resource_id: Any) -> None:
        row = self.rows[self.key(resource_id)]
        row["outcome"] = "sent"
        await self.journal.update(self.change_id, row, self.key(resource_id))

    async def answered(self, resource_id: Any, outcome: str, api_request_id: str | None = None,
                       **details: Any) -> None:
        key = self.key(resource_id)
        row = self.rows[key]
        row.update({"outcome": outcome, **{k: v for k, v in details.items() if v is not None}})
        if api_request_id:
            row["api_request_id"] = api_request_id
        await self.journal.update(self.change_id, row, key)

    async def end(self, status: str, **fields: Any) -> None:
        """End the change; its counts (outcome: resources), unless given, are its rows' outcomes."""
        fields.setdefault("counts", dict(Counter(row["outcome"] for row in self.rows.values())))
        await self.journal.end(self.change_id, status, **fields)


async def single_rows(client: Any, op: Operation, arguments: dict[str, Any]) -> list[dict[str, Any]]:
    """The row of a single call: its target and the state before (None when it could not be read)."""
    comp = op.compensation
    target = arguments.get(comp.target) if comp is not None and comp.target else None
    row: dict[str, Any] = {"id": target, "sent": {k: v for k, v in arguments.items() if k != IDEMPOTENCY_KEY}}
    if comp is not None and comp.reads and target is not None:
        try:
            row["before"] = await read_state(client, op, target)
        except ToolError as error:
            row["before"] = None
            row["note"] = f"the state before could not be read ({error.message[:160]})"
    return [row]


def with_change_id(payload: dict[str, Any], text: str, change_id: str | None) -> tuple[dict[str, Any], str]:
    """A result's structured content and text with the change_id first."""
    if change_id is None:
        return payload, text
    head = json.dumps({"change_id": change_id}, separators=(",", ":"))
    return {"change_id": change_id, **payload}, head[:-1] + ("," + text[1:] if text.startswith("{") and text != "{}" else "}")


def created_id(op: Operation, payload: dict[str, Any]) -> Any:
    comp = op.compensation
    data = payload.get("data")
    return dig(data, comp.created) if comp is not None and comp.deletes and isinstance(data, dict) else None


class ending:
    """`async with ending(change, target, sent):` around a single call's request: it is `sent` before, and on a
    failure the row ends `failed` (Telnyx refused: nothing changed) or `unknown` (it may have taken effect)."""

    def __init__(self, change: Recorder, target: Any, recorder: Any) -> None:
        self.change, self.target, self.recorder = change, target, recorder

    async def __aenter__(self) -> None:
        await self.change.sent(self.target)

    async def __aexit__(self, kind: Any, error: BaseException | None, traceback: Any) -> None:
        if error is None:
            return
        import anyio

        unknown = not isinstance(error, ToolError) or error.may_have_happened
        with anyio.CancelScope(shield=True):
            await self.change.answered(self.target, "unknown" if unknown else "failed",
                                       getattr(self.recorder, "request_id", None),
                                       reason=error.message[:300] if isinstance(error, ToolError) else None)
            await self.change.end("unknown" if unknown else "failed")


@asynccontextmanager
async def running(change: Recorder | None) -> AsyncIterator[None]:
    """Around a plan's run: its change says it is alive every BEAT_SECONDS (another replica then refuses to
    resume it); a run cancelled midway (its client gone, the call cancelled) ends its change `cancelled`, the
    rows keeping where each resource stood (`pending`, `sent`), for resume_change."""
    import anyio

    async def beat() -> None:
        while True:
            await anyio.sleep(BEAT_SECONDS)
            await mark(change.journal, change.change_id, beat=time.time())

    try:
        async with anyio.create_task_group() as group:
            if change is not None and change.change_id is not None:
                group.start_soon(beat)
            yield
            group.cancel_scope.cancel()
    except BaseException as error:
        if change is not None:
            with anyio.CancelScope(shield=True):
                await change.end("cancelled" if isinstance(error, anyio.get_cancelled_exc_class()) else "interrupted")
        raise


async def plan_recorder(changes: Journal, client: Any, plan: Any, verdict: Any, concurrency: int) -> Recorder:
    """Journal a plan about to run: one row per SIM it sends to, with the fields its operation changes.
    A SIM's row is `pending` until its request goes out."""
    from .plans import _bounded

    op = plan.op
    comp = op.compensation
    arguments = dict(plan.arguments)

    async def row(sim: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = {"id": sim["id"], "iccid": sim.get("iccid"), "sent": arguments}
        if comp is None or not comp.reads:
            return found
        if comp.reads == "get_sim_card":
            found["before"] = fields_of(op, sim)
            return found
        try:
            found["before"] = await read_state(client, op, sim["id"])
        except ToolError as error:
            found.update(before=None, note=f"the state before could not be read ({error.message[:160]})")
        return found

    rows = await _bounded(plan.todo, row, concurrency)
    return await Recorder.start(changes, rows, tool="apply_to_sim_cards", operation=op.name,
                                arguments=verdict.arguments, confirmation=verdict.confirmation)


# -- the read tools ----------------------------------------------------------------------------------

def recovery_of(operation: str) -> str:
    """How a change of `operation` is undone, in words."""
    op = OPERATIONS.get(operation)
    comp = op.compensation if op is not None else None
    if comp is None:
        return "nothing to undo"
    if comp.irreversible:
        return f"irreversible: {comp.irreversible}"
    return f"undo_change deletes what it created ({comp.deletes})" if comp.deletes else \
        "undo_change puts each resource back as it was before"


def undoable(change: dict[str, Any]) -> dict[str, Any]:
    """Whether undo_change can be asked to put the change back; if not, why (for a list of changes)."""
    op = OPERATIONS.get(change.get("operation", ""))
    comp = op.compensation if op is not None else None
    why = (f"undone by {change['undone_by']}" if change.get("undone_by")
           else "nothing declares how to undo it" if comp is None else comp.irreversible)
    return {"undoable": False, "why_not": why} if why else {"undoable": True}


def summary(change: dict[str, Any]) -> dict[str, Any]:
    keep = ("change_id", "time", "ended", "tool", "operation", "status", "counts", "undoes", "undoes_resumes", "resumes",
            "undone_by", "resumed_by")
    return {**{k: change[k] for k in keep if change.get(k) is not None}, **undoable(change)}


async def list_changes(changes: Journal, account: str | None, arguments: dict[str, Any]) -> dict[str, Any]:
    found = await changes.recent(account, int(arguments.get("limit") or 20))
    return {"data": [summary(c) for c in found], "meta": {"total": len(found)}}


async def show_change(changes: Journal, account: str | None, arguments: dict[str, Any]) -> dict[str, Any]:
    change = await changes.get(arguments["change_id"], account)
    if change is None:
        raise ToolError("not_found", f"No change {arguments['change_id']} in this account's journal (changes are "
                        "kept for a limited time).", hint="list_changes lists the recent ones.")
    for internal in ("account", "person", "runner", "beat"):
        change.pop(internal, None)
    for row in change.get("resources", []):
        row.pop("position", None)
    return {"data": {**change, "recovery": recovery_of(change.get("operation", ""))}}


async def mark(changes: Journal, change_id: str, **fields: Any) -> None:
    """Add fields to a change's record (the change that undid or resumed it)."""
    try:
        change = await changes.backend.get(change_id)
        if change is not None:
            change.pop("resources", None)
            await changes.backend.put({**change, **fields}, changes.expires)
    except StoreUnavailable as why:
        log.warning("change %s: %s not journaled (%s)", change_id, ", ".join(fields), why)


def already(op: Operation) -> str:
    """Why a plan skips a SIM: it already is as `op` would leave it."""
    return f"already {op.sets_status}" if op.sets_status else f"already as {op.name} leaves it"


async def already_done(client: Any, op: Operation, sims: list[dict[str, Any]], arguments: dict[str, Any],
                       concurrency: int) -> list[dict[str, Any]]:
    """The SIMs a plan of `op` leaves out: already in the status it sets, or already holding what it adds (a
    public IP: a repeated plan bills none of them again). A state that cannot be read is not skipped."""
    comp = op.compensation
    if comp is None or not comp.skips or comp.left is None:
        return []
    from ..tools.registry.model import matches
    from .plans import _bounded

    left = comp.left(arguments)

    async def done(sim: dict[str, Any]) -> bool:
        if comp.reads == "get_sim_card":
            now: dict[str, Any] | None = fields_of(op, sim)
        else:
            try:
                now = await read_state(client, op, sim["id"])
            except ToolError:
                return False
        return now is not None and all(matches(now.get(path), value) for path, value in left.items())

    flags = await _bounded(sims, done, concurrency)
    return [sim for sim, flag in zip(sims, flags) if flag]
