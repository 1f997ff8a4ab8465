"""The `telnyx-iot-mcp` command: serve MCP over stdio (on Telnyx or the sandbox), or serve the sandbox API."""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from collections.abc import Sequence

import anyio
from pydantic import ValidationError

from .. import __version__
from ..tools.redact import secure_logging
from ..tools.registry.model import TOOLSETS
from .logs import BackgroundStderr
from .settings import Settings

SANDBOX_BASE_URL = "http://sandbox/v2"
STDIO_STOP_GRACE = 1.0  # seconds from a stop signal to exiting, when stdin holds the server up


KEY_FLAGS = ("--api-key", "--api_key", "--key", "--telnyx-api-key", "--token")


def refuse_key_flags(argv: Sequence[str]) -> None:
    """The key would show in the process list and shell history: only the environment or a file may hold it.
    Checked before argparse, whose usage errors would echo the value."""
    for token in argv:
        name = token.split("=", 1)[0]
        if name in KEY_FLAGS:
            fail(f"{name} is not accepted: the API key is never taken from the command line. "
                 "Set TELNYX_API_KEY, or TELNYX_API_KEY_FILE to a file holding the key.")


def add_selection_flags(parser: argparse.ArgumentParser, default: object) -> None:
    """Which tools to offer; on subcommands with default SUPPRESS so the flags work before or after the command."""
    parser.add_argument("--sandbox", action="store_true", default=default,
                        help="serve an offline demo fleet instead of the real API (no key needed)")
    parser.add_argument("--read-only", action="store_true", default=default,
                        help="offer only tools that read; every write, destructive or billable tool is removed")
    parser.add_argument("--toolsets", metavar="NAME,...", default=default,
                        help="offer only these toolsets (default all): " + ", ".join(TOOLSETS))
    parser.add_argument("--tools", metavar="NAME,...", default=default,
                        help="offer these tools (alone, or on top of --toolsets)")
    parser.add_argument("--exclude-tools", metavar="NAME,...", default=default, help="never offer these tools")
    parser.add_argument("--tools-mode", choices=["static", "dynamic"], default=default,
                        help="static: one MCP tool per operation (default); dynamic: three tools that search, "
                             "describe and call them")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    refuse_key_flags(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="telnyx-iot-mcp", allow_abbrev=False,
        description="MCP server for the Telnyx IoT API. Reads TELNYX_API_KEY from the environment.",
    )
    parser.add_argument("--version", action="version", version=f"telnyx-iot-mcp {__version__}")
    add_selection_flags(parser, None)
    parser.add_argument("--sandbox-state", metavar="PATH", default=None,
                        help="keep the sandbox fleet in this SQLite file between runs")
    parser.add_argument("--confirm", choices=["elicit-or-token", "elicit-only", "off"], default=None,
                        help="before destructive or billable calls: ask the user (elicitation), else return a "
                             "single-use confirmation token (default); elicit-only refuses when the client cannot "
                             "ask; off asks nothing (only for automation that confirms elsewhere)")
    parser.add_argument("--confirm-ttl", type=float, default=None, metavar="SECONDS",
                        help="how long a confirmation token stays valid (default 300)")
    parser.add_argument("--state-dir", metavar="DIR", default=None,
                        help="where spent confirmation tokens and the server's secret are kept (default "
                             "$XDG_STATE_HOME/telnyx-iot-mcp, else ~/.local/state/telnyx-iot-mcp)")
    parser.add_argument("--state-url", metavar="URL", default=None,
                        help="memory (this process only), sqlite:///PATH, or redis://HOST:PORT/DB to share "
                             "confirmations and one request budget between replicas (default: SQLite in --state-dir)")
    parser.add_argument("--rate-limit", type=float, default=None, metavar="PER_SECOND",
                        help="start at most this many requests to Telnyx per second (shared by replicas with "
                             "--state-url redis://...)")
    parser.add_argument("--audit-log", metavar="PATH", default=None,
                        help="append the audit log to this file: JSON lines for every change (before it is sent and how it ended) and every refusal")
    parser.add_argument("--audit-reads", action=argparse.BooleanOptionalAction, default=None,
                        help="also a line for every read (default on; --no-audit-reads keeps changes and refusals only)")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    http = parser.add_argument_group("Streamable HTTP (the access token comes from TELNYX_IOT_MCP_HTTP_TOKEN "
                                     "or --http-token-file, never from the command line)")
    http.add_argument("--transport", choices=["stdio", "http"], default=None, help="default: stdio")
    http.add_argument("--host", dest="http_host", default=None, help="address to bind (default 127.0.0.1)")
    http.add_argument("--port", dest="http_port", type=int, default=None, help="port to bind (default 8000)")
    http.add_argument("--stateless", action="store_true", default=None,
                      help="keep no sessions, for several replicas behind a load balancer")
    http.add_argument("--http-token-file", metavar="PATH", default=None,
                      help="file holding the bearer token MCP clients must send")
    http.add_argument("--allowed-hosts", default=None, metavar="HOST[:PORT],...",
                      help="Host header values to accept besides the bound address (e.g. the load balancer's name)")
    http.add_argument("--allow-client-api-key", action="store_true", default=None,
                      help="let each request carry its own Telnyx key in the X-Telnyx-Api-Key header")
    events = parser.add_argument_group("Fleet events (MCP Events: events/poll and webhooks)")
    events.add_argument("--watch-interval", type=float, default=None, metavar="SECONDS",
                        help="seconds between polls of the fleet for events (default 300)")
    events.add_argument("--allow-private-webhooks", action="store_true", default=None,
                        help="accept webhook URLs on private or loopback addresses (tests, on-premises receivers)")
    commands = parser.add_subparsers(dest="command")
    sandbox = commands.add_parser("sandbox", help="serve the sandbox's Telnyx-compatible HTTP API on 127.0.0.1")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=4010)
    sandbox.add_argument("--state", metavar="PATH", default=None, help="SQLite file to keep the fleet in")
    sandbox.add_argument("--api-key-required", action="store_true",
                         help="answer 401 unless requests carry TELNYX_API_KEY as a bearer token")
    tools = commands.add_parser("tools", help="print the tool catalog (name, class, toolset, title)")
    tools.add_argument("--search", nargs="+", metavar="WORDS",
                       help="rank the tools for a request in plain words, as dynamic mode's search_operations does")
    add_selection_flags(tools, argparse.SUPPRESS)
    call = commands.add_parser("call", help="run one tool through the MCP server and print its result as JSON; "
                                            "calls that need confirmation ask on the terminal")
    call.add_argument("tool", help="tool name, as listed by `telnyx-iot-mcp tools`")
    call.add_argument("--args", dest="tool_args", metavar="JSON", default="{}", help="the arguments as a JSON object")
    add_selection_flags(call, argparse.SUPPRESS)
    changes = commands.add_parser("changes", help="list the recent changes in the change journal, or show one "
                                                  "(the state before, what was sent, each outcome)")
    changes.add_argument("change_id", nargs="?", default=None, help="a change_id to show whole, as JSON")
    changes.add_argument("--limit", type=int, default=20, help="how many recent changes to list (1-100)")
    from .watch_command import add_parser as add_watch_parser

    add_watch_parser(commands, add_selection_flags)
    return parser.parse_args(argv)


def load_settings(args: argparse.Namespace) -> Settings:
    flags = {k: v for k, v in {
        "sandbox": args.sandbox, "sandbox_state": args.sandbox_state, "read_only": args.read_only,
        "confirm": args.confirm, "confirm_ttl": args.confirm_ttl, "audit_log": args.audit_log,
        "audit_reads": args.audit_reads,
        "state_dir": args.state_dir, "state_url": args.state_url, "rate_limit": args.rate_limit,
        "toolsets": args.toolsets, "tools": args.tools, "exclude_tools": args.exclude_tools,
        "tools_mode": args.tools_mode,
        "transport": args.transport, "host": args.http_host, "port": args.http_port, "stateless": args.stateless,
        "http_token_file": args.http_token_file, "allowed_hosts": args.allowed_hosts,
        "allow_client_api_key": args.allow_client_api_key,
        "watch_interval": args.watch_interval, "allow_private_webhooks": args.allow_private_webhooks,
    }.items() if v is not None}
    if flags.get("sandbox_state"):
        flags["sandbox"] = True
    try:
        return Settings(**flags)
    except ValidationError as error:
        fail("invalid settings: " + "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in error.errors()))


def fail(message: str) -> None:
    print(f"telnyx-iot-mcp: {message}", file=sys.stderr)
    raise SystemExit(2)


def make_client(settings: Settings, store=None):
    """The Telnyx client the settings ask for, its requests limited by `store`'s budget (default: this process)."""
    from ..tools.client import TelnyxClient

    options: dict = {"base_url": settings.base_url, **settings.client_limits()}
    if store is not None or settings.rate_limit:
        from .state import MemoryStore

        options["budget"] = (store or MemoryStore()).budget(settings.max_concurrency, settings.rate_limit,
                                                            hold_seconds=settings.timeout + 5)
    if settings.sandbox:
        import httpx

        from ..sandbox import create_app, summary

        app = create_app(state_path=settings.sandbox_state)
        print(summary(app), file=sys.stderr)
        options.update(base_url=SANDBOX_BASE_URL, transport=httpx.ASGITransport(app=app))
    key = settings.api_key.get_secret_value().strip() if settings.api_key else ""
    if settings.api_key is not None and not key and not settings.sandbox:
        fail("TELNYX_API_KEY is set but blank. Set it to your Telnyx API key"
             + (", or unset it so that every caller must send their own." if settings.allow_client_api_key else "."))
    if settings.allow_client_api_key and settings.transport == "http":  # callers may bring their own key
        from .http import RequestKeyClient

        return RequestKeyClient(default_api_key=key or None, **options)
    if settings.sandbox:
        return TelnyxClient(**options)
    if not key:
        fail("TELNYX_API_KEY is not set. Set it to your Telnyx API key, or run `telnyx-iot-mcp --sandbox` "
             "to try the server offline on a demo fleet.")
    return TelnyxClient(api_key=key, **options)


def build_server(settings: Settings, client, store=None, audit=None, events: list | None = None):
    """The MCP server the settings ask for, whatever the transport; confirmations are spent in `store`
    (default: the store the settings name), calls are recorded in `audit` (default: the settings' log).
    With `events` (a list), the server also serves the fleet's events; their service is appended to it."""
    from .app import create_server

    from .gate import gate_for

    from .journal import journal_for

    gate = gate_for(settings, client, store, audit)
    service = None
    if events is not None and (settings.sandbox or settings.api_key):
        from .event_methods import EventService
        from .watcher import open_watch_state

        key = None if settings.sandbox else settings.api_key.get_secret_value()
        service = EventService(client, open_watch_state(settings.state_url, settings.state_dir), api_key=key,
                               interval=settings.watch_interval, allow_private=settings.allow_private_webhooks,
                               caller=gate.account)
        events.append(service)
    return create_server(client, selected(settings), tools_mode=settings.tools_mode, gate=gate, events=service,
                         changes=journal_for(gate.tokens.store, settings.change_retention_days))


async def deliver_events(events: list, serving) -> None:
    """Run the event delivery beside `serving` (a coroutine function), stopping it when serving ends."""
    if not events:
        return await serving()
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(events[0].run)
            await serving()
            group.cancel_scope.cancel()
    finally:
        await events[0].aclose()


def open_state(settings: Settings):
    from .gate import store_for

    return store_for(settings)


def selected(settings: Settings):
    from .selection import SelectionError, select

    try:
        return select(settings)
    except SelectionError as error:
        fail(str(error))


async def call_tool(settings: Settings, name: str, arguments_json: str) -> int:
    from .audit import audit_for, caller, this_process
    from .commands import call_once, parse_arguments
    from .stopping import StopOnSignal

    try:
        arguments = parse_arguments(arguments_json)
    except ValueError as error:
        fail(str(error))
    selected(settings)  # unknown tool names stop the command before any connection
    store = open_state(settings)
    client = make_client(settings, store)
    audit = audit_for(settings, store)
    caller.set(this_process("terminal"))
    # A stop signal (SIGTERM, Ctrl+C) cancels the call, so a change in flight still gets its end line.
    stopper = StopOnSignal(audit, grace=STDIO_STOP_GRACE)
    code = 1
    try:
        async with anyio.create_task_group() as group:
            calling = anyio.CancelScope()
            group.start_soon(stopper.watch, calling.cancel)
            with calling:
                code = await call_once(build_server(settings, client, store, audit), name, arguments,
                                       interactive=sys.stdin.isatty())
            group.cancel_scope.cancel()
        return code
    finally:
        await client.aclose()
        await store.aclose()
        stopper.finish()


async def watch_fleet(settings: Settings, args: argparse.Namespace) -> int:
    from .watch_command import check, watch

    problem = check(args)
    if problem:
        fail(problem)
    client = make_client(settings)
    try:
        return await watch(settings, args, client)
    except ValueError as error:
        fail(str(error))
    finally:
        await client.aclose()


async def show_changes(settings: Settings, change_id: str | None, limit: int) -> int:
    """`telnyx-iot-mcp changes`: the journal's recent changes as a table, or one change as JSON."""
    from .audit import caller, this_process
    from .commands import changes_table, call_once

    store = open_state(settings)
    client = make_client(settings, store)
    caller.set(this_process("terminal"))
    try:
        server = build_server(settings, client, store)
        if change_id:
            return await call_once(server, "get_change", {"change_id": change_id}, interactive=False)
        return await changes_table(server, max(1, min(limit, 100)))
    finally:
        await client.aclose()
        await store.aclose()


def warm_in_background(settings: Settings, client) -> None:
    """What start-up leaves to the first call (httpx and stamina, the connection pool and its TLS context, the
    SDK's checks of a call), done in a thread while the server answers and the model reads the tool list, so
    the first call is as fast as the rest. Only what a call needs: the thread holds the GIL while it works, so
    anything more would delay a call that comes at once (jsonschema waits for the first bad arguments)."""
    import threading

    from .wire import warm as warm_calls

    def work() -> None:
        try:
            client.warm()
            warm_calls()
        except Exception:  # the first call does it then, and reports what fails
            logging.getLogger("telnyx_iot_mcp").debug("warm-up failed", exc_info=True)

    threading.Thread(target=work, name="warm-up", daemon=True).start()


def started() -> None:
    """Start-up is over (the console script paused the cyclic garbage collector, server/console.py): what it
    made lives as long as the process, so later collections skip it (gc.freeze), and collecting resumes."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


async def serve_stdio(settings: Settings) -> None:
    from .audit import audit_for, caller, this_process
    from .stdio import stdio_streams
    from .stopping import StopOnSignal

    store = open_state(settings)
    client = make_client(settings, store)
    audit = audit_for(settings, store)
    events: list = []
    server = build_server(settings, client, store, audit, events)
    warm_in_background(settings, client)
    started()
    caller.set(this_process("stdio"))  # one client: the process that started this one
    # A stop signal cancels the calls in flight at once (their client is going away); the reader of stdin
    # cannot be cancelled while it waits for a line, hence the short grace before exiting regardless.
    stopper = StopOnSignal(audit, grace=STDIO_STOP_GRACE)
    try:
        async with anyio.create_task_group() as group:
            serving = anyio.CancelScope()
            group.start_soon(stopper.watch, serving.cancel)
            with serving:
                async with stdio_streams() as (read, write):
                    await deliver_events(events, lambda: server.run(read, write, server.create_initialization_options()))
            group.cancel_scope.cancel()
    finally:
        await client.aclose()
        await store.aclose()
        stopper.finish()


async def serve_http(settings: Settings) -> None:
    from . import http
    from .audit import audit_for
    from .stopping import StopOnSignal

    try:
        token = http.access_token(settings)
    except http.HttpConfigError as error:
        fail(str(error))
    store = open_state(settings)
    client = make_client(settings, store)
    warm_in_background(settings, client)
    audit = audit_for(settings, store)
    stopper = StopOnSignal(audit, grace=http.SHUTDOWN_GRACE + STDIO_STOP_GRACE + 3)
    try:
        events: list = []
        app = http.create_http_app(build_server(settings, client, store, audit, events), settings, token=token,
                                   audit=audit)
        started()
        await deliver_events(events, lambda: http.serve(app, settings, stopper))
    finally:
        await client.aclose()
        await store.aclose()
        stopper.finish()


def serve_sandbox(args: argparse.Namespace, settings: Settings) -> None:
    from ..sandbox import serve

    key = settings.api_key.get_secret_value() if args.api_key_required and settings.api_key else None
    if args.api_key_required and not key:
        fail("--api-key-required needs TELNYX_API_KEY set to the key clients must send.")
    serve(host=args.host, port=args.port, state_path=args.state, api_key=key)


def main(argv: Sequence[str] | None = None) -> None:
    # httpx's own command-line client, which httpx imports when it can: with rich and pygments installed
    # (as they often are) that is tens of milliseconds of every first call, for a program this one never runs.
    sys.modules.setdefault("httpx._main", None)
    args = parse_args(argv)
    # stdout is the protocol channel in stdio mode: every log line goes to stderr, written by a thread of its own.
    if not logging.getLogger().handlers:  # else logging was set up by the program that embeds this one
        logging.basicConfig(level=args.log_level, handlers=[BackgroundStderr(sys.stderr)])
    secure_logging()
    settings = load_settings(args)
    if args.command:
        started()  # the MCP servers resume the collector themselves, once built
    if args.command == "sandbox":
        serve_sandbox(args, settings)
        return
    if args.command == "tools":
        from .commands import catalog_table, search_table

        entries = selected(settings)
        sys.stdout.write(search_table(entries, " ".join(args.search)) if args.search else catalog_table(entries))
        return
    if args.command == "call":
        raise SystemExit(anyio.run(call_tool, settings, args.tool, args.tool_args))
    if args.command == "changes":
        raise SystemExit(anyio.run(show_changes, settings, args.change_id, args.limit))
    if args.command == "watch":
        raise SystemExit(anyio.run(watch_fleet, settings, args))
    try:
        anyio.run(serve_http if settings.transport == "http" else serve_stdio, settings)
    except KeyboardInterrupt:
        pass
