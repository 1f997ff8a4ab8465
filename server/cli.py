"""The `telnyx-iot-mcp` command: serve MCP over stdio (on Telnyx or the sandbox), or serve the sandbox API."""

from __future__ import annotations

import argparse
import gc
import logging
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import anyio
from pydantic import ValidationError

from .. import __version__
from ..tools.redact import secure_logging
from ..tools.registry.model import TOOLSETS
from .logs import BackgroundStderr
from .settings import Settings

SANDBOX_BASE_URL = "http://sandbox/v2"
STDIO_STOP_GRACE = 1.0  # seconds from a stop signal to exiting, when stdin holds the server up
ANSWER_SECONDS = 1.0  # after a stop signal, beyond a plan's finish window: time to answer before calls are cancelled


KEY_FLAGS = ("--api-key", "--api_key", "--key", "--telnyx-api-key", "--token")


def refuse_key_flags(argv: Sequence[str]) -> None:
    """The key would show in the process list and shell history: only the environment or a file may hold it.
    Checked before argparse, whose usage errors would echo the value."""
    for token in argv:
        name = token.split("=", 1)[0]
        if name in KEY_FLAGS:
            fail(f"{name} is not accepted: the API key is never taken from the command line. "
                 "Set TELNYX_API_KEY, or TELNYX_API_KEY_FILE to a file holding the key.")


EXAMPLES = """examples:
  telnyx-iot-mcp --sandbox                       serve MCP over stdio on an offline demo fleet (no key)
  telnyx-iot-mcp                                 serve MCP over stdio on Telnyx (TELNYX_API_KEY)
  telnyx-iot-mcp --transport http --port 0       serve Streamable HTTP; the address is printed on stderr
  telnyx-iot-mcp tools --search "pause billing"  which tool does what
  telnyx-iot-mcp call list_sim_cards --sandbox --args '{"page_size": 3}'
  telnyx-iot-mcp call get_sim_card --args @args.json
  telnyx-iot-mcp doctor                          check the key, the state store and Telnyx, changing nothing
  eval "$(telnyx-iot-mcp completion bash)"       tab completion (bash; zsh alike)

Every flag can also be set in the environment: the variable is named after it in brackets.
Docs: https://github.com/telnyx-iot-mcp/telnyx-iot-mcp/tree/main/docs
"""

KEY_ENV = {"api_key": "TELNYX_API_KEY", "base_url": "TELNYX_BASE_URL", "api_key_file": "TELNYX_API_KEY_FILE"}
FLAG_OF: dict[str, str] = {}  # settings field -> the flag that sets it
DEST_OF: dict[str, str] = {}  # settings field -> where its flag's value is in the parsed arguments


def env_name(field: str) -> str:
    """The environment variable of a settings field."""
    return KEY_ENV.get(field) or f"TELNYX_IOT_MCP_{field.upper()}"


class Parser(argparse.ArgumentParser):
    """argparse with did-you-mean for flags and subcommands, and examples under --help."""

    def error(self, message: str) -> None:  # type: ignore[override]
        from ..tools.suggest import did_you_mean

        unknown = re.match(r"unrecognized arguments: (.*)", message)
        if unknown:
            flags = [word.split("=", 1)[0] for word in unknown[1].split() if word.startswith("-")]
            message += did_you_mean(flags, ALL_FLAGS)
        choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if choice:
            message += did_you_mean([choice[1]], re.findall(r"'([^']*)'", choice[2]))
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


ALL_FLAGS: set[str] = set()


def flag(parser, *names: str, field: str | None = None, default: object = None, **options) -> None:
    """One flag; `field` is the setting it sets (its environment variable goes into the help)."""
    if field:
        options["help"] = f"{options.get('help', '')} [{env_name(field)}]".strip()
        options.setdefault("dest", field)
        FLAG_OF.setdefault(field, names[0])
        DEST_OF.setdefault(field, options["dest"])
    ALL_FLAGS.update(parser.add_argument(*names, default=default, **options).option_strings)


def add_global_flags(parser: argparse.ArgumentParser, default: object, *, http: bool = True) -> None:
    """The flags every command takes; on subcommands with default SUPPRESS, so they work on either side of the
    command (`telnyx-iot-mcp --sandbox call ...` and `telnyx-iot-mcp call ... --sandbox` alike)."""
    on = {"action": "store_true"}
    flag(parser, "--sandbox", field="sandbox", default=default, **on,
         help="serve an offline demo fleet instead of the real API (no key needed)")
    flag(parser, "--sandbox-state", field="sandbox_state", default=default, metavar="PATH",
         help="keep the sandbox fleet in this SQLite file between runs")
    flag(parser, "--read-only", field="read_only", default=default, **on,
         help="offer only tools that read; every write, destructive or billable tool is removed")
    flag(parser, "--toolsets", field="toolsets", default=default, metavar="NAME,...",
         help="offer only these toolsets (default all): " + ", ".join(TOOLSETS))
    flag(parser, "--tools", field="tools", default=default, metavar="NAME,...",
         help="offer these tools (alone, or on top of --toolsets)")
    flag(parser, "--exclude-tools", field="exclude_tools", default=default, metavar="NAME,...",
         help="never offer these tools")
    flag(parser, "--tools-mode", field="tools_mode", default=default, choices=["static", "dynamic"],
         help="static: one MCP tool per operation (default); dynamic: three tools that search, describe and "
              "call them")
    flag(parser, "--confirm", field="confirm", default=default, choices=["elicit-or-token", "elicit-only", "off"],
         help="before destructive or billable calls: ask the user (elicitation), else return a single-use "
              "confirmation token (default); elicit-only refuses when the client cannot ask; off asks nothing "
              "(only for automation that confirms elsewhere)")
    flag(parser, "--confirm-ttl", field="confirm_ttl", default=default, type=float, metavar="SECONDS",
         help="how long a confirmation token stays valid (default 300)")
    flag(parser, "--state-dir", field="state_dir", default=default, metavar="DIR",
         help="where spent confirmation tokens and the server's secret are kept (default "
              "$XDG_STATE_HOME/telnyx-iot-mcp, else ~/.local/state/telnyx-iot-mcp)")
    flag(parser, "--state-url", field="state_url", default=default, metavar="URL",
         help="memory (this process only), sqlite:///PATH, or redis://HOST:PORT/DB to share confirmations and "
              "one request budget between replicas (default: SQLite in --state-dir)")
    flag(parser, "--rate-limit", field="rate_limit", default=default, type=float, metavar="PER_SECOND",
         help="start at most this many requests to Telnyx per second (shared by replicas with --state-url "
              "redis://...)")
    flag(parser, "--audit-log", field="audit_log", default=default, metavar="PATH",
         help="append the audit log to this file: JSON lines for every change (before it is sent and how it "
              "ended) and every refusal")
    flag(parser, "--audit-reads", field="audit_reads", default=default, action=argparse.BooleanOptionalAction,
         help="also a line for every read (default on; --no-audit-reads keeps changes and refusals only)")
    flag(parser, "--log-level", default=default, choices=["DEBUG", "INFO", "WARNING", "ERROR"],
         help="log lines on stderr from this level up (default INFO when serving, WARNING for commands)")
    flag(parser, "-v", "--verbose", default=default, action="store_true",
         help="commands (call, tools, doctor): show the log on stderr too, the audit lines among it")
    if not http:
        return
    group = parser.add_argument_group("Streamable HTTP (the access token comes from TELNYX_IOT_MCP_HTTP_TOKEN "
                                      "or --http-token-file, never from the command line)")
    flag(group, "--transport", field="transport", default=default, choices=["stdio", "http"],
         help="default: stdio")
    flag(group, "--host", field="host", dest="http_host", default=default, metavar="HOST",
         help="address to bind (default 127.0.0.1)")
    flag(group, "--port", field="port", dest="http_port", default=default, type=int, metavar="PORT",
         help="port to bind (default 8000; 0 picks a free one)")
    flag(group, "--stateless", field="stateless", default=default, action="store_true",
         help="keep no sessions, for several replicas behind a load balancer")
    flag(group, "--http-token-file", field="http_token_file", default=default, metavar="PATH",
         help="file holding the bearer token MCP clients must send")
    flag(group, "--allowed-hosts", field="allowed_hosts", default=default, metavar="HOST[:PORT],...",
         help="Host header values to accept besides the bound address (e.g. the load balancer's name)")
    flag(group, "--allow-client-api-key", field="allow_client_api_key", default=default, action="store_true",
         help="let each request carry its own Telnyx key in the X-Telnyx-Api-Key header")
    flag(group, "--auth-issuer", field="auth_issuer", default=default, metavar="URL",
         help="sign people in: accept only access tokens of this OAuth issuer (needs --resource-url)")
    flag(group, "--resource-url", field="resource_url", default=default, metavar="URL",
         help="this server's MCP URL as clients reach it (e.g. https://iot.example.com/mcp): the audience tokens "
              "must be issued for")
    flag(group, "--metrics", field="metrics", default=default, action="store_true",
         help="serve Prometheus metrics at /metrics (keep the path private)")
    events = parser.add_argument_group("Fleet events (MCP Events: events/poll and webhooks)")
    flag(events, "--watch-interval", field="watch_interval", default=default, type=float, metavar="SECONDS",
         help="seconds between polls of the fleet for events (default 300)")
    flag(events, "--allow-private-webhooks", field="allow_private_webhooks", default=default, action="store_true",
         help="accept webhook URLs on private or loopback addresses (tests, on-premises receivers)")


def build_parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = Parser(prog="telnyx-iot-mcp", allow_abbrev=False, formatter_class=formatter, epilog=EXAMPLES,
                    description="MCP server for the Telnyx IoT API. Reads TELNYX_API_KEY from the environment "
                                "(or a file named by TELNYX_API_KEY_FILE).")
    parser.add_argument("--version", action="version", version=f"telnyx-iot-mcp {__version__}")
    add_global_flags(parser, None)
    commands = parser.add_subparsers(dest="command", parser_class=Parser, metavar="COMMAND")

    def command(name: str, help: str, examples: str, *, http: bool = True) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help, allow_abbrev=False, formatter_class=formatter,
                                  epilog="examples:\n" + examples)
        add_global_flags(sub, argparse.SUPPRESS, http=http)
        return sub

    tools = command("tools", "print the tool catalog (name, class, toolset, title)",
                    "  telnyx-iot-mcp tools --read-only\n  telnyx-iot-mcp tools --search lst sim crads\n")
    tools.add_argument("--search", nargs="+", metavar="WORDS",
                       help="rank the tools for a request in plain words (typos forgiven), as dynamic mode's "
                            "search_operations does")
    call = command("call", "run one tool through the MCP server and print its result as JSON; calls that need "
                           "confirmation ask on the terminal",
                   "  telnyx-iot-mcp call list_sim_cards --sandbox --args '{\"page_size\": 3}'\n"
                   "  telnyx-iot-mcp call get_sim_card --args @sim.json\n"
                   "  echo '{\"sim_card_id\": \"...\"}' | telnyx-iot-mcp call get_sim_card --args -\n")
    call.add_argument("tool", help="tool name, as listed by `telnyx-iot-mcp tools`")
    call.add_argument("--args", dest="tool_args", metavar="JSON|@FILE|-", default="{}",
                      help="the arguments: a JSON object, @FILE to read it from a file, or - to read it from stdin")
    command("doctor", "check the API key, the state store and the connection to Telnyx, changing nothing",
            "  telnyx-iot-mcp doctor\n  telnyx-iot-mcp doctor --state-url redis://localhost:6379/0\n")
    completion = command("completion", "print a shell completion script",
                         "  eval \"$(telnyx-iot-mcp completion bash)\"   # in ~/.bashrc\n"
                         "  eval \"$(telnyx-iot-mcp completion zsh)\"    # in ~/.zshrc\n")
    completion.add_argument("shell", choices=["bash", "zsh"])
    sandbox = command("sandbox", "serve the sandbox's Telnyx-compatible HTTP API on 127.0.0.1",
                      "  telnyx-iot-mcp sandbox --port 4010\n"
                      "  TELNYX_BASE_URL=http://127.0.0.1:4010/v2 TELNYX_API_KEY=any telnyx-iot-mcp\n", http=False)
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=4010)
    sandbox.add_argument("--state", metavar="PATH", default=None, help="SQLite file to keep the fleet in")
    sandbox.add_argument("--api-key-required", action="store_true",
                         help="answer 401 unless requests carry TELNYX_API_KEY as a bearer token")
    changes = command("changes", "list the recent changes in the change journal, or show one (the state "
                                 "before, what was sent, each outcome)",
                      "  telnyx-iot-mcp changes\n  telnyx-iot-mcp changes chg_0123456789abcdef\n")
    changes.add_argument("change_id", nargs="?", default=None, help="a change_id to show whole, as JSON")
    changes.add_argument("--limit", type=int, default=20, help="how many recent changes to list (1-100)")
    from .watch_command import add_parser as add_watch_parser

    add_watch_parser(commands, lambda sub, default: add_global_flags(sub, default, http=False))
    for sub in [parser, *commands.choices.values()]:  # every flag any command has, for did-you-mean
        ALL_FLAGS.update(name for action in sub._actions for name in action.option_strings)
    return parser


SETTINGS_PAGE = Path(__file__).resolve().parents[1] / "docs" / "settings.md"
SETTINGS_START, SETTINGS_END = "<!-- settings-table:start -->", "<!-- settings-table:end -->"


def settings_table() -> str:
    """Every setting: its variable, its flag, its default and what it does (docs/settings.md)."""
    build_parser()  # fills FLAG_OF

    def default(value: object) -> str:
        if value is None or value == []:
            return "none"
        return f"`{str(value).lower() if isinstance(value, bool) else value}`"

    rows = ["| Variable | Flag | Default | What it does |", "|---|---|---|---|"]
    for field, info in Settings.model_fields.items():
        flag_name = f"`{FLAG_OF[field]}`" if field in FLAG_OF else ""
        if info.annotation is bool and field in FLAG_OF and info.default is True:  # on by default: its off switch
            flag_name += f", `--no-{FLAG_OF[field][2:]}`"
        rows.append(f"| `{env_name(field)}` | {flag_name} | {default(info.default)} | {info.description} |")
    return "\n".join(rows)


def page_with_settings(page: str) -> str:
    head, rest = page.split(SETTINGS_START, 1)
    return f"{head}{SETTINGS_START}\n{settings_table()}\n{SETTINGS_END}{rest.split(SETTINGS_END, 1)[1]}"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    argv = sys.argv[1:] if argv is None else list(argv)
    refuse_key_flags(argv)
    parser = build_parser()
    # A mistyped flag is named before argparse reads its value as a command ("--confirm-tl 3": invalid choice 3).
    for token in argv:
        if token == "--":
            break
        name = token.split("=", 1)[0]
        if re.fullmatch(r"--[a-z][a-z-]*", name) and name not in ALL_FLAGS:
            parser.error(f"unrecognized arguments: {name}")
    return parser.parse_args(argv)


PLAIN_ERRORS = {  # pydantic's error types, in words
    "greater_than_equal": "must be at least {ge}", "greater_than": "must be more than {gt}",
    "less_than_equal": "must be at most {le}", "less_than": "must be less than {lt}",
    "float_parsing": "must be a number", "int_parsing": "must be a whole number",
    "float_type": "must be a number", "int_type": "must be a whole number",
    "bool_parsing": "must be true or false (1/0, yes/no)", "literal_error": "must be one of {expected}",
    "string_too_short": "must be at least {min_length} characters long",
    "too_short": "must be at least {min_length} characters long",
}


def settings_problem(error: ValidationError, given: dict[str, object]) -> str:
    """What is wrong, naming what the user set: the flag when given on the command line, else the variable."""
    problems = []
    for e in error.errors():
        field = str(e["loc"][0]) if e["loc"] else ""
        where = FLAG_OF.get(field, field) if field in given else env_name(field) if field else ""
        template = PLAIN_ERRORS.get(e["type"])
        try:
            what = template.format(**e.get("ctx", {})) if template else e["msg"]
        except (KeyError, IndexError):
            what = e["msg"]
        what = what.removeprefix("Value error, ")
        problems.append(what if not where else f"{where} {what}" if what.startswith("must") else f"{where}: {what}")
    return "; ".join(problems)


def load_settings(args: argparse.Namespace) -> Settings:
    flags = {field: getattr(args, dest) for field, dest in DEST_OF.items() if getattr(args, dest, None) is not None}
    if flags.get("sandbox_state"):
        flags["sandbox"] = True
    try:
        return Settings(**flags)
    except ValidationError as error:
        fail("invalid settings: " + settings_problem(error, flags))


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
        logging.getLogger("telnyx_iot_mcp").info("%s", summary(app))
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
                               caller=gate.caller, audit=gate.audit)
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


async def check_state(settings: Settings, store) -> None:
    from .gate import check_store

    await check_store(store, settings)


def selected(settings: Settings):
    from .selection import SelectionError, select

    try:
        return select(settings)
    except SelectionError as error:
        fail(str(error))


async def call_tool(settings: Settings, name: str, arguments_text: str) -> int:
    from .audit import audit_for, caller, this_process
    from .commands import call_once, parse_arguments, read_arguments
    from .plans import FINISH_SECONDS
    from .stopping import StopOnSignal

    try:
        arguments = parse_arguments(read_arguments(arguments_text, sys.stdin))
    except ValueError as error:
        fail(str(error))
    selected(settings)  # unknown tool names stop the command before any connection
    store = open_state(settings)
    client = make_client(settings, store)
    audit = audit_for(settings, store)
    caller.set(this_process("terminal"))
    # A stop signal (SIGTERM, Ctrl+C) gives the call a moment to answer (a plan answers with every SIM's outcome
    # so far), then cancels it, so a change in flight still gets its end line.
    stopper = StopOnSignal(audit, grace=STDIO_STOP_GRACE + FINISH_SECONDS + ANSWER_SECONDS)
    code = 1
    events: list = []  # the event subscriptions of this account, to list or remove; nothing is delivered
    try:
        async with anyio.create_task_group() as group:
            calling = anyio.CancelScope()
            group.start_soon(stopper.watch, lambda: group.start_soon(stop_after_answers, anyio.Event().wait, calling))
            with calling:
                code = await call_once(build_server(settings, client, store, audit, events), name, arguments,
                                       interactive=sys.stdin.isatty())
            group.cancel_scope.cancel()
        return code
    finally:
        for service in events:
            await service.aclose()
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


async def stop_after_answers(answered, serving: anyio.CancelScope) -> None:
    """After a stop signal: cancel `serving` once the calls in flight have answered, or could not in time."""
    from .plans import FINISH_SECONDS

    with anyio.move_on_after(FINISH_SECONDS + ANSWER_SECONDS):
        await answered()
    serving.cancel()


async def serve_stdio(settings: Settings) -> None:
    from .audit import audit_for, caller, this_process
    from .plans import FINISH_SECONDS
    from .stdio import OpenRequests, stdio_streams
    from .stopping import StopOnSignal

    store = open_state(settings)
    await check_state(settings, store)
    client = make_client(settings, store)
    audit = audit_for(settings, store)
    events: list = []
    server = build_server(settings, client, store, audit, events)
    warm_in_background(settings, client)
    started()
    caller.set(this_process("stdio"))  # one client: the process that started this one
    # A stop signal gives the calls in flight a moment to answer (a plan ends its requests in flight and answers
    # with every SIM's outcome so far), then cancels what is left; the reader of stdin cannot be cancelled while
    # it waits for a line over the SDK's transport, hence the grace before exiting regardless.
    stopper = StopOnSignal(audit, grace=STDIO_STOP_GRACE + FINISH_SECONDS + ANSWER_SECONDS)
    requests = OpenRequests()
    try:
        async with anyio.create_task_group() as group:
            serving = anyio.CancelScope()
            group.start_soon(stopper.watch, lambda: group.start_soon(stop_after_answers, requests.answered, serving))
            with serving:
                async with stdio_streams(requests) as (read, write):
                    await deliver_events(events, lambda: server.run(read, write, server.create_initialization_options()))
            group.cancel_scope.cancel()
    finally:
        await client.aclose()
        await store.aclose()
        stopper.finish()


async def serve_http(settings: Settings) -> None:
    from . import http
    from .audit import audit_for
    from .sessions import hide_session_ids
    from .stopping import StopOnSignal
    from . import team

    hide_session_ids()
    try:
        token = None if team.prepare(settings) else http.access_token(settings)
    except (http.HttpConfigError, team.TeamConfigError) as error:
        fail(str(error))
    try:
        sock = http.bind(settings)
    except OSError as error:
        fail(f"cannot listen on {settings.host}:{settings.port} ({error.strerror}); choose another --port "
             "(0 picks a free one) or --host")
    settings = settings.model_copy(update={"port": sock.getsockname()[1]})  # --port 0: the port it got
    store = open_state(settings)
    await check_state(settings, store)
    client = make_client(settings, store)
    warm_in_background(settings, client)
    audit = audit_for(settings, store)
    stopper = StopOnSignal(audit, grace=http.SHUTDOWN_GRACE + STDIO_STOP_GRACE + 3)
    try:
        events: list = []
        server = build_server(settings, client, store, audit, events)
        app = http.create_http_app(server, settings, token=token, audit=audit, routes=team.routes(settings, store, client),
                                   guard=team.guard(server, settings, audit, store))
        started()
        await deliver_events(events, lambda: http.serve(app, settings, stopper, sock))
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


COMMANDS = ("tools", "call", "changes", "doctor", "completion")  # run once and print: the log only when asked


def log_level(args: argparse.Namespace) -> str:
    if args.log_level:
        return args.log_level
    return "WARNING" if args.command in COMMANDS and not args.verbose else "INFO"


def main(argv: Sequence[str] | None = None) -> None:
    # httpx's own command-line client, which httpx imports when it can: with rich and pygments installed
    # (as they often are) that is tens of milliseconds of every first call, for a program this one never runs.
    sys.modules.setdefault("httpx._main", None)
    args = parse_args(argv)
    # stdout is the protocol channel in stdio mode: every log line goes to stderr, written by a thread of its own.
    if not logging.getLogger().handlers:  # else logging was set up by the program that embeds this one
        logging.basicConfig(level=log_level(args), handlers=[BackgroundStderr(sys.stderr)])
    secure_logging()
    if args.command == "completion":
        from .completion import script

        sys.stdout.write(script(args.shell, build_parser()))
        return
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
    if args.command == "doctor":
        from .doctor import doctor

        raise SystemExit(anyio.run(doctor, settings))
    if args.command == "watch":
        raise SystemExit(anyio.run(watch_fleet, settings, args))
    try:
        anyio.run(serve_http if settings.transport == "http" else serve_stdio, settings)
    except KeyboardInterrupt:
        pass
