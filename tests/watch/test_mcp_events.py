"""MCP Events through a real MCP client: events/list, events/poll, and signed webhooks to a receiver that checks them."""

from __future__ import annotations

import base64
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from mcp import Client, types
from mcp.shared.exceptions import MCPError
from pydantic import TypeAdapter
from standardwebhooks import Webhook, WebhookVerificationError

from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.server.event_methods import CALLBACK_ERROR, INVALID_PARAMS, NOT_FOUND, EventService
from telnyx_iot_mcp.server.watcher import SqliteWatchState
from test_watcher import Clock, fleet, over, sims, use

pytestmark = pytest.mark.anyio
ANSWER = TypeAdapter(dict)


def whsec() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class Receiver:
    """A webhook endpoint on loopback that verifies every delivery with standardwebhooks."""

    def __init__(self, secret: str, *, echo: bool = True) -> None:
        self.secret, self.echo = secret, echo
        self.status = 200  # what it answers a delivery (not a verification) with
        self.events: list[dict] = []
        self.refused: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                try:
                    payload = Webhook(receiver.secret).verify(body, dict(self.headers))
                except WebhookVerificationError as error:
                    receiver.refused.append(str(error))
                    self.send_response(400)
                    self.end_headers()
                    return
                answer = b""
                if payload.get("type") == "verification":
                    answer = payload["challenge"].encode() if receiver.echo else b"ok"
                elif receiver.status != 200:
                    self.send_response(receiver.status)
                    self.end_headers()
                    return
                else:
                    receiver.events.append({**payload, "subscription": self.headers["X-MCP-Subscription-Id"]})
                self.send_response(200)
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


def service_for(tmp_path, client, clock, *, allow_private=True, caller="alice"):
    async def who() -> str:
        return caller

    return EventService(client, SqliteWatchState(tmp_path / "watch.db"), api_key=None, interval=60,
                        allow_private=allow_private, caller=who, clock=clock)


class Raw(types.Request[dict, str]):
    """A request of a method the SDK has no type for, its params sent as given."""


async def request(client: Client, method: str, params: dict) -> dict:
    return await client.session.send_request(Raw(method=method, params=params), ANSWER)


async def subscribe(client: Client, name: str, url: str, secret: str, arguments: dict | None = None,
                    **params) -> dict:
    """events/subscribe with delivery by webhook to `url`."""
    return await request(client, "events/subscribe", {
        "name": name, "arguments": arguments or {}, "delivery": {"mode": "webhook", "url": url, "secret": secret},
        **params})


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_list_and_poll_through_an_mcp_client(tmp_path, mode):
    clock = Clock()
    app, _, api = fleet(clock=clock)
    service = service_for(tmp_path, api, clock)
    async with Client(create_server(api, events=service), mode=mode) as client:
        if mode == "auto":  # extensions are declared from protocol 2026-07-28 on
            assert "io.modelcontextprotocol/events" in (client.server_capabilities.extensions or {})
        listed = (await request(client, "events/list", {}))["events"]
        assert {e["name"] for e in listed} == {"sim_card.data_threshold_crossed", "sim_card.status_changed",
                                               "sim_card_action.finished", "sim_card.silent",
                                               "sim_card.usage_anomaly", "sim_card.new_network"}
        assert all(e["inputSchema"]["type"] == "object" and e["payloadSchema"]["type"] == "object" for e in listed)
        start = await request(client, "events/poll", {"name": "sim_card.data_threshold_crossed",
                                                      "arguments": {"threshold": 90}, "cursor": None})
        assert start["events"] == [] and start["nextPollMs"] == 60_000
        target = next(d for d in sims(app).values() if d.get("data_limit") and not over(d, 90))
        use(app, target, float(target["data_limit"]["amount"]) * 0.95)
        clock.now += 61
        found = await request(client, "events/poll", {"name": "sim_card.data_threshold_crossed",
                                                      "arguments": {"threshold": 90}, "cursor": start["cursor"]})
        assert [e["data"]["sim_card_id"] for e in found["events"]] == [target["id"]]
        assert found["events"][0]["data"]["threshold_percent"] == 90
        again = await request(client, "events/poll", {"name": "sim_card.data_threshold_crossed",
                                                      "arguments": {"threshold": 90}, "cursor": found["cursor"]})
        assert again["events"] == []
        with pytest.raises(MCPError) as bad:
            await request(client, "events/poll", {"name": "sim_card.data_threshold_crossed",
                                                  "arguments": {"threshold": 500}, "cursor": None})
        assert bad.value.code == INVALID_PARAMS and "threshold" in bad.value.message
        with pytest.raises(MCPError) as unknown:
            await request(client, "events/poll", {"name": "sim_card.exploded", "cursor": None})
        assert unknown.value.code == NOT_FOUND
    await api.aclose()


async def test_a_groups_threshold_event_reaches_pollers_of_its_group_and_not_of_sims_or_tags(tmp_path):
    clock = Clock()
    app, _, api = fleet(clock=clock)
    service = service_for(tmp_path, api, clock)
    store = app.state.sandbox.store
    group = next(g for g in store.collection("sim_card_groups").values() if g["name"] == "Smart Meters")
    member = next(d for d in sims(app).values() if d["sim_card_group_id"] == group["id"])
    asks = {"all": {}, "group": {"sim_card_group_id": group["id"]}, "tags": {"tags": member["tags"][:1]},
            "sims": {"sim_card_ids": [member["id"]]}}
    async with Client(create_server(api, events=service)) as client:
        listed = {e["name"]: e for e in (await request(client, "events/list", {}))["events"]}
        threshold = listed["sim_card.data_threshold_crossed"]
        assert threshold["payloadSchema"]["properties"]["scope"]["enum"] == ["sim", "group"]
        assert "no group events" in threshold["inputSchema"]["properties"]["tags"]["description"]
        start = await request(client, "events/poll", {"name": "sim_card.data_threshold_crossed", "cursor": None})
        used = sum(float(d["current_billing_period_consumed_data"]["amount"]) for d in sims(app).values()
                   if d["sim_card_group_id"] == group["id"])
        store.put("sim_card_groups", {**group, "data_limit": {"amount": f"{used / 0.85:.2f}", "unit": "MB"}})
        clock.now += 61
        got = {}
        for name, arguments in asks.items():
            answer = await request(client, "events/poll", {"name": "sim_card.data_threshold_crossed",
                                                           "arguments": arguments, "cursor": start["cursor"]})
            got[name] = [e["data"] for e in answer["events"] if e["data"]["scope"] == "group"]
        assert [(d["sim_card_group_id"], d["sim_card_id"]) for d in got["all"]] == [(group["id"], None)]
        assert got["group"] == got["all"] and got["tags"] == got["sims"] == []
        assert got["all"][0]["used_percent"] == pytest.approx(85, abs=0.1)
    await api.aclose()


async def test_webhooks_are_signed_verified_and_bound_to_their_caller(tmp_path):
    clock = Clock()
    app, transport, api = fleet(clock=clock)
    secret = whsec()
    receiver = Receiver(secret)
    service = service_for(tmp_path, api, clock)
    try:
        async with Client(create_server(api, events=service)) as client:
            subscribed = await subscribe(client, "sim_card.status_changed", receiver.url, secret, ttlMs=3_600_000)
            assert subscribed["id"].startswith("sub_") and subscribed["refreshBefore"]
            await service.deliver_once()  # the first poll learns the fleet: no status is a change yet
            assert receiver.events == []
            target = next(d for d in sims(app).values() if d["status"]["value"] == "enabled")
            app.state.sandbox.store.put("sim_cards", {**target, "status": {"value": "disabled", "reason": ""}})
            clock.now += 61
            assert await service.deliver_once() == 1
            assert [e["data"]["sim_card_id"] for e in receiver.events] == [target["id"]]
            event = receiver.events[0]
            assert event["name"] == "sim_card.status_changed" and event["subscription"] == subscribed["id"]
            assert event["eventId"].startswith("evt_") and event["cursor"]
            clock.now += 61
            assert await service.deliver_once() == 0  # once

            # Another caller holds nothing of alice's: it cannot remove her subscription.
            service.caller = lambda: _value("mallory")
            with pytest.raises(MCPError) as other:
                await request(client, "events/unsubscribe", {"name": "sim_card.status_changed", "arguments": {},
                                                             "delivery": {"url": receiver.url}})
            assert other.value.code == NOT_FOUND
            service.caller = lambda: _value("alice")
            await request(client, "events/unsubscribe", {"name": "sim_card.status_changed", "arguments": {},
                                                         "delivery": {"url": receiver.url}})
            assert await service.state.subscriptions() == {}
    finally:
        receiver.close()
        await api.aclose()


async def test_a_forecast_is_polled_by_those_who_ask_for_it(tmp_path):
    """`forecast: true` on the threshold type: the watcher reads detail records and tells when a SIM's daily use
    will reach its limit before the billing period ends; a subscriber without it gets no forecast."""
    clock = Clock()
    app, _, api = fleet(clock=clock)
    service = service_for(tmp_path, api, clock)
    asked = {"name": "sim_card.data_threshold_crossed", "arguments": {"threshold": 90, "forecast": True}}
    plain = {"name": "sim_card.data_threshold_crossed", "arguments": {"threshold": 90}}
    async with Client(create_server(api, events=service)) as client:
        start = await request(client, "events/poll", {**asked, "cursor": None})  # learns the fleet
        assert service.watcher.usage and service.watcher.forecast
        forecast_before = {e.sim_card_id for _, e in await service.state.read(service.account, 0)
                           if e.data.get("kind") == "forecast"}
        target = next(d for d in sims(app).values() if d["status"]["value"] == "enabled" and not over(d, 50)
                      and d["id"] not in forecast_before and float(d["current_billing_period_consumed_data"]["amount"]) > 1)
        used = float(target["current_billing_period_consumed_data"]["amount"])
        app.state.sandbox.store.put("sim_cards", {**target, "data_limit": {"amount": f"{used * 1.01:.2f}", "unit": "MB"}})  # a third of a day left
        clock.now += 61
        found = await request(client, "events/poll", {**asked, "cursor": start["cursor"]})
        mine = {e["data"]["kind"]: e for e in found["events"] if e["data"]["sim_card_id"] == target["id"]}
        assert set(mine) == {"crossed", "forecast"}  # 99% used, and a third of a day's use left
        event = mine["forecast"]
        assert event["data"]["exhausts_on"] == "2026-11-30"  # before the period ends
        assert event["data"]["burn_mb_per_day"] > 0 and event["data"]["limit_mb"] > event["data"]["used_mb"]
        others = await request(client, "events/poll", {**plain, "cursor": start["cursor"]})
        assert not [e for e in others["events"] if e["data"].get("kind") == "forecast"]


async def test_a_subscription_whose_deliveries_keep_failing_stops_and_says_so(tmp_path):
    """After MAX_FAILURES failed deliveries in a row, delivery stops: the subscription is still listed (inactive,
    when it stopped, its last error), an audit line records it, and subscribing again resumes delivery."""
    import json as json_

    from audit_lines import lines_of
    from telnyx_iot_mcp.server.audit import AuditLog
    from telnyx_iot_mcp.server.event_methods import MAX_FAILURES
    from telnyx_iot_mcp.server.gate import Gate

    clock = Clock()
    app, _, api = fleet(clock=clock)
    secret = whsec()
    receiver = Receiver(secret)
    audit = AuditLog(str(tmp_path / "audit.jsonl"))
    gate = Gate(api, audit=audit)
    service = EventService(api, SqliteWatchState(tmp_path / "watch.db"), api_key=None, interval=60,
                           allow_private=True, caller=gate.caller, clock=clock, audit=audit)
    try:
        async with Client(create_server(api, gate=gate, events=service)) as client:
            made = await subscribe(client, "sim_card.status_changed", receiver.url, secret)
            await service.deliver_once()  # learns the fleet
            target = next(d for d in sims(app).values() if d["status"]["value"] == "enabled")
            app.state.sandbox.store.put("sim_cards", {**target, "status": {"value": "disabled", "reason": ""}})
            receiver.status = 503
            for attempt in range(MAX_FAILURES):
                clock.now += 601  # past the longest backoff
                assert await service.deliver_once() == 0
                [sub] = (await client.call_tool("list_event_subscriptions", {})).structured_content["data"]
                assert sub["failures"] == attempt + 1 and sub["last_error"]["reason"]
                assert sub["active"] is (attempt + 1 < MAX_FAILURES)
            assert sub["id"] == made["id"] and sub["stopped_at"] and not receiver.events
            lines = lines_of(tmp_path / "audit.jsonl")  # each checked against the published schema
            [stopped] = [line for line in lines if line["tool"] == "events/subscribe"]
            assert stopped["outcome"] == "error" and stopped["arguments"]["subscription_id"] == made["id"]
            assert f"{MAX_FAILURES} failed deliveries" in stopped["detail"] and secret not in json_.dumps(stopped)
            assert stopped["account"] and stopped["arguments"]["subscriber"].startswith(stopped["account"])

            receiver.status = 200
            clock.now += 601
            assert await service.deliver_once() == 0  # stopped: nothing is tried
            again = await subscribe(client, "sim_card.status_changed", receiver.url, secret)
            assert again["id"] == made["id"] and again["deliveryStatus"]["lastError"]
            assert await service.deliver_once() == 1  # from where it stopped
            assert [e["data"]["sim_card_id"] for e in receiver.events] == [target["id"]]
            [sub] = (await client.call_tool("list_event_subscriptions", {})).structured_content["data"]
            assert sub["active"] and sub["stopped_at"] is None and sub["failures"] == 0
    finally:
        receiver.close()
        await api.aclose()


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_subscriptions_are_listed_and_removed_by_their_caller_only(tmp_path, mode):
    """list_event_subscriptions and remove_event_subscription, bound to the caller as the server binds it (the
    gate's account of the call): another account sees none and removes none; no secret is shown."""
    from telnyx_iot_mcp.server.gate import Gate

    clock = Clock()
    app, transport, api = fleet(clock=clock)
    secret = whsec()
    receiver = Receiver(secret)
    gate = Gate(api)
    service = EventService(api, SqliteWatchState(tmp_path / "watch.db"), api_key=None, interval=60,
                           allow_private=True, caller=gate.caller, clock=clock)
    try:
        async with Client(create_server(api, gate=gate, events=service), mode=mode) as client:
            made = await request(client, "events/subscribe", {
                "name": "sim_card.data_threshold_crossed", "arguments": {"threshold": 90},
                "delivery": {"mode": "webhook", "url": receiver.url + "?token=hush", "secret": secret}})
            listed = await client.call_tool("list_event_subscriptions", {})
            assert not listed.is_error, listed.content[0].text
            [sub] = listed.structured_content["data"]
            assert sub["id"] == made["id"] and sub["event"] == "sim_card.data_threshold_crossed"
            assert sub["arguments"] == {"threshold": 90} and sub["expires_at"] == made["refreshBefore"]
            assert sub["url"] == receiver.url  # the query (it may hold a token) left out
            assert secret not in listed.content[0].text and "hush" not in listed.content[0].text

            api._api_key = "another-account-key"  # the same server, another Telnyx account
            assert (await client.call_tool("list_event_subscriptions", {})).structured_content["data"] == []
            theirs = await client.call_tool("remove_event_subscription", {"subscription_id": made["id"]})
            assert theirs.is_error and theirs.structured_content["error"]["kind"] == "not_found"
            assert made["id"] in await service.state.subscriptions()

            api._api_key = None
            sent = transport.requests
            removed = await client.call_tool("remove_event_subscription", {"subscription_id": made["id"]})
            assert not removed.is_error and removed.structured_content["data"]["id"] == made["id"]
            assert await service.state.subscriptions() == {} and transport.requests == sent  # nothing upstream
            again = await client.call_tool("remove_event_subscription", {"subscription_id": made["id"]})
            assert again.is_error and "nothing was removed" in again.content[0].text
            bad = await client.call_tool("remove_event_subscription", {"subscription_id": "sub_x"})
            assert bad.is_error and "subscription_id" in bad.content[0].text
    finally:
        receiver.close()
        await api.aclose()


async def test_an_expired_subscription_is_gone_with_its_secret_when_listed(tmp_path):
    """Past its refreshBefore a subscription is not listed, and the store no longer holds it (nor its webhook
    secret), without waiting for a delivery round."""
    clock = Clock()
    _, _, api = fleet(clock=clock)
    secret = whsec()
    receiver = Receiver(secret)
    service = service_for(tmp_path, api, clock)
    try:
        async with Client(create_server(api, events=service)) as client:
            made = await subscribe(client, "sim_card.status_changed", receiver.url, secret, ttlMs=60_000)
            assert made["id"] in await service.state.subscriptions()
            clock.now += 61
            listed = await client.call_tool("list_event_subscriptions", {})
            assert not listed.is_error and listed.structured_content["data"] == []
            assert await service.state.subscriptions() == {}
    finally:
        receiver.close()
        await api.aclose()


async def test_a_request_with_another_accounts_key_gets_none_of_the_fleets_events(tmp_path):
    """Over HTTP with --allow-client-api-key, a caller may bring another account's key: the watcher polls the
    server's own account, so that caller may neither poll nor subscribe to its events."""
    from telnyx_iot_mcp.server.event_methods import FORBIDDEN
    from telnyx_iot_mcp.tools.redact import request_api_key

    clock = Clock()
    _, _, api = fleet(clock=clock)
    secret = whsec()
    receiver = Receiver(secret)

    async def who() -> str:
        return "a-caller"

    service = EventService(api, SqliteWatchState(tmp_path / "watch.db"), api_key="KEY0123456789server", interval=60,
                           allow_private=True, caller=who, clock=clock)
    asks = [("events/poll", {"name": "sim_card.status_changed", "arguments": {}, "cursor": None}),
            ("events/subscribe", {"name": "sim_card.status_changed", "arguments": {},
                                  "delivery": {"mode": "webhook", "url": receiver.url, "secret": secret}})]
    try:
        for key, served in (("KEY0123456789other", False), ("KEY0123456789server", True)):
            reset = request_api_key.set(key)  # as the HTTP door sets it from X-Telnyx-Api-Key
            try:
                async with Client(create_server(api, events=service)) as client:
                    for method, params in asks:
                        if served:
                            await request(client, method, params)
                            continue
                        with pytest.raises(MCPError) as refused:
                            await request(client, method, params)
                        assert refused.value.code == FORBIDDEN and "another account" in refused.value.message
            finally:
                request_api_key.reset(reset)
            assert len(await service.state.subscriptions()) == (1 if served else 0)
    finally:
        receiver.close()
        await api.aclose()


async def test_without_events_the_subscription_tools_say_so():
    _, _, api = fleet()
    async with Client(create_server(api)) as client:
        answer = await client.call_tool("list_event_subscriptions", {})
    assert answer.is_error and answer.structured_content["error"]["kind"] == "not_offered"
    await api.aclose()


async def _value(text: str) -> str:
    return text


def test_signatures_hold_only_for_the_exact_body():
    from telnyx_iot_mcp.server.webhooks import signed

    secret = whsec()
    body = json.dumps({"eventId": "evt_1", "data": {"x": 1}}).encode()
    headers = signed(secret, "evt_1", body, "sub_1")
    assert Webhook(secret).verify(body, headers)["eventId"] == "evt_1"
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b"1}", b"2}"), headers)  # tampered
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, {**headers, "webhook-timestamp": str(int(headers["webhook-timestamp"]) - 3600)})
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, {k: v for k, v in headers.items() if k != "webhook-signature"})
    with pytest.raises(WebhookVerificationError):
        Webhook(whsec()).verify(body, headers)  # another secret


@pytest.mark.parametrize("url, allow, says", [
    ("http://127.0.0.1:9/hook", False, "private or local address"),
    ("http://10.0.0.5/hook", False, "private or local address"),
    ("https://169.254.169.254/latest/meta-data", False, "private or local address"),
    ("https://user:pw@example.com/hook", True, "user name or password"),
    ("ftp://example.com/hook", True, "https://"),
])
async def test_private_and_odd_targets_are_refused(tmp_path, url, allow, says):
    clock = Clock()
    _, _, api = fleet(clock=clock)
    service = service_for(tmp_path, api, clock, allow_private=allow)
    async with Client(create_server(api, events=service)) as client:
        with pytest.raises(MCPError) as refused:
            await subscribe(client, "sim_card.silent", url, whsec())
        assert refused.value.code == INVALID_PARAMS and says in refused.value.message
        assert await service.state.subscriptions() == {}
    await api.aclose()


async def test_an_endpoint_that_does_not_echo_the_challenge_is_not_subscribed(tmp_path):
    clock = Clock()
    _, _, api = fleet(clock=clock)
    secret = whsec()
    receiver = Receiver(secret, echo=False)
    service = service_for(tmp_path, api, clock)
    try:
        async with Client(create_server(api, events=service)) as client:
            with pytest.raises(MCPError) as refused:
                await subscribe(client, "sim_card.silent", receiver.url, secret)
            assert refused.value.code == CALLBACK_ERROR and refused.value.data["reason"] == "challenge_failed"
            with pytest.raises(MCPError) as weak:
                await subscribe(client, "sim_card.silent", receiver.url, "whsec_c2hvcnQ=")
            assert weak.value.code == INVALID_PARAMS and "24 to 64" in weak.value.message
        assert await service.state.subscriptions() == {}
    finally:
        receiver.close()
        await api.aclose()


async def test_upstream_requests_per_round_are_the_same_for_1_and_100_subscribers(tmp_path):
    """One poll serves every subscriber: 1 and 100 subscriptions (every event type, forecasts, detail records and
    group thresholds among them, each with its own filters) cost the same requests per round."""
    from telnyx_iot_mcp.server.events import EVENT_TYPES

    clock = Clock()
    app, transport, api = fleet(sim_count=600, clock=clock)
    secret = whsec()
    receiver = Receiver(secret)
    service = service_for(tmp_path, api, clock)
    groups = sorted({d["sim_card_group_id"] for d in sims(app).values()})
    names = sorted(EVENT_TYPES)
    ids = sorted(sims(app))
    cost, paths = {}, {}
    try:
        async with Client(create_server(api, events=service)) as client:
            for i in range(100):
                name = "sim_card.data_threshold_crossed" if i == 0 else names[i % len(names)]
                arguments = {"sim_card_group_id": groups[i % len(groups)], "tags": [f"t{i}"]}
                if name == "sim_card_action.finished":
                    arguments = {"sim_card_ids": [ids[i % len(ids)]]}
                if name == "sim_card.data_threshold_crossed":
                    arguments.update(threshold=50 + i % 50, forecast=i % 2 == 0)  # the first: detail records too
                await subscribe(client, name, receiver.url, secret, arguments)
                if i == 0:  # the first round learns the fleet and the baseline of detail records
                    await service.deliver_once()
                if i + 1 in (1, 100):
                    clock.now += 61
                    before = len(transport.sent)
                    await service.deliver_once()
                    cost[i + 1] = len(transport.sent) - before
                    paths[i + 1] = sorted(r.url.path for r in transport.sent[before:])
        assert len(await service.state.subscriptions()) == 100 and service.watcher.forecast and service.watcher.groups
        # 3 pages of 250 SIMs, a page of actions, a page of detail records and a page of groups per poll, whoever
        # listens
        assert cost[1] == cost[100] == 6 and paths[1] == paths[100], paths
        assert paths[1].count("/v2/sim_card_groups") == 1
    finally:
        receiver.close()
        await api.aclose()


async def test_two_replicas_sharing_redis_deliver_each_event_once(tmp_path):
    from redis_server import RedisServer
    from telnyx_iot_mcp.server.watcher import RedisWatchState

    clock = Clock()
    app, _, api = fleet(clock=clock)
    secret = whsec()
    receiver = Receiver(secret)
    try:
        with RedisServer() as redis:
            replicas = [EventService(api, RedisWatchState(redis.url), api_key=None, interval=60, allow_private=True,
                                     caller=lambda: _value("alice"), clock=clock) for _ in range(2)]
            async with Client(create_server(api, events=replicas[0])) as client:
                await subscribe(client, "sim_card.status_changed", receiver.url, secret)
            for replica in replicas:
                await replica.deliver_once()
            changed = [d for d in sims(app).values() if d["status"]["value"] == "enabled"][:5]
            for doc in changed:
                app.state.sandbox.store.put("sim_cards", {**doc, "status": {"value": "standby", "reason": ""}})
            for _ in range(3):
                clock.now += 61
                for replica in replicas:
                    await replica.deliver_once()
            assert sorted(e["data"]["sim_card_id"] for e in receiver.events) == sorted(d["id"] for d in changed)
            for replica in replicas:
                await replica.aclose()
    finally:
        receiver.close()
        await api.aclose()
