"""`telnyx-iot-mcp watch`: the fleet's events on the terminal, for people and scripts with no MCP host.

stdout carries events only, one JSON object per line (id, type, time, sim_card_id, data), flushed per line;
everything else goes to stderr. It polls every --interval seconds until SIGTERM or Ctrl-C. The state (what
was seen, which events were delivered) lives in the state directory, so a restart neither repeats an event
nor takes a condition it already reported for new.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import signal
import subprocess
import sys
from typing import Any, TextIO

import anyio

from .events import DEFAULT_SILENT_HOURS, DEFAULT_THRESHOLD, EVENT_TYPES, THRESHOLD, USAGE_TYPES, Event, Subscription

log = logging.getLogger("telnyx_iot_mcp.watch")
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
EXEC_TIMEOUT = 60.0
CONSUMER = "terminal"


def add_parser(commands: Any, selection_flags: Any) -> None:
    watch = commands.add_parser(
        "watch", help="poll the fleet and print its events as JSON lines (thresholds, status changes, "
                      "finished actions, usage spikes, new networks, silent SIMs)",
        description="Poll the fleet and print each event once, as one JSON line on stdout.",
        epilog="examples:\n"
               "  telnyx-iot-mcp watch --sandbox --once\n"
               "  telnyx-iot-mcp watch --group Trackers --threshold 90 --event sim_card.data_threshold_crossed\n"
               "  telnyx-iot-mcp watch --interval 60 --exec 'notify-send \"$TELNYX_IOT_EVENT_TYPE\"'",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    watch.add_argument("--interval", type=float, default=300.0, metavar="SECONDS",
                       help="seconds between polls (default 300; at least 10)")
    watch.add_argument("--event", action="append", choices=sorted(EVENT_TYPES), metavar="TYPE",
                       help="an event type to report (repeatable; default all): " + ", ".join(sorted(EVENT_TYPES)))
    watch.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, metavar="PERCENT",
                       help=f"percent of a SIM's own data limit, and of a group's shared one (default "
                            f"{DEFAULT_THRESHOLD:g})")
    watch.add_argument("--forecast", action="store_true",
                       help="also tell when a SIM's daily use will reach its data limit before the billing period ends")
    watch.add_argument("--silent-hours", type=float, default=DEFAULT_SILENT_HOURS, metavar="HOURS",
                       help=f"hours without data after which an enabled SIM is silent (default {DEFAULT_SILENT_HOURS:g})")
    watch.add_argument("--group", metavar="ID_OR_NAME", help="only SIMs in this SIM card group, and the group itself")
    watch.add_argument("--tag", action="append", metavar="TAG",
                       help="only SIMs with this tag (repeatable: all of them); no group events")
    watch.add_argument("--sim", action="append", metavar="SIM_CARD_ID", help="only this SIM (repeatable); no group events")
    watch.add_argument("--exec", dest="exec_command", metavar="COMMAND",
                       help="run COMMAND (by the shell) for each event, the event's JSON on its stdin and "
                            "TELNYX_IOT_EVENT_ID, TELNYX_IOT_EVENT_TYPE, TELNYX_IOT_SIM_CARD_ID (empty for a group's "
                            "event) and TELNYX_IOT_SIM_CARD_GROUP_ID in its environment")
    watch.add_argument("--once", action="store_true", help="poll once, print what it found, and exit")
    selection_flags(watch, argparse.SUPPRESS)


def check(args: argparse.Namespace) -> str | None:
    """What is wrong with the watch flags, in words, or None."""
    if not 10 <= args.interval <= 86400:
        return f"--interval: {args.interval:g} is not between 10 and 86400 seconds"
    if not 1 <= args.threshold <= 100:
        return f"--threshold: {args.threshold:g} is not a percentage between 1 and 100"
    if not 1 <= args.silent_hours <= 720:
        return f"--silent-hours: {args.silent_hours:g} is not between 1 and 720"
    for sim in args.sim or ():
        if not UUID.match(sim):
            return f"--sim: {sim!r} is not a SIM card id (a UUID)"
    return None


async def resolve_group(client: Any, group: str | None) -> str | None:
    """A group id from an id or a name (names are matched without case); raises ValueError when none matches."""
    if not group or UUID.match(group):
        return group
    from ..tools.dashboard import read_pages

    groups, _ = await read_pages(client, "list_sim_card_groups", {}, 10_000)
    matches = [g["id"] for g in groups if str(g.get("name", "")).casefold() == group.casefold()]
    if len(matches) != 1:
        names = ", ".join(sorted(str(g.get("name")) for g in groups)[:20])
        raise ValueError(f"--group: {'no' if not matches else 'more than one'} SIM card group is named {group!r}"
                         + (f" (groups: {names})" if names else ""))
    return matches[0]


def emit(event: Event, out: TextIO, exec_command: str | None) -> None:
    line = json.dumps(event.as_json(), separators=(",", ":"), ensure_ascii=False)
    out.write(line + "\n")
    out.flush()
    if exec_command:
        env = {"TELNYX_IOT_EVENT_ID": event.id, "TELNYX_IOT_EVENT_TYPE": event.type,
               "TELNYX_IOT_SIM_CARD_ID": event.sim_card_id or "",
               "TELNYX_IOT_SIM_CARD_GROUP_ID": event.data.get("sim_card_group_id") or ""}
        try:
            import os

            done = subprocess.run(exec_command, shell=True, input=line.encode(), env={**os.environ, **env},
                                  stdout=sys.stderr, timeout=EXEC_TIMEOUT, check=False)
            if done.returncode:
                log.warning("--exec exited with status %s for event %s", done.returncode, event.id)
        except subprocess.TimeoutExpired:
            log.warning("--exec did not finish within %g s for event %s", EXEC_TIMEOUT, event.id)


async def watch(settings: Any, args: argparse.Namespace, client: Any, out: TextIO = sys.stdout) -> int:
    """Poll until a stop signal (or once, with --once). Each `watch` keeps its own state, named by the account
    and what it selects: two identical ones share it, and then one polls while the other waits."""
    from .watcher import Watcher, account_key, open_watch_state

    state = open_watch_state(settings.state_url, settings.state_dir)
    key = settings.api_key.get_secret_value() if settings.api_key and not settings.sandbox else None
    try:
        group = await resolve_group(client, args.group)
        wanted = Subscription(types=frozenset(args.event or ()), sim_card_group_id=group,
                              tags=frozenset(args.tag or ()), sim_card_ids=frozenset(args.sim or ()),
                              threshold=args.threshold, silent_hours=args.silent_hours, forecast=args.forecast)
        scope = json.dumps([sorted(wanted.types), group, sorted(wanted.tags), sorted(wanted.sim_card_ids),
                            wanted.threshold, wanted.silent_hours] + (["forecast"] if args.forecast else []))
        watcher = Watcher(client, state, account_key(key, scope), thresholds=(args.threshold,),
                          silent_hours=(args.silent_hours,), forecast=args.forecast,
                          groups=(not wanted.types or THRESHOLD in wanted.types) and not (wanted.tags or wanted.sim_card_ids),
                          usage=args.forecast or not wanted.types or bool(wanted.types & USAGE_TYPES))
        stop = anyio.Event()
        with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
            async def on_signal() -> None:
                async for _ in signals:
                    stop.set()
                    return

            async with anyio.create_task_group() as group_tasks:
                group_tasks.start_soon(on_signal)
                while not stop.is_set():
                    await _one_poll(watcher, wanted, out, args)
                    if args.once:
                        break
                    with anyio.move_on_after(args.interval):
                        await stop.wait()
                group_tasks.cancel_scope.cancel()
    finally:
        await state.aclose()
    return 0


async def _one_poll(watcher: Any, wanted: Subscription, out: TextIO, args: argparse.Namespace) -> None:
    from ..tools.errors import ToolError
    from .state import StoreUnavailable

    if not await watcher.lead(max(args.interval * 3, 60.0)):
        log.info("another watcher of this account polls now; waiting")
        return
    try:
        await watcher.poll()
    except ToolError as error:  # the next poll tries again; what was queued before is still delivered
        log.warning("poll failed: %s", error.message)
    except StoreUnavailable as error:
        log.warning("poll not recorded: %s", error)
        return
    while unread := await watcher.unread(CONSUMER):
        for _, event in unread:
            if wanted.wants(event, watcher.sims.get(event.sim_card_id or "")):
                emit(event, out, args.exec_command)
        await watcher.taken(CONSUMER, unread[-1][0])
