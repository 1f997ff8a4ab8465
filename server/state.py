"""What must outlive one call: spent confirmation tokens and round-trip states, the server's secret, a budget.

Three stores, chosen by `--state-url` (TELNYX_IOT_MCP_STATE_URL):

- (unset) a SQLite file in the state directory, `$XDG_STATE_HOME/telnyx-iot-mcp` else
  `~/.local/state/telnyx-iot-mcp` (`--state-dir`): every process of the user on this machine shares it,
  so a token is spent once even when a client starts a new server for every call;
- `memory`: this process only, for tests and throwaway runs;
- `redis://host:port/db` (or `rediss://`, `unix://`): every replica that names the same Redis
  (server/state_redis.py), including one budget of requests to Telnyx.

A store keeps random token ids with their expiry, never a call's arguments.

Single use holds only as long as the store remembers what was spent, so every token names the store's
generation: a random id the store keeps beside its secret, made anew whenever the store starts over (a
Redis that restarted, empty or from a snapshot; a deleted SQLite file; another process's memory). A spend
checks the generation, and the expiry against the store's own clock, in the same step as it marks the
token spent: a token issued before the store lost what it knew, or expired by the store's clock, is
refused whatever the replica that redeems it remembers or its clock says.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import urlsplit

from ..tools.budget import Budget, LocalBudget

APP_DIR = "telnyx-iot-mcp"
STATE_FILE = "state.sqlite3"
MEMORY_URLS = ("memory", "memory://", ":memory:")
REDIS_SCHEMES = ("redis", "rediss", "unix")


class StoreUnavailable(Exception):
    """The store cannot be read or written; the message names it (without credentials) and what failed."""


class SpendUnknown(StoreUnavailable):
    """A spend was sent but its answer did not come: the key may or may not be spent now."""


# How a spend ended: `spent` now (by this call), `used` before, `expired` by the store's clock, `stale`: the
# key belongs to another generation of the store (issued before it started over, or by another process's memory).
Spent = Literal["spent", "used", "expired", "stale"]


@dataclass(frozen=True)
class Deployment:
    """What every process sharing a store agrees on: the secret, the store's generation, and its clock now."""

    secret: bytes
    generation: str
    now: float  # epoch seconds by the store's clock


class Store(Protocol):
    description: str  # where it keeps things, safe to show

    async def spend(self, key: str, expires_at: float, generation: str) -> Spent:
        """Mark `key` spent until `expires_at` (epoch seconds), if `generation` is the store's and the store's
        clock says `expires_at` has not passed: `spent` the first time, `used` ever after. Atomic across every
        process sharing the store. Raises StoreUnavailable (SpendUnknown when it may have been spent)."""
        ...

    async def deployment(self) -> Deployment:
        """The secret (32 random bytes, created once) and generation, creating either when missing.
        Raises StoreUnavailable."""
        ...

    async def secret(self) -> bytes:
        """The server's persistent secret (the deployment's). Raises StoreUnavailable."""
        ...

    def budget(self, max_in_flight: int, rate: float | None, *, hold_seconds: float = 60.0) -> Budget:
        """The limit of requests to Telnyx: in flight at once and started per second, over what the store spans.
        `hold_seconds`: the longest a request can hold its slot (a shared slot is freed after it regardless)."""
        ...

    async def aclose(self) -> None: ...


def account_fingerprint(secret: bytes, api_key: str | None) -> str:
    """Names the Telnyx account behind `api_key` without revealing it: a keyed hash (HMAC-SHA256 under the
    server's secret), so equal keys match and the key cannot be recovered or tested offline. "no-key" when none."""
    if not api_key:
        return "no-key"
    return "acct-" + hmac.new(secret, b"telnyx-api-key\0" + api_key.strip().encode(), hashlib.sha256).hexdigest()[:16]


def default_state_dir() -> Path:
    """`$XDG_STATE_HOME/telnyx-iot-mcp` (an absolute XDG_STATE_HOME only, as the XDG spec says), else
    `~/.local/state/telnyx-iot-mcp`."""
    base = os.environ.get("XDG_STATE_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".local" / "state"
    return root / APP_DIR


def safe_url(url: str) -> str:
    """The URL with any password removed, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[-1]
    user = f"{parts.username}:***@" if parts.username else "***@"
    return parts._replace(netloc=user + host).geturl()


def new_generation() -> str:
    return secrets.token_urlsafe(9)


class MemoryStore:
    """This process only: a token is single-use within it, and only this process accepts it (its generation
    is new every start), even when every process is given the same secret."""

    description = "memory (this process only)"

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._spent: dict[str, float] = {}
        self._secret = secrets.token_bytes(32)
        self._generation = new_generation()
        self._clock = clock

    async def spend(self, key: str, expires_at: float, generation: str) -> Spent:
        now = self._clock()
        if generation != self._generation:
            return "stale"
        if now >= expires_at:
            return "expired"
        for old in [k for k, expires in self._spent.items() if expires <= now]:
            del self._spent[old]
        if key in self._spent:
            return "used"
        self._spent[key] = expires_at
        return "spent"

    async def deployment(self) -> Deployment:
        return Deployment(self._secret, self._generation, self._clock())

    async def secret(self) -> bytes:
        return self._secret

    def budget(self, max_in_flight: int, rate: float | None, *, hold_seconds: float = 60.0) -> Budget:
        return LocalBudget(max_in_flight, rate)

    async def aclose(self) -> None:
        pass


class SqliteStore:
    """A SQLite file shared by every process of this user on this machine (WAL, one short write per spend).

    The file (and its directory, when created here) is readable by its owner only: it holds the secret.
    Each process keeps its own budget: processes started per call rarely overlap."""

    PURGE_EVERY = 60.0  # seconds between deletions of expired rows
    SETUP_SECONDS = 60.0  # how long processes starting together may wait on each other to set the file up

    def __init__(self, path: str | os.PathLike[str], clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.description = f"SQLite file {self.path}"
        self._lock = threading.Lock()  # one connection, used from whichever thread serves the call
        self._clock = clock
        self._purged = 0.0
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            with _one_at_a_time(self.path.parent):
                os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
                self._db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None, check_same_thread=False)
                self._secret, self.generation = self._set_up()
        except (OSError, sqlite3.Error) as error:
            raise StoreUnavailable(f"the state file {self.path} cannot be opened ({_reason(error)})") from None

    def _set_up(self) -> tuple[bytes, str]:
        """Switch the file to WAL and create its tables, secret and generation, once whoever comes first.

        Many processes starting at once on a new file contend for it, and switching to WAL does not wait for
        a lock as other statements do: a busy file is tried again, with a random pause, until SETUP_SECONDS."""
        deadline = time.monotonic() + self.SETUP_SECONDS
        while True:
            try:
                if self._db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                    self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    self._db.execute("CREATE TABLE IF NOT EXISTS spent (key TEXT PRIMARY KEY, expires REAL NOT NULL) "
                                     "WITHOUT ROWID")
                    for table, kind in (("secret", "BLOB"), ("generation", "TEXT")):
                        self._db.execute(f"CREATE TABLE IF NOT EXISTS {table} "
                                         f"(id INTEGER PRIMARY KEY CHECK (id = 1), value {kind} NOT NULL)")
                    self._db.execute("INSERT OR IGNORE INTO secret (id, value) VALUES (1, ?)", (secrets.token_bytes(32),))
                    self._db.execute("INSERT OR IGNORE INTO generation (id, value) VALUES (1, ?)", (new_generation(),))
                    secret = bytes(self._db.execute("SELECT value FROM secret WHERE id = 1").fetchone()[0])
                    generation = str(self._db.execute("SELECT value FROM generation WHERE id = 1").fetchone()[0])
                    self._db.execute("COMMIT")
                except BaseException:
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                    raise
                return secret, generation
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) and "busy" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(0.005 + secrets.randbelow(50) / 1000)

    async def spend(self, key: str, expires_at: float, generation: str) -> Spent:
        now = self._clock()
        if generation != self.generation:  # the file was made anew (or the token is another store's)
            return "stale"
        if now >= expires_at:
            return "expired"
        try:
            with self._lock:
                if now - self._purged > self.PURGE_EVERY:
                    self._db.execute("DELETE FROM spent WHERE expires <= ?", (now,))
                    self._purged = now
                inserted = self._db.execute("INSERT OR IGNORE INTO spent (key, expires) VALUES (?, ?)",
                                            (key, expires_at)).rowcount
        except sqlite3.Error as error:
            raise StoreUnavailable(f"the state file {self.path} cannot be written ({_reason(error)})") from None
        return "spent" if inserted == 1 else "used"

    async def deployment(self) -> Deployment:
        return Deployment(self._secret, self.generation, self._clock())

    async def secret(self) -> bytes:
        return self._secret

    def budget(self, max_in_flight: int, rate: float | None, *, hold_seconds: float = 60.0) -> Budget:
        return LocalBudget(max_in_flight, rate)

    async def aclose(self) -> None:
        with self._lock:
            self._db.close()


@contextmanager
def _one_at_a_time(directory: Path) -> Iterator[None]:
    """Holds an exclusive lock on `directory` (flock, where the system has it): processes that start at once
    set up a new state file one after the other, as SQLite cannot make that step safe by itself."""
    try:
        import fcntl
    except ImportError:  # Windows: the retries of _set_up alone
        yield
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _reason(error: Exception) -> str:
    return getattr(error, "strerror", None) or str(error) or type(error).__name__


def store_kind(state_url: str | None, state_dir: str | None = None) -> tuple[str, str]:
    """Which store `state_url` names, without opening it: ("memory", ""), ("sqlite", path) or ("redis", url).

    Raises ValueError for an unknown URL."""
    url = (state_url or "").strip()
    if url.lower() in MEMORY_URLS:
        return "memory", ""
    if not url:
        return "sqlite", str(Path(state_dir).expanduser() / STATE_FILE if state_dir else default_state_dir() / STATE_FILE)
    scheme = url.split(":", 1)[0].lower()
    if scheme == "sqlite":
        path = url[len("sqlite:"):]
        return "sqlite", path[2:] if path.startswith("//") else path  # sqlite:///abs/path or sqlite:rel/path
    if scheme in REDIS_SCHEMES:
        return "redis", url
    raise ValueError(f"state_url: {safe_url(url)!r} is not a store: use memory, sqlite:///PATH or redis://HOST:PORT/DB")


def open_store(state_url: str | None, state_dir: str | None = None, *, timeout: float = 1.0) -> Store:
    """The store `state_url` names (default: SQLite in `state_dir` or the default state directory); `timeout`:
    the longest a Redis command may take.

    Raises StoreUnavailable when a SQLite file cannot be opened, ValueError for an unknown URL."""
    kind, where = store_kind(state_url, state_dir)
    if kind == "memory":
        return MemoryStore()
    if kind == "sqlite":
        return SqliteStore(where)
    from .state_redis import RedisStore

    return RedisStore(where, timeout=timeout)


__all__ = ["Deployment", "MemoryStore", "SpendUnknown", "Spent", "SqliteStore", "Store", "StoreUnavailable",
           "account_fingerprint", "default_state_dir", "open_store", "safe_url", "store_kind"]
