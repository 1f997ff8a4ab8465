"""Mobile voice connections: voice (IMS) for SIM cards, with webhooks and channel limits."""

from functools import partial

from typing import Any
from urllib.parse import urlsplit

from ..words import clean, quoted
from . import shapes
from .model import (
    Compensation, irreversible, restores,
    Effect, Operation, Read, StateUnknown, array, body, boolean, enum, integer, nullable, obj, pages, path_id, query,
    string,
)

op = partial(Operation, toolset="mobile_voice_connections")

CONNECTION_ID = path_id("connection_id", is_uuid=False)
URL = string(max_length=2048, format="uri")
INBOUND = obj({"channel_limit": (integer(0), "")})
OUTBOUND = obj({"channel_limit": (integer(0), ""), "outbound_voice_profile_id": (string(max_length=64), "")})


def settings(*, create: bool) -> tuple:
    return (
        body("connection_name", string(max_length=255)),
        body("active", boolean()),
        body("tags", array(string(max_length=128), max_items=100)),
        body("inbound", INBOUND),
        body("outbound", OUTBOUND),
        body("webhook_event_url", nullable(URL), '"" removes it.' if not create else ""),
        body("webhook_event_failover_url", nullable(URL), '"" removes it.' if not create else ""),
        body("webhook_api_version", enum("1", "2")),
        body("webhook_timeout_secs", nullable(integer(0, 30)) if create else integer(0, 30)),
    )


WEBHOOKS = ("webhook_event_url", "webhook_event_failover_url")


async def _connection(arguments: dict[str, Any], read: Read) -> dict[str, Any]:
    found = await read("get_mobile_voice_connection", {"connection_id": arguments["connection_id"]})
    if not isinstance(found, dict):
        raise StateUnknown("the voice connection")
    return found


def _name(found: dict[str, Any], arguments: dict[str, Any]) -> str:
    return quoted(found.get("connection_name") or arguments["connection_id"])


async def _stops_calls(arguments: dict[str, Any], read: Read) -> str | None:
    zeroed = [side for side in ("inbound", "outbound") if (arguments.get(side) or {}).get("channel_limit") == 0]
    if arguments.get("active") is not False and not zeroed:
        return None
    found = await _connection(arguments, read)
    stopped = []
    if arguments.get("active") is False:
        if found.get("active") not in (True, False):
            raise StateUnknown("whether the connection is active")
        if found["active"]:
            stopped.append("sets it inactive; calls through it stop")
    for side in zeroed:  # a limit that is not 0 now (or cannot be read) is one that lets calls through
        now = found.get(side)
        if not (isinstance(now, dict) and now.get("channel_limit") == 0):
            stopped.append(f"sets its {side} channel limit to 0; no {side} call gets through")
    if not stopped:
        return None
    return f"Voice connection {_name(found, arguments)}: {'; '.join(stopped)}."


def _host(url: Any) -> str:
    return quoted(urlsplit(url).hostname or url) if url else "nowhere"


async def _moves_webhooks(arguments: dict[str, Any], read: Read) -> str | None:
    found = await _connection(arguments, read)
    moved = [k for k in WEBHOOKS if k in arguments and arguments[k] != found.get(k)]
    changes = [f"{clean(k.removeprefix('webhook_').replace('_', ' '))} from {_host(found.get(k))} to "
               f"{_host(arguments[k])}" for k in moved]
    version = arguments.get("webhook_api_version")
    if version is not None and version != found.get("webhook_api_version"):
        # a receiver reads one version's event format: another one breaks its call handling
        changes.append(f"API version from {quoted(found.get('webhook_api_version') or 'unknown', 8)} to "
                       f"{quoted(version, 8)}")
    if not changes:
        return None
    return (f"Changes voice connection {_name(found, arguments)}'s call events ({'; '.join(changes)}); "
            "the receiver that handles them now stops getting events it can read.")


STOPS_CALLS = Effect(kind="destructive", arguments=("active", "inbound", "outbound"), test=_stops_calls,
                     when="active=false or a channel limit of 0 stops its calls")
MOVES_WEBHOOKS = Effect(kind="destructive", arguments=(*WEBHOOKS, "webhook_api_version"), test=_moves_webhooks,
                        when="its webhooks would point elsewhere or change API version")

OPERATIONS = [
    op(
        name="list_mobile_voice_connections", title="List mobile voice connections", method="GET",
        path="/mobile_voice_connections",
        description="Mobile voice connections with webhooks and channel limits.",
        search_words=("voice connections", "calling setup", "sip", "voice webhooks"),
        kind="read", reason="Reads only.",
        params=(
            query("filter[connection_name][contains]", string(max_length=255)),
            query("sort", string(max_length=64, pattern="^-?[a-z_]+$"), "e.g. \"-created_at\""),
            *pages(),
        ),
        returns=shapes.MOBILE_VOICE_CONNECTION, returns_list=True, paginated=True,
    ),
    op(
        name="create_mobile_voice_connection", title="Create a mobile voice connection", method="POST",
        compensation=Compensation(deletes="delete_mobile_voice_connection"),
        path="/mobile_voice_connections",
        description="Create a voice connection for SIM calls (webhooks, channel limits).",
        search_words=("new voice connection", "set up calling", "voice webhook url", "enable sim calls"),
        kind="write", reason="Creates configuration; calls made through it are billed, not the connection.",
        params=settings(create=True), returns=shapes.MOBILE_VOICE_CONNECTION,
    ),
    op(
        name="get_mobile_voice_connection", title="Get a mobile voice connection", method="GET",
        path="/mobile_voice_connections/{connection_id}",
        description="One mobile voice connection and its settings.",
        search_words=("voice connection details", "voice settings", "one voice connection"),
        kind="read", reason="Reads only.", params=(CONNECTION_ID,), returns=shapes.MOBILE_VOICE_CONNECTION,
    ),
    op(
        name="update_mobile_voice_connection", title="Update a mobile voice connection", method="PATCH",
        compensation=restores("get_mobile_voice_connection", "connection_id", {name: name for name in ("connection_name", "active", "tags", "inbound", "outbound", "webhook_event_url", "webhook_event_failover_url", "webhook_api_version", "webhook_timeout_secs")}, "update_mobile_voice_connection"),
        path="/mobile_voice_connections/{connection_id}",
        description="Change a voice connection's settings.",
        search_words=(
            "change webhook", "channel limit", "deactivate voice connection", "rename voice connection",
            "inbound outbound limits",
        ),
        kind="write", reason="A name, tags, timeouts or channel limits above 0 stop no call. The effect rules ask when "
                             "calls would stop (active=false, a channel limit of 0) or call events would go to "
                             "another receiver or in another API version, which a receiver may not read.",
        effects=(STOPS_CALLS, MOVES_WEBHOOKS),
        params=(CONNECTION_ID, *settings(create=False)), returns=shapes.MOBILE_VOICE_CONNECTION,
    ),
    op(
        name="delete_mobile_voice_connection", title="Delete a mobile voice connection", method="DELETE",
        compensation=irreversible("A deleted voice connection cannot be restored."),
        path="/mobile_voice_connections/{connection_id}",
        description="Delete a voice connection; its calls stop.",
        search_words=("remove voice connection", "get rid of voice connection"),
        kind="destructive", reason="Ends voice service through the connection; irreversible.",
        params=(CONNECTION_ID,), returns=shapes.MOBILE_VOICE_CONNECTION,
    ),
]
