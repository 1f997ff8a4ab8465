"""`telnyx-iot-mcp doctor`: checks the API key, the state store and the connection to Telnyx, changing nothing:
the store is only looked at (SQLite opened read-only, Redis pinged) and Telnyx is asked for one SIM card."""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path
from typing import TextIO

from ..tools.errors import ToolError
from ..tools.request import ApiRequest
from .settings import Settings
from .state import safe_url, store_kind


def report(out: TextIO, ok: bool | None, detail: str, *, what: str) -> bool:
    out.write(f"{'ok  ' if ok else 'FAIL' if ok is False else 'note'}  {what}: {detail}\n")
    return ok is not False


def key_check(settings: Settings) -> tuple[bool | None, str]:
    if settings.sandbox:
        return None, "not needed with --sandbox"
    key = settings.api_key.get_secret_value().strip() if settings.api_key else ""
    source = f"TELNYX_API_KEY_FILE ({settings.api_key_file})" if settings.api_key_file else "TELNYX_API_KEY"
    if not key:
        return False, ("TELNYX_API_KEY is set but blank" if settings.api_key is not None else
                       "TELNYX_API_KEY is not set: set it (or TELNYX_API_KEY_FILE), or try --sandbox")
    return True, f"set, from {source}"


async def store_check(settings: Settings) -> tuple[bool | None, str]:
    try:
        kind, where = store_kind(settings.state_url, settings.state_dir)
    except ValueError as error:
        return False, str(error)
    if kind == "memory":
        return None, "memory: confirmations last as long as the process and are not shared"
    if kind == "redis":
        try:
            import redis.asyncio as redis
        except ImportError:
            return False, "a redis:// store needs the redis package: pip install 'telnyx-iot-mcp[redis]'"
        connection = redis.from_url(where, socket_timeout=3, socket_connect_timeout=3)
        try:
            await connection.ping()
        except (redis.RedisError, OSError) as error:
            return False, f"Redis at {safe_url(where)} cannot be reached ({type(error).__name__}: {error})"
        finally:
            await connection.aclose()
        return True, f"Redis at {safe_url(where)} answers"
    path = Path(where)
    if not path.exists():
        parent = next(p for p in [path.parent, *path.parent.parents] if p.exists())
        if os.access(parent, os.W_OK | os.X_OK):
            return True, f"SQLite file {path} will be created on the first start"
        return False, f"SQLite file {path} cannot be created: {parent} is not writable (choose --state-dir)"
    try:
        with sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True) as db:
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as error:
        return False, f"SQLite file {path} cannot be read ({error})"
    if not os.access(path, os.W_OK):
        return False, f"SQLite file {path} is read-only: spent confirmations could not be recorded"
    return True, f"SQLite file {path}"


async def upstream_check(settings: Settings) -> tuple[bool | None, str]:
    from .cli import make_client

    if not settings.sandbox and not (settings.api_key and settings.api_key.get_secret_value().strip()):
        return None, "not checked without a key"
    client = make_client(settings.model_copy(update={"max_attempts": 1, "allow_client_api_key": False}))
    try:
        response = await client.send(ApiRequest("GET", "/sim_cards", [("page[size]", "1")], operation="list_sim_cards"))
    except ToolError as error:
        return False, f"{settings.base_url if not settings.sandbox else 'the sandbox'}: {error.message}"
    finally:
        await client.aclose()
    total = (response.body.get("meta") or {}).get("total_results")
    where = "the sandbox answers" if settings.sandbox else f"{settings.base_url} accepts the key"
    return True, where + (f" ({total} SIM cards)" if total is not None else "")


async def doctor(settings: Settings, out: TextIO | None = None) -> int:
    """0 when every check passes, 1 otherwise; one line per check."""
    out = out or sys.stdout
    results = [report(out, *key_check(settings), what="key"),
               report(out, *await store_check(settings), what="state store"),
               report(out, *await upstream_check(settings), what="Telnyx API")]
    return 0 if all(results) else 1
