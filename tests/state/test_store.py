"""The state store: where it lives, who may read it, and spending a key exactly once."""

from __future__ import annotations

import os
import stat

import anyio
import pytest

from telnyx_iot_mcp.server import cli
from telnyx_iot_mcp.server.confirm_token import ConfirmationTokens, TokenRefused
from telnyx_iot_mcp.server.gate import gate_for
from telnyx_iot_mcp.server.state import (MemoryStore, SqliteStore, StoreUnavailable, account_fingerprint,
                                         default_state_dir, open_store, safe_url)

pytestmark = pytest.mark.anyio


def settings_for(*flags: str):
    return cli.load_settings(cli.parse_args(["--sandbox", *flags]))


async def test_the_default_store_is_a_private_sqlite_file_in_the_xdg_state_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    store = gate_for(settings_for(), client=None).tokens.store
    path = tmp_path / "xdg" / "telnyx-iot-mcp" / "state.sqlite3"
    assert isinstance(store, SqliteStore) and store.path == path
    secret = await store.secret()
    assert len(secret) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    await store.aclose()
    again = open_store(None)  # a later process finds the same secret: generated once
    assert await again.secret() == secret
    await again.aclose()


def test_without_an_absolute_xdg_state_home_the_state_lives_under_home(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    for value in (None, "", "relative/dir"):
        if value is None:
            monkeypatch.delenv("XDG_STATE_HOME", raising=False)
        else:
            monkeypatch.setenv("XDG_STATE_HOME", value)
        assert default_state_dir() == tmp_path / ".local" / "state" / "telnyx-iot-mcp"


async def test_state_dir_and_state_url_choose_the_store(monkeypatch, tmp_path):
    chosen = gate_for(settings_for("--state-dir", str(tmp_path / "mine")), client=None).tokens.store
    assert chosen.path == tmp_path / "mine" / "state.sqlite3" and chosen.path.exists()
    monkeypatch.setenv("TELNYX_IOT_MCP_STATE_URL", f"sqlite://{tmp_path}/other.db")
    assert gate_for(settings_for(), client=None).tokens.store.path == tmp_path / "other.db"
    assert isinstance(gate_for(settings_for("--state-url", "memory"), client=None).tokens.store, MemoryStore)


def test_a_state_dir_that_cannot_be_written_stops_the_server_at_start(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(SystemExit):
        gate_for(settings_for("--state-dir", str(blocker / "dir")), client=None)
    err = capsys.readouterr().err
    assert str(blocker) in err and "--state-url memory" in err
    with pytest.raises(SystemExit):
        gate_for(settings_for("--state-url", "ftp://user:hunter2@host/x"), client=None)
    err = capsys.readouterr().err
    assert "state_url" in err and "hunter2" not in err


def test_passwords_in_state_urls_are_not_shown():
    assert safe_url("redis://:hunter2@cache:6379/0") == "redis://***@cache:6379/0"
    assert safe_url("redis://app:hunter2@cache:6379/0") == "redis://app:***@cache:6379/0"
    assert safe_url("redis://cache:6379/0") == "redis://cache:6379/0"


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
async def test_a_key_is_spent_once_until_it_expires(kind, tmp_path):
    store = MemoryStore() if kind == "memory" else SqliteStore(tmp_path / "s.db")
    now = await store.deployment()
    soon = now.now + 60
    assert await store.spend("confirm:a", soon, now.generation) == "spent"
    assert await store.spend("confirm:a", soon, now.generation) == "used"
    assert await store.spend("elicit:a", soon, now.generation) == "spent"
    assert await store.spend("elicit:b", now.now - 1, now.generation) == "expired"
    assert await store.spend("elicit:c", soon, "another-generation") == "stale"
    assert await store.spend("elicit:b", soon, now.generation) == "spent"  # the refusals spent nothing
    await store.aclose()


async def test_a_configured_secret_does_not_carry_memory_tokens_to_another_process():
    args = {"sim_card_id": "8a6a63ec-24ed-46a4-ab4c-b2424a23d596"}
    issuer = ConfirmationTokens(b"one-secret-for-every-process")
    token, _ = await issuer.issue("confirm", "disable_sim_card", args, account="a")
    for _ in range(3):  # as many processes, each with its own memory and the same secret
        with pytest.raises(TokenRefused, match="started over|own memory"):
            await ConfirmationTokens(b"one-secret-for-every-process").redeem(token, "confirm", "disable_sim_card",
                                                                                args, account="a")
    await issuer.redeem(token, "confirm", "disable_sim_card", args, account="a")


async def test_a_sqlite_file_made_anew_refuses_the_tokens_of_the_old_one(tmp_path):
    args = {"sim_card_id": "8a6a63ec-24ed-46a4-ab4c-b2424a23d596"}
    secret = b"configured-secret-0123456789"
    token, _ = await ConfirmationTokens(secret, store=SqliteStore(tmp_path / "s.db")).issue(
        "confirm", "disable_sim_card", args, account="a")
    for name in ("s.db", "s.db-wal", "s.db-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    with pytest.raises(TokenRefused, match="started over"):
        await ConfirmationTokens(secret, store=SqliteStore(tmp_path / "s.db")).redeem(
            token, "confirm", "disable_sim_card", args, account="a")


async def test_many_writers_on_one_sqlite_file_spend_a_key_once(tmp_path):
    stores = [SqliteStore(tmp_path / "shared.db") for _ in range(4)]  # four connections, as four processes have
    wins = []

    async def race(store):
        generation = (await store.deployment()).generation
        for n in range(30):
            if await store.spend(f"k{n}", __import__("time").time() + 60, generation) == "spent":
                wins.append(n)

    async with anyio.create_task_group() as group:
        for store in stores:
            group.start_soon(anyio.to_thread.run_sync, lambda s=store: anyio.run(race, s))
    assert sorted(wins) == list(range(30))
    for store in stores:
        await store.aclose()


async def test_tokens_outlive_the_process_that_issued_them(tmp_path):
    args = {"sim_card_id": "8a6a63ec-24ed-46a4-ab4c-b2424a23d596"}
    first = ConfirmationTokens(store=SqliteStore(tmp_path / "s.db"))
    token, _ = await first.issue("confirm", "disable_sim_card", args, account="acct-1")
    later = ConfirmationTokens(store=SqliteStore(tmp_path / "s.db"))  # no configured secret: the file's
    await later.redeem(token, "confirm", "disable_sim_card", args, account="acct-1")
    with pytest.raises(TokenRefused, match="already used"):
        await first.redeem(token, "confirm", "disable_sim_card", args, account="acct-1")


async def test_a_store_that_fails_refuses_rather_than_accepts(tmp_path):
    store = SqliteStore(tmp_path / "s.db")
    tokens = ConfirmationTokens(store=store)
    token, _ = await tokens.issue("confirm", "disable_sim_card", {}, account="a")
    await store.aclose()  # the file can no longer be written
    with pytest.raises(StoreUnavailable):
        await tokens.redeem(token, "confirm", "disable_sim_card", {}, account="a")


def test_the_account_fingerprint_names_a_key_without_revealing_it():
    key = "KEY0123456789abcdefSECRET"
    one, other = account_fingerprint(b"s" * 32, key), account_fingerprint(b"s" * 32, key + "x")
    assert one == account_fingerprint(b"s" * 32, f" {key} ") and one != other
    assert one.startswith("acct-") and key not in one and key[:8] not in one and key[-6:] not in one
    assert one != account_fingerprint(b"t" * 32, key)  # keyed: without the server's secret, no guessing
    assert account_fingerprint(b"s" * 32, None) == account_fingerprint(b"s" * 32, "") == "no-key"
