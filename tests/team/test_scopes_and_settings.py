"""Sign-in without an authorization server: the settings it needs, the scope each tool is listed under, the
per-person call budget, and confirmations bound to the person."""

from __future__ import annotations

import anyio
import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st
from mcp.server.auth.middleware.auth_context import auth_context_var
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken

from telnyx_iot_mcp.server import cli, team
from telnyx_iot_mcp.server.app import tool_for
from telnyx_iot_mcp.server.auth import principal_of
from telnyx_iot_mcp.server.confirm_token import ConfirmationTokens, TokenRefused
from telnyx_iot_mcp.server.guard import Budgets, header_text
from telnyx_iot_mcp.server.scopes import SCOPES, listed
from telnyx_iot_mcp.server.selection import CATALOG
from telnyx_iot_mcp.server.settings import Settings
from telnyx_iot_mcp.tools.registry import OPERATIONS

ISSUER = "https://id.example.com"
RESOURCE = "https://iot.example.com/mcp"


def person(scopes: str):
    return principal_of(AccessToken(token="t", client_id="c", scopes=scopes.split(), subject="s",
                                    claims={"iss": ISSUER}))


@pytest.mark.parametrize("scopes", ["", "iot:read", "iot:read iot:write", "iot:write iot:destructive",
                                    "iot:read iot:write iot:destructive iot:billable"])
def test_a_tool_is_listed_only_under_the_scope_of_its_class(scopes):
    tools = [tool_for(op) for op in OPERATIONS.values()]
    shown = {tool.name for tool in listed(tools, OPERATIONS, person(scopes))}
    assert shown == {name for name, op in OPERATIONS.items() if SCOPES[op.kind] in scopes.split()}


def test_without_sign_in_nothing_is_taken_away():
    tools = [tool_for(op) for op in OPERATIONS.values()]
    assert listed(tools, OPERATIONS) == tools


def test_the_plan_tool_is_listed_to_whoever_may_change_sims():
    from telnyx_iot_mcp.tools.local import APPLY_TO_SIM_CARDS

    tool = tool_for(APPLY_TO_SIM_CARDS)
    assert listed([tool], CATALOG, person("iot:read")) == []
    assert listed([tool], CATALOG, person("iot:read iot:write")) == [tool]


def test_sign_in_needs_the_resource_url_and_excludes_the_static_token(monkeypatch):
    with pytest.raises(ValueError, match="RESOURCE_URL"):
        Settings(auth_issuer=ISSUER)
    with pytest.raises(ValueError, match="not an http"):
        Settings(auth_issuer="id.example.com", resource_url=RESOURCE)
    with pytest.raises(team.TeamConfigError, match="http_token"):
        team.prepare(Settings(auth_issuer=ISSUER, resource_url=RESOURCE, http_token="x" * 32))
    settings = Settings(auth_issuer=ISSUER, resource_url=RESOURCE, host="0.0.0.0")
    assert team.prepare(settings) and "iot.example.com" in settings.allowed_hosts


def test_the_flags_reach_the_settings(monkeypatch):
    monkeypatch.delenv("TELNYX_IOT_MCP_HTTP_TOKEN", raising=False)
    args = cli.parse_args(["--transport", "http", "--auth-issuer", ISSUER, "--resource-url", RESOURCE, "--metrics"])
    settings = cli.load_settings(args)
    assert (settings.auth_issuer, settings.resource_url, settings.metrics) == (ISSUER, RESOURCE, True)
    monkeypatch.setenv("TELNYX_IOT_MCP_AUTH_ISSUER", ISSUER)
    monkeypatch.setenv("TELNYX_IOT_MCP_RESOURCE_URL", RESOURCE)
    monkeypatch.setenv("TELNYX_IOT_MCP_METRICS", "1")
    assert Settings().auth_issuer == ISSUER and Settings().metrics


def test_a_budget_resets_after_its_window():
    now = [1000.0]
    budgets = Budgets(2, clock=lambda: now[0])
    take = lambda who: anyio.run(budgets.take, who)  # noqa: E731
    assert take("a") == (True, 1, 60)
    assert take("a") == (True, 0, 60)
    now[0] += 20
    assert take("a") == (False, 0, 40)
    assert take("b")[0]
    now[0] += 40
    assert take("a") == (True, 1, 60)


def test_replicas_sharing_redis_share_each_persons_budget():
    """Two replicas' budgets over one real redis-server: a person's calls on either count against one budget;
    while Redis is down each replica counts its own calls rather than refusing or waiting."""
    from redis_server import RedisServer

    from telnyx_iot_mcp.server.state_redis import RedisStore

    async def run(url: str, server) -> None:
        one, two = RedisStore(url), RedisStore(url)
        try:
            first, second = Budgets(3, shared=one), Budgets(3, shared=two)
            assert [(await b.take("alice"))[:2] for b in (first, second, first)] == [(True, 2), (True, 1), (True, 0)]
            allowed, left, reset = await second.take("alice")
            assert (allowed, left) == (False, 0) and 1 <= reset <= 60
            assert (await second.take("bob"))[:2] == (True, 2)
            server.stop()
            assert (await first.take("alice"))[:2] == (True, 2)  # this replica's own count
        finally:
            await one.aclose()
            await two.aclose()

    with RedisServer() as server:
        anyio.run(run, server.url, server)


def test_header_text_is_plain_ascii_without_quotes():
    assert header_text('Lowers "x" to 1 MB\n— now') == "Lowers 'x' to 1 MB ? now"
    assert len(header_text("x" * 1000)) == 300

PEOPLE = st.tuples(st.sampled_from([ISSUER, "https://other-id.example.com"]),
                   st.sampled_from(["alice", "bob", "carol"]), st.sampled_from(["assistant", "cli", "bot"]))
CALLS = st.tuples(st.sampled_from(["disable_sim_card", "delete_sim_card", "apply_to_sim_cards"]),
                  st.dictionaries(st.sampled_from(["sim_card_id", "operation", "iccids"]),
                                  st.text(max_size=8), max_size=3))


def signed_in(who: tuple[str, str, str] | None):
    if who is None:
        return auth_context_var.set(None)
    issuer, subject, client = who
    token = AccessToken(token="t", client_id=client, scopes=["iot:read"], subject=subject, claims={"iss": issuer})
    return auth_context_var.set(AuthenticatedUser(token))


@hypothesis_settings(max_examples=150, deadline=None)
@given(PEOPLE | st.none(), PEOPLE | st.none(), CALLS, st.sampled_from(["confirm", "elicit", "app-card"]))
def test_a_token_issued_to_one_person_confirms_nothing_for_another(alice, bob, call, purpose):
    """Confirmation tokens, round-trip states and card tokens (plans included) over generated people and calls:
    anyone but the person they were issued to (another subject, client or issuer; or no sign-in) is refused;
    the person they were issued to is not."""
    tool, arguments = call
    tokens = ConfirmationTokens(b"s" * 32)

    async def run() -> None:
        reset = signed_in(alice)
        try:
            token, _ = await tokens.issue(purpose, tool, arguments, account="acct-1")
        finally:
            auth_context_var.reset(reset)
        reset = signed_in(bob)
        try:
            if bob != alice:
                with pytest.raises(TokenRefused, match="another person"):
                    await tokens.redeem(token, purpose, tool, arguments, account="acct-1")
        finally:
            auth_context_var.reset(reset)
        reset = signed_in(alice)
        try:
            await tokens.redeem(token, purpose, tool, arguments, account="acct-1")  # still good for its person
        finally:
            auth_context_var.reset(reset)

    anyio.run(run)
