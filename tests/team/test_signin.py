"""Sign-in against a real authorization server (oidc-provider): only this issuer's tokens for this server are
accepted, scopes bound what a person sees and may call, and everything is on the person's name."""

from __future__ import annotations

import json
import random
import re
import time

from urllib.parse import parse_qs, urlparse

import anyio
import httpx
import httpx2
import jwt
import pytest
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.auth.extensions.client_credentials import ClientCredentialsOAuthProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata

import sys
from pathlib import Path

from audit_lines import VALIDATOR
from issuer import ALL, REDIRECT, Issuer, signing_key
from served_team import ServedTeam, Session
from telnyx_iot_mcp.server import auth
from telnyx_iot_mcp.server.selection import CATALOG

pytestmark = pytest.mark.signin
sys.path.insert(0, str(Path(__file__).parents[1] / "watch"))  # the webhook receiver of the events tests
READS = sorted(name for name, entry in CATALOG.items() if entry.read_only)


@pytest.fixture(scope="module")
def served(issuer, tmp_path_factory):
    log = tmp_path_factory.mktemp("audit") / "audit.jsonl"
    with ServedTeam(issuer.url, audit_log=str(log), metrics=True, confirm="elicit-or-token") as running:
        running.log = log
        yield running


def challenge(answer: httpx.Response) -> dict[str, str]:
    header = answer.headers["www-authenticate"]
    assert header.startswith("Bearer ")
    return dict(re.findall(r'(\w+)="([^"]*)"', header))


def sim_ids(session: Session, count: int = 5) -> list[str]:
    """Enabled SIM cards (the ones every gated SIM call can act on)."""
    answer = session.result(session.call("list_sim_cards", {"page_size": 100}))
    return [sim["id"] for sim in answer["structuredContent"]["data"] if sim["status"]["value"] == "enabled"][:count]


def test_protected_resource_metadata_names_the_issuer_and_the_scopes(served, issuer):
    for path in ("/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"):
        metadata = httpx.get(served.base + path).json()
        assert metadata["resource"] == served.url
        assert metadata["authorization_servers"] == [issuer.url]  # exactly: clients compare issuers as strings
        assert metadata["scopes_supported"] == ALL.split()


def test_without_a_token_401_points_at_the_metadata_and_nothing_runs(served):
    before = served.upstream.requests
    session = Session(served, None)
    answer = session.open()
    assert answer.status_code == 401
    said = challenge(answer)
    assert said["resource_metadata"] == f"{served.base}/.well-known/oauth-protected-resource/mcp"
    assert said["scope"] == "iot:read" and "error" not in said  # no credentials: no error code (RFC 6750)
    assert httpx.get(said["resource_metadata"]).json()["resource"] == served.url
    assert session.call("list_sim_cards", {}).status_code == 401
    assert served.upstream.requests == before


def test_tokens_not_issued_for_this_server_are_refused(served, issuer, keys):
    """Another resource, another issuer (signing with the same key), expired, an unknown key, altered: each 401,
    nothing listed or called."""
    jwk, key = keys
    good = issuer.client_credentials("lead-bot", ALL, served.url)
    claims = jwt.decode(good, options={"verify_signature": False})
    header = {"kid": jwk["kid"], "typ": "at+jwt"}
    stranger, stranger_key = signing_key()
    with Issuer([jwk]) as other_issuer:  # the same key, another issuer: only `iss` tells them apart
        from_other_issuer = other_issuer.client_credentials("lead-bot", ALL, served.url)
    refused = {
        "another resource": issuer.client_credentials("lead-bot", ALL, "http://127.0.0.1:1/another-mcp"),
        "another issuer": from_other_issuer,
        "expired": jwt.encode({**claims, "iat": time.time() - 4000, "exp": time.time() - 3600}, key, "RS256", header),
        "an unknown key": jwt.encode(claims, stranger_key, "RS256", {**header, "kid": stranger["kid"]}),
        "the issuer's kid, another key": jwt.encode(claims, stranger_key, "RS256", header),
        "no audience": jwt.encode({k: v for k, v in claims.items() if k != "aud"}, key, "RS256", header),
        "not a token at all": "e30.e30.e30",
        "altered scope": good.split(".")[0] + "." + jwt.utils.base64url_encode(json.dumps(
            {**claims, "scope": ALL + " admin"}).encode()).decode() + "." + good.split(".")[2],
    }
    before = served.upstream.requests
    for why, token in refused.items():
        session = Session(served, token)
        answer = session.open()
        assert answer.status_code == 401, why
        assert challenge(answer)["error"] == "invalid_token", why
        assert session.post("tools/list").status_code == 401, why
        assert session.call("list_sim_cards", {}).status_code == 401, why
    assert served.upstream.requests == before
    session = Session(served, good)  # the control: the same claims as issued work
    assert session.open().status_code == 200 and "delete_sim_card" in session.tools()


def test_a_read_only_person_sees_only_reads_and_is_refused_writes_naming_the_scope(served, issuer):
    token = issuer.sign_in("reader", ALL, served.url)  # asks for everything; the issuer grants iot:read only
    assert jwt.decode(token, options={"verify_signature": False})["scope"] == "iot:read"
    session = Session(served, token)
    assert session.open().status_code == 200
    assert sorted(session.tools()) == READS
    sim = sim_ids(session, 1)[0]
    before = served.upstream.requests
    for name, arguments, scope in [
        ("update_sim_card", {"sim_card_id": sim, "tags": ["x"]}, "iot:write"),
        ("disable_sim_card", {"sim_card_id": sim}, "iot:destructive"),
        ("purchase_esims", {"amount": 1}, "iot:billable"),
        ("apply_to_sim_cards", {"operation": "disable_sim_card", "sim_card_ids": [sim]}, "iot:destructive"),
    ]:
        answer = session.call(name, arguments)
        assert answer.status_code == 403, (name, answer.text)
        said = challenge(answer)
        assert said["error"] == "insufficient_scope" and scope in said["scope"].split(), said
        assert scope in said["error_description"] and answer.json()["scope"] == scope
    assert served.upstream.requests == before  # nothing was sent, nothing was read for it


def test_a_write_an_effect_rule_raises_needs_the_raised_scope(served, issuer):
    token = issuer.client_credentials("writer-bot", "iot:read iot:write", served.url)
    session = Session(served, token)
    session.open()
    listed = session.tools()
    assert "update_sim_card" in listed and "disable_sim_card" not in listed
    sims = session.result(session.call("list_sim_cards", {"page_size": 100}))["structuredContent"]["data"]
    sim = next(s for s in sims if s["status"]["value"] == "enabled"
               and float(s["current_billing_period_consumed_data"]["amount"]) > 2)
    cuts_off = session.call("update_sim_card", {"sim_card_id": sim["id"], "data_limit": {"amount": "1", "unit": "MB"}})
    assert cuts_off.status_code == 403
    assert challenge(cuts_off)["error"] == "insufficient_scope" and cuts_off.json()["scope"] == "iot:destructive"
    assert "its data stops at once" in challenge(cuts_off)["error_description"]
    plain = session.call("update_sim_card", {"sim_card_id": sim["id"], "tags": ["team"]})  # trips no rule
    assert session.result(plain)["isError"] is False


def _confirmation_token(session: Session, name: str, arguments: dict) -> str:
    answer = session.result(session.call(name, arguments))
    return answer["structuredContent"]["confirmation_required"]["confirmation_token"]


def test_a_persons_confirmation_token_and_plan_are_refused_for_anyone_else(served, issuer):
    """Over a generated set of gated calls: the token person A was given is refused for person B (who holds
    every scope too), and still confirms A's call after B's attempt."""
    alice = Session(served, issuer.sign_in("lead", ALL, served.url))
    bob = Session(served, issuer.client_credentials("lead-bot", ALL, served.url))
    assert alice.open().status_code == 200 and bob.open().status_code == 200
    sims = sim_ids(alice, 12)
    rng = random.Random(31)
    calls = []
    for _ in range(6):
        op = rng.choice(["disable_sim_card", "set_sim_card_standby", "delete_sim_card"])
        calls.append((op, {"sim_card_id": sims.pop(rng.randrange(len(sims)))}))
    calls.append(("apply_to_sim_cards", {"operation": "disable_sim_card", "sim_card_ids": sims[:3]}))
    for name, arguments in calls:
        token = _confirmation_token(alice, name, arguments)
        taken = bob.result(bob.call(name, {**arguments, "confirmation_token": token}))
        assert taken["isError"] is True and "another person" in taken["content"][0]["text"], (name, taken)
        done = alice.result(alice.call(name, {**arguments, "confirmation_token": token}))
        assert done["isError"] is False, (name, done)


def test_a_session_belongs_to_the_person_who_opened_it(served, issuer):
    alice = Session(served, issuer.sign_in("lead", ALL, served.url))
    alice.open()
    bob = Session(served, issuer.client_credentials("lead-bot", ALL, served.url))
    bob.headers["mcp-session-id"] = alice.headers["mcp-session-id"]
    assert bob.post("tools/list").status_code == 404


def test_every_audit_line_names_the_person(served, issuer):
    session = Session(served, issuer.sign_in("operator", ALL, served.url))
    session.open()
    sim = sim_ids(session, 1)[0]
    session.result(session.call("update_sim_card", {"sim_card_id": sim, "tags": ["named"]}))
    lines = [json.loads(line) for line in served.log.read_text().splitlines()]
    for line in lines:
        VALIDATOR.validate(line)
    mine = [line for line in lines if line["tool"] == "update_sim_card" and line["arguments"].get("tags") == ["named"]]
    assert {line["event"] for line in mine} == {"send", "end"}
    for line in mine:
        assert line["principal"] == {"issuer": issuer.url, "subject": "operator", "client_id": "assistant",
                                     "name": "Operator", "email": "operator@fleet.example",
                                     "scopes": ["iot:read", "iot:write"]}
    refused = [line for line in lines if line["outcome"] == "refused" and "iot:" in (line.get("detail") or "")]
    assert refused and all(line["principal"] for line in refused)


def test_metrics_hold_the_counts_of_the_run(served, issuer):
    session = Session(served, issuer.client_credentials("reader-bot", "iot:read", served.url))
    session.open()

    def scraped() -> dict[str, float]:
        text = httpx.get(served.base + "/metrics").text
        return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                if line and not line.startswith("#")}

    before = scraped()
    for _ in range(3):
        session.result(session.call("list_sim_card_groups", {}))
    session.call("update_sim_card", {"sim_card_id": "x", "tags": []})  # 403
    Session(served, None).open()  # 401
    after = scraped()

    def grew(name: str) -> float:
        return after.get(name, 0) - before.get(name, 0)

    assert grew('telnyx_iot_mcp_tool_calls_total{kind="read",outcome="ok",tool="list_sim_card_groups"}') == 3
    assert grew('telnyx_iot_mcp_http_refusals_total{reason="insufficient_scope"}') == 1
    assert grew('telnyx_iot_mcp_http_refusals_total{reason="no_token"}') == 1
    assert grew('telnyx_iot_mcp_upstream_request_seconds_count{operation="list_sim_card_groups",status="200"}') == 3
    assert after["telnyx_iot_mcp_state_store_up"] == 1
    plan_items = {k: v for k, v in after.items() if k.startswith("telnyx_iot_mcp_plan_items_total")}
    assert sum(plan_items.values()) >= 3  # the plan of the binding test above ran on 3 SIMs
    gate = {k: v for k, v in after.items() if k.startswith("telnyx_iot_mcp_gate_decisions_total")}
    assert any('confirmation="token"' in k and 'outcome="ok"' in k for k in gate)


def test_opaque_tokens_are_checked_by_introspection(issuer):
    resource = "http://127.0.0.1:1/opaque-resource"  # the issuer makes opaque tokens for it
    with ServedTeam(issuer.url, resource_url=resource, auth_client_id="iot-mcp",
                    auth_client_secret="iot-mcp-secret-0123456789abcdef") as served:
        token = issuer.client_credentials("reader-bot", "iot:read", resource)
        assert token.count(".") == 0
        session = Session(served, token)
        assert session.open().status_code == 200
        assert sorted(session.tools()) == READS
        other = issuer.client_credentials("reader-bot", "iot:read", "http://127.0.0.1:1/another-mcp")
        assert Session(served, other).open().status_code == 401
        assert Session(served, token[:-2] + "xx").open().status_code == 401


def test_a_new_signing_key_is_fetched_when_tokens_name_it(keys, monkeypatch):
    """Key rotation: the issuer starts signing with a new key; the server fetches the JWKS again for it."""
    monkeypatch.setattr(auth, "UNKNOWN_KEY_WAIT", 0.0)
    old, _ = keys
    new, _ = signing_key()
    with Issuer([old]) as before:
        port = before.port
        with ServedTeam(before.url) as served:
            first = before.client_credentials("reader-bot", "iot:read", served.url)
            assert Session(served, first).open().status_code == 200
            before.__exit__()
            with Issuer([new, old], port=port) as after:  # the same issuer, the new key first
                rotated = after.client_credentials("reader-bot", "iot:read", served.url)
                assert jwt.get_unverified_header(rotated)["kid"] == new["kid"]
                assert Session(served, rotated).open().status_code == 200
                assert Session(served, first).open().status_code == 200  # the old key is still published


def test_each_person_has_a_budget_of_calls_and_is_told_when_it_resets(issuer):
    with ServedTeam(issuer.url, person_calls_per_minute=3) as served:
        alice = Session(served, issuer.client_credentials("reader-bot", "iot:read", served.url))
        bob = Session(served, issuer.client_credentials("lead-bot", ALL, served.url))
        alice.open(), bob.open()
        for left in (2, 1, 0):
            answer = alice.call("list_sim_card_groups", {})
            assert answer.status_code == 200
            assert answer.headers["ratelimit-policy"] == '"person";q=3;w=60'
            assert re.fullmatch(rf'"person";r={left};t=\d+', answer.headers["ratelimit"])
        sent = served.upstream.requests
        refused = alice.call("list_sim_card_groups", {})
        assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
        assert "3 a minute" in refused.json()["error"]["message"]
        assert served.upstream.requests == sent  # refused before the shared Telnyx budget
        assert alice.post("tools/list").status_code == 200  # only tool calls count
        assert bob.call("list_sim_card_groups", {}).status_code == 200  # another person, another budget


def sdk_client(served: ServedTeam, auth) -> Client:
    return Client(streamable_http_client(served.url, http_client=httpx2.AsyncClient(auth=auth, timeout=30)))


class Storage:
    def __init__(self, client_info=None) -> None:
        self.tokens, self.client_info = None, client_info

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens) -> None:
        self.tokens = tokens

    async def get_client_info(self):
        return self.client_info

    async def set_client_info(self, client_info) -> None:
        self.client_info = client_info


@pytest.mark.anyio
async def test_the_official_client_finds_the_issuer_from_the_401_alone(served, issuer):
    """The mcp SDK's OAuth client, given only the server URL and its credentials: the 401's resource_metadata,
    the PRM, the issuer's metadata, a token for this resource with the challenge's scope."""
    storage = Storage()
    auth_flow = ClientCredentialsOAuthProvider(served.url, storage, "lead-bot", "lead-bot-secret-0123456789abcdef",
                                               issuer=issuer.url)
    async with sdk_client(served, auth_flow) as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
    assert sorted(names) == READS  # it asked for the scope the challenge named: iot:read
    assert jwt.decode(storage.tokens.access_token, options={"verify_signature": False})["aud"] == served.url


@pytest.mark.anyio
async def test_the_official_client_steps_up_when_a_call_needs_more(served, issuer):
    """A person signed in with iot:read calls a write: the 403 names iot:write, the SDK's client signs them in
    again for it (authorization code with PKCE) and the call runs."""
    approvals: list[str] = []
    redirected: list[str] = []

    async def redirect(url: str) -> None:
        approvals.append(parse_qs(urlparse(url).query)["scope"][0])
        redirected.append(await anyio.to_thread.run_sync(Issuer.approve, url, "operator"))

    async def callback() -> AuthorizationCodeResult:
        query = parse_qs(urlparse(redirected[-1]).query)
        return AuthorizationCodeResult(code=query["code"][0], state=query["state"][0], iss=query.get("iss", [None])[0])

    registered = OAuthClientInformationFull(client_id="assistant", redirect_uris=[REDIRECT],
                                            token_endpoint_auth_method="none",
                                            grant_types=["authorization_code"], response_types=["code"])
    storage = Storage(registered)
    auth_flow = OAuthClientProvider(served.url, OAuthClientMetadata(redirect_uris=[REDIRECT]), storage,
                                    redirect_handler=redirect, callback_handler=callback)
    async with sdk_client(served, auth_flow) as client:
        listed = [tool.name for tool in (await client.list_tools()).tools]
        assert "update_sim_card" not in listed
        sims = (await client.call_tool("list_sim_cards", {"page_size": 5})).structured_content["data"]
        result = await client.call_tool("update_sim_card", {"sim_card_id": sims[0]["id"], "tags": ["stepped-up"]})
    assert result.is_error is False, result
    assert [set(scope.split()) - {"openid"} for scope in approvals] == [{"iot:read"}, {"iot:read", "iot:write"}]
    assert jwt.decode(storage.tokens.access_token, options={"verify_signature": False})["scope"] == "iot:read iot:write"


def test_the_console_script_serves_sign_in_and_metrics(issuer, tmp_path):
    """The command as an operator runs it: flags and environment, the real Telnyx client path (the sandbox)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from processes import free_port, healthy

    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    command = Path(sys.executable).parent / "telnyx-iot-mcp"
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path), "TELNYX_IOT_MCP_RESOURCE_URL": url}
    server = subprocess.Popen([str(command), "--sandbox", "--transport", "http", "--port", str(port), "--metrics",
                               "--auth-issuer", issuer.url], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        assert healthy(server, f"http://127.0.0.1:{port}"), server.stderr.read()
        assert httpx.post(url, json={}, headers={"Accept": "application/json, text/event-stream"}).status_code == 401
        token = issuer.client_credentials("reader-bot", "iot:read", url)
        served = type("Served", (), {"base": f"http://127.0.0.1:{port}"})()
        session = Session(served, token)
        assert session.open().status_code == 200
        assert session.result(session.call("list_sim_card_groups", {}))["isError"] is False
        scraped = httpx.get(f"http://127.0.0.1:{port}/metrics").text
        assert 'telnyx_iot_mcp_tool_calls_total{kind="read",outcome="ok",tool="list_sim_card_groups"} 1.0' in scraped
    finally:
        server.terminate()
        server.wait(10)


def test_an_event_subscription_belongs_to_the_person_who_made_it(served, issuer):
    """Two people of one Telnyx account: one's webhook subscription cannot be removed or refreshed by the other."""
    from test_mcp_events import Receiver, whsec

    secret = whsec()
    receiver = Receiver(secret)
    try:
        alice = Session(served, issuer.sign_in("lead", ALL, served.url))
        bob = Session(served, issuer.client_credentials("lead-bot", ALL, served.url))
        alice.open(), bob.open()
        wanted = {"name": "sim_card.status_changed", "arguments": {},
                  "delivery": {"mode": "webhook", "url": receiver.url, "secret": secret}}
        made = alice.result(alice.post("events/subscribe", wanted))
        listed = lambda who: [s["id"] for s in who.result(who.call("list_event_subscriptions", {}))["structuredContent"]["data"]]  # noqa: E731
        assert listed(alice) == [made["id"]] and listed(bob) == []
        removing = bob.result(bob.call("remove_event_subscription", {"subscription_id": made["id"]}))
        assert removing["isError"] is True and removing["structuredContent"]["error"]["kind"] == "not_found"
        refused = bob.post("events/unsubscribe", wanted).text
        assert "no such subscription of yours" in refused
        own = bob.result(bob.post("events/subscribe", wanted))  # the same request makes bob a subscription of his
        assert own["id"] != made["id"]
        assert listed(alice) == [made["id"]] and listed(bob) == [own["id"]]
        removed = alice.result(alice.call("remove_event_subscription", {"subscription_id": made["id"]}))
        assert removed["isError"] is False and listed(alice) == [] and listed(bob) == [own["id"]]
        assert "no such subscription of yours" in alice.post("events/unsubscribe", wanted).text
        assert bob.result(bob.post("events/unsubscribe", wanted)) == {}
    finally:
        receiver.close()


def test_a_token_without_iot_read_lists_no_reads_and_reads_no_events(served, issuer):
    token = issuer.client_credentials("writer-bot", "iot:write", served.url)
    session = Session(served, token)
    assert session.open().status_code == 200
    listed = session.tools()
    assert listed and all(CATALOG[name].kind == "write" for name in listed if name != "apply_to_sim_cards")
    assert "list_sim_cards" not in listed
    for method, params in [("events/list", {}), ("events/poll", {"name": "sim_card.status_changed", "arguments": {}})]:
        answer = session.post(method, params)
        assert answer.status_code == 403 and answer.json()["scope"] == "iot:read", (method, answer.text)
    refused = session.call("get_sim_card", {"sim_card_id": "8a6a63ec-24ed-46a4-ab4c-b2424a23d596"})
    assert refused.status_code == 403 and refused.json()["scope"] == "iot:read"


def test_a_change_is_on_the_persons_name_and_hidden_from_anyone_else(served, issuer):
    """Two people of one Telnyx account: each one's change ids and list of changes are their own."""
    alice = Session(served, issuer.sign_in("lead", ALL, served.url))
    bob = Session(served, issuer.client_credentials("lead-bot", ALL, served.url))
    alice.open(), bob.open()
    sim = sim_ids(alice, 1)[0]
    made = alice.result(alice.call("update_sim_card", {"sim_card_id": sim, "tags": ["alices-change"]}))
    change_id = made["structuredContent"]["change_id"]
    assert alice.result(alice.call("get_change", {"change_id": change_id}))["isError"] is False
    theirs = bob.result(bob.call("get_change", {"change_id": change_id}))
    assert theirs["isError"] is True and theirs["structuredContent"]["error"]["kind"] == "not_found"
    listed = lambda who: [c["change_id"] for c in who.result(who.call("list_changes", {}))["structuredContent"]["data"]]  # noqa: E731
    assert change_id in listed(alice) and change_id not in listed(bob)


def test_an_idempotency_key_is_the_persons_own(served, issuer):
    """A repeat by the person who made the call returns its first outcome, sending nothing; the same key and call
    by another person of the account is theirs to confirm and send."""
    alice = Session(served, issuer.sign_in("lead", ALL, served.url))
    bob = Session(served, issuer.client_credentials("lead-bot", ALL, served.url))
    alice.open(), bob.open()
    sim = sim_ids(alice, 1)[0]
    call = {"sim_card_id": sim, "idempotency_key": "team-key-1"}
    token = _confirmation_token(alice, "set_sim_card_public_ip", call)
    done = alice.result(alice.call("set_sim_card_public_ip", {**call, "confirmation_token": token}))
    assert done["isError"] is False and done["structuredContent"]["change_id"], done
    sent = served.upstream.requests
    again = alice.result(alice.call("set_sim_card_public_ip", call))
    assert again["structuredContent"] == done["structuredContent"] and served.upstream.requests == sent
    theirs = bob.result(bob.call("set_sim_card_public_ip", call))
    assert "confirmation_required" in theirs["structuredContent"], theirs  # asked anew: not Alice's outcome
