"""MCP Events (the draft extension of the Triggers & Events working group): the fleet's events for MCP clients.

`events/list` names the event types with their subscription and payload schemas; `events/poll` answers with
the events after a client's cursor; `events/subscribe` registers a webhook (a public https URL and a `whsec_`
secret of the client's) that receives each event signed per Standard Webhooks, after the endpoint echoed a
verification challenge; `events/unsubscribe` removes it. Subscriptions are bound to the caller (the Telnyx
account, and the signed-in person where there is one): nobody else can list, refresh or remove them.

One `EventService` per server: its loop polls the fleet every interval while webhook subscriptions exist,
once for all of them, and a poll request polls at most once per interval (replicas share one poller).
The draft is implemented directly on the SDK's public `add_request_handler`: the third-party
`mcp-webhook-events` package targets the decorator server and an older draft, and the methods are small.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import anyio
import jsonschema
from mcp import types
from mcp.server import Server, ServerRequestContext
from mcp.shared.exceptions import MCPError

from ..tools.errors import ToolError
from ..tools.redact import request_api_key
from .events import DEFAULT_SILENT_HOURS, DEFAULT_THRESHOLD, EVENT_TYPES, THRESHOLD, USAGE_TYPES, Event, Subscription
from .state import StoreUnavailable
from .watcher import WatchState, Watcher, account_key
from .webhooks import WebhookRefused, backoff, check_secret, http_client, post, resolve, verify_endpoint

EXTENSION_ID = "io.modelcontextprotocol/events"
INVALID_PARAMS, NOT_FOUND, FORBIDDEN, EXHAUSTED, UNSUPPORTED, CALLBACK_ERROR = -32602, -32011, -32012, -32013, -32014, -32015
DEFAULT_TTL_MS = 24 * 3600 * 1000
MAX_TTL_MS = 7 * 24 * 3600 * 1000
MIN_TTL_MS = 60 * 1000
MAX_SUBSCRIPTIONS_PER_CALLER = 100
MAX_FAILURES = 8  # deliveries of one event in a row that fail before the subscription's delivery stops
MAX_EVENTS = 100
log = logging.getLogger("telnyx_iot_mcp.events")


class EventParams(types.RequestParams):
    model_config = {"extra": "allow", "populate_by_name": True}


def _error(code: int, message: str, **data: Any) -> MCPError:
    return MCPError(code, message, data or None)


def _subscription(name: Any, arguments: Any) -> Subscription:
    """A subscription's filters, after checking them against the type's schema; raises InvalidParams."""
    if name not in EVENT_TYPES:
        raise _error(NOT_FOUND, f"no event type {name!r}; events/list names them", kind="event")
    arguments = arguments or {}
    try:
        jsonschema.validate(arguments, EVENT_TYPES[name].subscription, format_checker=jsonschema.FormatChecker())
    except jsonschema.ValidationError as error:
        where = ".".join(map(str, error.absolute_path)) or "arguments"
        raise _error(INVALID_PARAMS, f"arguments.{where}: {error.message}" if error.absolute_path
                     else f"arguments: {error.message}") from None
    return Subscription(types=frozenset({name}), sim_card_group_id=arguments.get("sim_card_group_id"),
                        tags=frozenset(arguments.get("tags") or ()), sim_card_ids=frozenset(arguments.get("sim_card_ids") or ()),
                        threshold=float(arguments.get("threshold", DEFAULT_THRESHOLD)),
                        silent_hours=float(arguments.get("hours", DEFAULT_SILENT_HOURS)),
                        forecast=bool(arguments.get("forecast", False)))


def occurrence(event: Event, cursor: int | None = None) -> dict[str, Any]:
    body = {"eventId": event.id, "name": event.type, "timestamp": event.time, "data": event.data}
    if cursor is not None:
        body["cursor"] = str(cursor)
    return body


def _cursor(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise _error(INVALID_PARAMS, "cursor: not a cursor this server gave out (null starts from now)")


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


class EventService:
    """The deployment's watcher, its webhook subscriptions and their delivery."""

    def __init__(self, client: Any, state: WatchState, *, api_key: str | None, interval: float,
                 allow_private: bool, caller: Callable[[], Awaitable[str]], clock=None, audit=None) -> None:
        import time

        self.client = client
        self.state = state
        self.account = account_key(api_key)
        self.interval = interval
        self.allow_private = allow_private
        self.caller = caller  # the principal of the current request: account fingerprint (and person)
        self.audit = audit  # where a subscription whose delivery stopped is recorded (server/audit.py)
        self.clock = clock or time.time
        self.watcher = Watcher(client, state, self.account, thresholds=(DEFAULT_THRESHOLD,),
                               silent_hours=(DEFAULT_SILENT_HOURS,), clock=self.clock)
        self._polling = anyio.Lock()
        self._polled_thresholds: set[float] = set()  # what clients of events/poll asked for, in this process
        self._polled_hours: set[float] = set()
        self._polled_usage = False  # a client of events/poll asked for a type read from detail records
        self._polled_forecast = False  # or for forecasts
        self._http = None
        self.polls = 0  # upstream polls this process made (for the cost check)

    # -- polling ---------------------------------------------------------------------------

    async def _tune(self, subscriptions: list[dict[str, Any]] | None = None) -> None:
        subs = subscriptions if subscriptions is not None else list((await self.state.subscriptions()).values())
        thresholds = {DEFAULT_THRESHOLD} | self._polled_thresholds | {float(s["arguments"].get("threshold", DEFAULT_THRESHOLD))
                                            for s in subs if s["name"] == "sim_card.data_threshold_crossed"}
        hours = {DEFAULT_SILENT_HOURS} | self._polled_hours | {float(s["arguments"].get("hours", DEFAULT_SILENT_HOURS))
                                         for s in subs if s["name"] == "sim_card.silent"}
        self.watcher.thresholds, self.watcher.silent_hours = tuple(sorted(thresholds)), tuple(sorted(hours))
        self.watcher.groups = bool(self._polled_thresholds) or any(s["name"] == THRESHOLD for s in subs)
        self.watcher.forecast = self._polled_forecast or any(s["arguments"].get("forecast") for s in subs
                                                             if s["name"] == "sim_card.data_threshold_crossed")
        self.watcher.usage = self.watcher.forecast or self._polled_usage or any(s["name"] in USAGE_TYPES for s in subs)

    async def fresh(self) -> None:
        """Poll the fleet unless a poll (by any replica) is less than an interval old."""
        async with self._polling:
            saved = await self.state.load(self.account, sims=False)
            if self.clock() - float(saved.get("polled_at") or 0) < self.interval:
                return
            if not await self.watcher.lead(max(self.interval * 3, 60.0)):
                return
            await self._tune()
            self.polls += 1
            await self.watcher.poll()

    def _own_account(self) -> None:
        """The events are the server's own account's: a request sent with another account's Telnyx key (a
        per-request key over HTTP) may neither poll nor subscribe to them."""
        key = request_api_key.get()
        if key and account_key(key) != self.account:
            raise _error(FORBIDDEN, "this server watches the fleet of its own Telnyx account; a request with another "
                         "account's X-Telnyx-Api-Key gets none of its events", reason="another_account")

    # -- the methods ---------------------------------------------------------------------------

    async def list_events(self, ctx: ServerRequestContext, params: EventParams) -> dict[str, Any]:
        return {"events": [{"name": t.name, "description": t.description, "delivery": ["poll", "webhook"],
                            "inputSchema": t.subscription, "payloadSchema": t.payload}
                           for t in EVENT_TYPES.values()]}

    async def poll(self, ctx: ServerRequestContext, params: EventParams) -> dict[str, Any]:
        self._own_account()
        given = params.model_extra or {}
        wanted = _subscription(given.get("name"), given.get("arguments"))
        if given.get("name") == "sim_card.data_threshold_crossed" and len(self._polled_thresholds) < 20:
            self._polled_thresholds.add(wanted.threshold)
        self._polled_usage = self._polled_usage or given.get("name") in USAGE_TYPES
        self._polled_forecast = self._polled_forecast or wanted.forecast
        if given.get("name") == "sim_card.silent" and len(self._polled_hours) < 20:
            self._polled_hours.add(wanted.silent_hours)
        after = _cursor(given.get("cursor"))
        limit = given.get("maxEvents") or MAX_EVENTS
        if not isinstance(limit, int) or not 1 <= limit <= 1000:
            raise _error(INVALID_PARAMS, "maxEvents: must be an integer from 1 to 1000")
        try:
            await self.fresh()
            if after is None:  # start from now
                return {"events": [], "cursor": str(await self.state.head(self.account)), "truncated": False,
                        "hasMore": False, "nextPollMs": int(self.interval * 1000)}
            rows = await self.state.read(self.account, after, 1000)
        except (ToolError, StoreUnavailable) as error:
            raise _error(-32603, f"events cannot be read now ({getattr(error, 'message', error)}); poll again later")
        chosen, last, more = [], after, False
        for seq, event in rows:
            if wanted.wants(event, self.watcher.sims.get(event.sim_card_id or "")):
                if len(chosen) == limit:
                    more = True
                    break
                chosen.append(occurrence(event))
            last = seq
        return {"events": chosen, "cursor": str(last), "truncated": False, "hasMore": more or len(rows) == 1000,
                "nextPollMs": int(self.interval * 1000)}

    def _key(self, principal: str, url: str, name: str, arguments: dict[str, Any]) -> str:
        canonical = json.dumps([principal, url, name, arguments], sort_keys=True, separators=(",", ":"))
        return "sub_" + hashlib.sha256(canonical.encode()).hexdigest()[:24]

    async def subscribe(self, ctx: ServerRequestContext, params: EventParams) -> dict[str, Any]:
        self._own_account()
        given = params.model_extra or {}
        name, arguments = given.get("name"), given.get("arguments") or {}
        _subscription(name, arguments)
        delivery = given.get("delivery") or {}
        if delivery.get("mode", "webhook") != "webhook":
            raise _error(UNSUPPORTED, f"delivery.mode {delivery.get('mode')!r}: this server delivers by webhook "
                         "(events/subscribe) or answers events/poll", feature="deliveryMode", value=delivery.get("mode"))
        principal = await self.caller()
        try:
            secret = check_secret(delivery.get("secret"))
            target = await resolve(delivery.get("url"), allow_private=self.allow_private)
        except WebhookRefused as why:
            raise _error(INVALID_PARAMS if why.reason == "invalid" else CALLBACK_ERROR, str(why), reason=why.reason) from None
        sub_id = self._key(principal, target.url, name, arguments)
        subs = await self.state.subscriptions()
        existing = subs.get(sub_id)
        if existing is None and sum(1 for s in subs.values() if s["principal"] == principal) >= MAX_SUBSCRIPTIONS_PER_CALLER:
            raise _error(EXHAUSTED, f"at most {MAX_SUBSCRIPTIONS_PER_CALLER} subscriptions per caller",
                         limit="subscriptions", max=MAX_SUBSCRIPTIONS_PER_CALLER)
        if existing is None or existing["secret"] != secret or not existing.get("active", True):
            try:
                await verify_endpoint(self._client(), target, secret, sub_id)
            except WebhookRefused as why:
                raise _error(CALLBACK_ERROR, str(why), reason=why.reason) from None
        ttl = given.get("ttlMs", DEFAULT_TTL_MS)
        ttl = MAX_TTL_MS if ttl is None else max(MIN_TTL_MS, min(int(ttl), MAX_TTL_MS))
        now = self.clock()
        head = await self.state.head(self.account)
        cursor = _cursor(given.get("cursor"))
        record = {
            "principal": principal, "name": name, "arguments": arguments, "url": target.url, "secret": secret,
            "expires": now + ttl / 1000, "active": True, "failures": 0, "retry_at": 0.0,
            "cursor": existing["cursor"] if existing else (min(cursor, head) if cursor is not None else head),
            "last_delivery": existing.get("last_delivery") if existing else None,
            "last_error": existing.get("last_error") if existing else None,
        }
        await self.state.put_subscription(sub_id, record)
        answer = {"id": sub_id, "refreshBefore": _iso(record["expires"]), "cursor": str(record["cursor"]),
                  "truncated": False}
        if existing:
            answer["deliveryStatus"] = {"active": True, "lastDeliveryAt": existing.get("last_delivery"),
                                        "lastError": existing.get("last_error")}  # a stopped one starts again
        return answer

    async def unsubscribe(self, ctx: ServerRequestContext, params: EventParams) -> dict[str, Any]:
        given = params.model_extra or {}
        principal = await self.caller()
        url = (given.get("delivery") or {}).get("url")
        sub_id = self._key(principal, url, given.get("name"), given.get("arguments") or {})
        if sub_id not in await self.state.subscriptions():
            raise _error(NOT_FOUND, "no such subscription of yours", kind="subscription")
        await self.state.put_subscription(sub_id, None)
        return {}

    # -- the caller's subscriptions, as tools (list_event_subscriptions, remove_event_subscription) -------------

    async def _live(self) -> dict[str, dict[str, Any]]:
        """The subscriptions not expired; expired ones (their webhook secret with them) are deleted here."""
        now = self.clock()
        subs = await self.state.subscriptions()
        for sub_id, sub in list(subs.items()):
            if sub["expires"] < now:
                await self.state.put_subscription(sub_id, None)
                del subs[sub_id]
        return subs

    async def _mine(self) -> dict[str, dict[str, Any]]:
        principal = await self.caller()
        return {sub_id: sub for sub_id, sub in (await self._live()).items() if sub.get("principal") == principal}

    @staticmethod
    def shown(sub_id: str, sub: dict[str, Any]) -> dict[str, Any]:
        """A subscription as its caller sees it: never its secret, nor the target's query (it may hold a token)."""
        target = urlsplit(sub["url"])
        return {"id": sub_id, "event": sub["name"], "arguments": sub["arguments"],
                "url": f"{target.scheme}://{target.hostname}{f':{target.port}' if target.port else ''}{target.path}",
                "expires_at": _iso(sub["expires"]), "active": sub.get("active", True),
                "stopped_at": sub.get("stopped_at"), "failures": sub.get("failures", 0),
                "last_delivery": sub.get("last_delivery"), "last_error": sub.get("last_error")}

    async def list_subscriptions(self, arguments: dict[str, Any]) -> dict[str, Any]:
        try:
            mine = await self._mine()
        except StoreUnavailable as why:
            raise ToolError("state_unavailable", f"The subscriptions cannot be read now ({why}).") from None
        shown = sorted((self.shown(i, s) for i, s in mine.items()), key=lambda s: (s["event"], s["id"]))
        return {"data": shown, "meta": {"total": len(shown)}}

    async def remove_subscription(self, arguments: dict[str, Any]) -> dict[str, Any]:
        sub_id = arguments["subscription_id"]
        try:
            sub = (await self._mine()).get(sub_id)
            if sub is None:
                raise ToolError("not_found", f"No event subscription {sub_id} of yours; nothing was removed.",
                                hint="list_event_subscriptions lists yours.")
            await self.state.put_subscription(sub_id, None)
        except StoreUnavailable as why:
            raise ToolError("state_unavailable", f"The subscription cannot be removed now ({why}); nothing was "
                            "removed.") from None
        log.info("webhook subscription %s removed by its caller", sub_id)
        return {"data": self.shown(sub_id, sub)}

    # -- webhook delivery -------------------------------------------------------------------------

    def _client(self):
        if self._http is None:
            self._http = http_client()
        return self._http

    async def deliver_once(self) -> int:
        """One round: poll if due, then send each live subscription what it has not received. Returns deliveries."""
        now = self.clock()
        subs = {sub_id: sub for sub_id, sub in (await self._live()).items() if sub.get("active", True)}
        if not subs or not await self.watcher.lead(max(self.interval * 3, 60.0)):
            return 0  # nobody to deliver to, or another replica delivers
        await self._tune(list(subs.values()))
        await self.fresh()
        sent = 0
        for sub_id, sub in subs.items():
            if sub["retry_at"] > now:
                continue
            sent += await self._deliver(sub_id, sub)
        return sent

    async def _deliver(self, sub_id: str, sub: dict[str, Any]) -> int:
        wanted = _subscription(sub["name"], sub["arguments"])
        sent = 0
        try:
            target = await resolve(sub["url"], allow_private=self.allow_private)
        except WebhookRefused as why:
            return await self._failed(sub_id, sub, why.reason)
        for seq, event in await self.state.read(self.account, sub["cursor"], MAX_EVENTS):
            if wanted.wants(event, self.watcher.sims.get(event.sim_card_id or "")):
                _, _, failure = await post(self._client(), target, sub["secret"], event.id, occurrence(event, seq), sub_id)
                if failure:
                    return sent + await self._failed(sub_id, sub, failure)
                sent += 1
                sub.update(cursor=seq, failures=0, last_error=None, last_delivery=_iso(self.clock()))
                await self.state.put_subscription(sub_id, sub)  # a restart goes on after the last one received
            sub["cursor"] = seq
        await self.state.put_subscription(sub_id, sub)
        return sent

    async def _failed(self, sub_id: str, sub: dict[str, Any], reason: str) -> int:
        sub["failures"] += 1
        sub["last_error"] = {"reason": reason, "at": _iso(self.clock())}
        if sub["failures"] >= MAX_FAILURES:
            await self._stopped(sub_id, sub, reason)
            return 0
        sub["retry_at"] = self.clock() + backoff(sub["failures"])
        log.info("webhook delivery for %s failed (%s); retry %d in %gs", sub_id, reason, sub["failures"],
                 backoff(sub["failures"]))
        await self.state.put_subscription(sub_id, sub)
        return 0

    async def _stopped(self, sub_id: str, sub: dict[str, Any], reason: str) -> None:
        """Delivery to a subscription stops after MAX_FAILURES failures in a row. The subscription stays (listed
        by list_event_subscriptions with active false, stopped_at and its last error) until its grant ends, and an
        audit line records it; subscribing again, after a new verification, goes on from where it stopped."""
        sub.update(active=False, stopped_at=_iso(self.clock()))
        await self.state.put_subscription(sub_id, sub)
        detail = (f"webhook delivery stopped after {sub['failures']} failed deliveries in a row (last: {reason}); "
                  "the subscription is kept, inactive, until its grant ends; subscribing again resumes it")
        log.warning("webhook subscription %s: %s", sub_id, detail)
        if self.audit is not None:
            from .audit import current_call, new_call_id

            token = current_call.set((new_call_id(), sub["principal"].split("/person-")[0]))
            try:
                self.audit.record(tool="events/subscribe", kind=None, confirmation="none", outcome="error",
                                  arguments={"subscription_id": sub_id, "event": sub["name"],
                                             "url": self.shown(sub_id, sub)["url"], "subscriber": sub["principal"]},
                                  detail=detail)
            finally:
                current_call.reset(token)

    async def run(self) -> None:
        """Deliver until cancelled: a round every few seconds, polling Telnyx at most once per interval."""
        while True:
            try:
                await self.deliver_once()
            except (ToolError, StoreUnavailable) as error:
                log.warning("event delivery round failed: %s", getattr(error, "message", error))
            except Exception:
                log.exception("event delivery round failed")
            await anyio.sleep(min(self.interval, 5.0))

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
        await self.state.aclose()


async def declared(ctx: ServerRequestContext, call_next: Callable[[ServerRequestContext], Awaitable[Any]]) -> Any:
    """Server middleware: `capabilities.events` in the handshake's answer, where ChatGPT looks for it (the SDK's
    capabilities model has no such field; the draft's own place is the extension entry)."""
    result = await call_next(ctx)
    if ctx.method in ("initialize", "server/discover") and isinstance(result, dict):
        result = dict(result)
        result["capabilities"] = {**(result.get("capabilities") or {}), "events": {"listChanged": False}}
    return result


def serve_events(server: Server, service: EventService) -> None:
    """Serve the events methods on `server` and advertise them (extension entry and `capabilities.events`)."""
    server.add_request_handler("events/list", EventParams, service.list_events)
    server.add_request_handler("events/poll", EventParams, service.poll)
    server.add_request_handler("events/subscribe", EventParams, service.subscribe)
    server.add_request_handler("events/unsubscribe", EventParams, service.unsubscribe)
    server.extensions[EXTENSION_ID] = {"delivery": ["poll", "webhook"]}
    server.middleware.append(declared)
