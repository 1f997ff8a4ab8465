"""What must outlive one call: spent confirmation tokens and round-trip states, the server's secret, a budget.

Three stores, chosen by `--state-url` (TELNYX_IOT_MCP_STATE_URL):

- (unset) a SQLite file in the state directory, `$XDG_STATE_HOME/telnyx-iot-mcp` else
  `~/.local/state/telnyx-iot-mcp` (`--state-dir`): every process of the user on this machine shares it,
  so a token is spent once even when a client starts a new server for every call;
- `memory`: this process only, for tests and throwaway runs;
- `redis://host:port/db` (or `rediss://`, `unix://`): every replica that names the same Redis
  (server/state_redis.py), including one budget of requests to Telnyx.

A store keeps random token ids with their expiry, never a call's arguments.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sqlite3
import threading
import time
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from ..tools.budget import Budget, LocalBudget

APP_DIR = "telnyx-iot-mcp"
STATE_FILE = "state.sqlite3"
MEMORY_URLS = ("memory", "memory://", ":memory:")
REDIS_SCHEMES = ("redis", "rediss", "unix")


class StoreUnavailable(Exception):
    """The store cannot be read or written; the message names it (without credentials) and what failed."""


class Store(Protocol):
    description: str  # where it keeps things, safe to show

    async def spend(self, key: str, expires_at: float) -> bool:
        """Mark `key` spent until `expires_at` (epoch seconds): True the first time, False ever after.
        Atomic across every process sharing the store. Raises StoreUnavailable."""
        ...

    async def secret(self) -> bytes:
        """The server's persistent secret, created once (32 random bytes) on first use. Raises StoreUnavailable."""
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


class MemoryStore:
    """This process only: a token is single-use within it; the secret is new every start."""

    description = "memory (this process only)"

    def __init__(self) -> None:
        self._spent: dict[str, float] = {}
        self._secret = secrets.token_bytes(32)

    async def spend(self, key: str, expires_at: float) -> bool:
        now = time.time()
        for old in [k for k, expires in self._spent.items() if expires <= now]:
            del self._spent[old]
        if key in self._spent:
            return False
        self._spent[key] = expires_at
        return True

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

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.description = f"SQLite file {self.path}"
        self._lock = threading.Lock()  # one connection, used from whichever thread serves the call
        self._purged = 0.0
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
            self._db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS spent (key TEXT PRIMARY KEY, expires REAL NOT NULL) WITHOUT ROWID")
            self._db.execute("CREATE TABLE IF NOT EXISTS secret (id INTEGER PRIMARY KEY CHECK (id = 1), value BLOB NOT NULL)")
        except (OSError, sqlite3.Error) as error:
            raise StoreUnavailable(f"the state file {self.path} cannot be opened ({_reason(error)})") from None

    async def spend(self, key: str, expires_at: float) -> bool:
        now = time.time()
        try:
            with self._lock:
                if now - self._purged > self.PURGE_EVERY:
                    self._db.execute("DELETE FROM spent WHERE expires <= ?", (now,))
                    self._purged = now
                inserted = self._db.execute("INSERT OR IGNORE INTO spent (key, expires) VALUES (?, ?)",
                                            (key, expires_at)).rowcount
        except sqlite3.Error as error:
            raise StoreUnavailable(f"the state file {self.path} cannot be written ({_reason(error)})") from None
        return inserted == 1

    async def secret(self) -> bytes:
        try:
            with self._lock:
                self._db.execute("INSERT OR IGNORE INTO secret (id, value) VALUES (1, ?)", (secrets.token_bytes(32),))
                return bytes(self._db.execute("SELECT value FROM secret WHERE id = 1").fetchone()[0])
        except sqlite3.Error as error:
            raise StoreUnavailable(f"the state file {self.path} cannot be read ({_reason(error)})") from None

    def budget(self, max_in_flight: int, rate: float | None, *, hold_seconds: float = 60.0) -> Budget:
        return LocalBudget(max_in_flight, rate)

    async def aclose(self) -> None:
        with self._lock:
            self._db.close()


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


def open_store(state_url: str | None, state_dir: str | None = None) -> Store:
    """The store `state_url` names (default: SQLite in `state_dir` or the default state directory).

    Raises StoreUnavailable when a SQLite file cannot be opened, ValueError for an unknown URL."""
    kind, where = store_kind(state_url, state_dir)
    if kind == "memory":
        return MemoryStore()
    if kind == "sqlite":
        return SqliteStore(where)
    from .state_redis import RedisStore

    return RedisStore(where)


__all__ = ["MemoryStore", "SqliteStore", "Store", "StoreUnavailable", "account_fingerprint", "default_state_dir",
           "open_store", "safe_url", "store_kind"]
