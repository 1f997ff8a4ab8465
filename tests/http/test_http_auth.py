"""Access to the HTTP transport: the bearer token, the refusal to listen beyond loopback without one,
and the per-request Telnyx key for multi-tenant servers."""

from __future__ import annotations

import httpx
import pytest
from mcp.shared.exceptions import MCPError
from served_http import INITIALIZE, MCP_HEADERS, TOKEN, ServedMcp

from telnyx_iot_mcp.sandbox import create_app
from telnyx_iot_mcp.server import cli
from telnyx_iot_mcp.server.http import ClientApiKey, HttpConfigError, RequestKeyClient, access_token
from telnyx_iot_mcp.tools.redact import request_api_key
from telnyx_iot_mcp.server.settings import Settings

pytestmark = pytest.mark.anyio

TENANT_KEY = "KEYtenant0123456789abcdef"


@pytest.fixture
def anyio_backend():
    return "asyncio"


def mcp_errors(error: BaseException) -> str:
    """The messages of the MCP errors a client raised, inside exception groups or not."""
    if isinstance(error, BaseExceptionGroup):
        return " ".join(mcp_errors(inner) for inner in error.exceptions)
    return str(error) if isinstance(error, MCPError) else ""


@pytest.fixture(autouse=True)
def no_token_in_environment(monkeypatch):
    for name in ("TELNYX_IOT_MCP_HTTP_TOKEN", "TELNYX_IOT_MCP_HTTP_TOKEN_FILE", "TELNYX_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.1.2.3", "mcp.internal"])
def test_refuses_to_bind_beyond_loopback_without_a_token(host):
    with pytest.raises(HttpConfigError, match="host: refusing to serve"):
        access_token(Settings(host=host))


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_needs_no_token(host):
    assert access_token(Settings(host=host)) is None


def test_token_from_the_environment_allows_any_address(monkeypatch):
    monkeypatch.setenv("TELNYX_IOT_MCP_HTTP_TOKEN", f"  {TOKEN}\n")
    assert access_token(Settings(host="0.0.0.0")) == TOKEN


def test_token_from_a_file(tmp_path):
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")
    assert access_token(Settings(host="0.0.0.0", http_token_file=str(path))) == TOKEN


def test_unreadable_token_file_names_the_setting(tmp_path):
    with pytest.raises(HttpConfigError, match="http_token_file"):
        access_token(Settings(http_token_file=str(tmp_path / "missing")))


def test_short_token_is_refused():
    with pytest.raises(HttpConfigError, match="http_token: use at least 16"):
        access_token(Settings(host="0.0.0.0", http_token="short"))


def test_cli_exits_before_listening_beyond_loopback_without_a_token(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["--sandbox", "--transport", "http", "--host", "0.0.0.0", "--port", "0"])
    assert exited.value.code == 2
    assert "without an access token" in capsys.readouterr().err


def test_cli_has_no_option_that_takes_the_token_itself():
    with pytest.raises(SystemExit):
        cli.parse_args(["--transport", "http", "--http-token", TOKEN])


async def test_token_is_required_and_checked():
    with ServedMcp(http_token=TOKEN) as served:
        async with httpx.AsyncClient() as http:
            missing = await http.post(served.url, json=INITIALIZE, headers=MCP_HEADERS)
            wrong = await http.post(served.url, json=INITIALIZE,
                                    headers={**MCP_HEADERS, "Authorization": f"Bearer {TOKEN[:-1]}x"})
            other_scheme = await http.post(served.url, json=INITIALIZE,
                                           headers={**MCP_HEADERS, "Authorization": f"Basic {TOKEN}"})
            right = await http.post(served.url, json=INITIALIZE,
                                    headers={**MCP_HEADERS, "Authorization": f"Bearer {TOKEN}"})
            health = await http.get(f"{served.base}/healthz")
    for refused in (missing, wrong, other_scheme):
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert TOKEN not in refused.text
    assert right.status_code == 200
    assert health.status_code == 200  # orchestrators probe without credentials


async def test_mcp_client_with_the_token_works_and_without_it_fails():
    with ServedMcp(http_token=TOKEN) as served:
        async with served.mcp_client({"Authorization": f"Bearer {TOKEN}"}) as client:
            result = await client.call_tool("list_sim_cards", {"page_size": 1})
            assert not result.is_error
        with pytest.raises(Exception):
            async with served.mcp_client({"Authorization": "Bearer wrong-token-wrong-token"}) as client:
                await client.list_tools()


def tenant_sandbox_client(default_api_key: str | None = None) -> RequestKeyClient:
    """The server's Telnyx client when the sandbox only answers requests carrying TENANT_KEY."""
    return RequestKeyClient(base_url="http://sandbox/v2", default_api_key=default_api_key,
                            transport=httpx.ASGITransport(app=create_app(api_key=TENANT_KEY)))


async def test_per_request_telnyx_key_is_used_for_that_request_only():
    with ServedMcp(client=tenant_sandbox_client(), allow_client_api_key=True) as served:
        async with served.mcp_client({"X-Telnyx-Api-Key": TENANT_KEY}) as tenant:
            ok = await tenant.call_tool("list_sim_cards", {"page_size": 1})
        async with served.mcp_client({"X-Telnyx-Api-Key": "KEYsomeoneelse0123456789"}) as stranger:
            refused = await stranger.call_tool("list_sim_cards", {"page_size": 1})
        async with served.mcp_client() as keyless:
            missing = await keyless.call_tool("list_sim_cards", {"page_size": 1})
    assert not ok.is_error and len(ok.structured_content["data"]) == 1
    assert refused.is_error and refused.structured_content["error"]["status"] == 401
    assert missing.is_error and "X-Telnyx-Api-Key" in missing.content[0].text


async def test_per_request_key_falls_back_to_the_servers_key():
    with ServedMcp(client=tenant_sandbox_client(default_api_key=TENANT_KEY), allow_client_api_key=True) as served:
        async with served.mcp_client() as client:
            result = await client.call_tool("list_sim_cards", {"page_size": 1})
    assert not result.is_error


async def test_per_request_key_header_is_refused_unless_allowed():
    """The caller meant their own account: the server's key must not stand in for theirs."""
    sandbox = create_app(api_key=TENANT_KEY)
    client = RequestKeyClient(base_url="http://sandbox/v2", default_api_key=TENANT_KEY,
                              transport=httpx.ASGITransport(app=sandbox))
    with ServedMcp(client=client) as served:
        with pytest.raises(Exception) as raised:
            async with served.mcp_client({"X-Telnyx-Api-Key": "KEYsomeoneelse0123456789"}) as caller:
                await caller.call_tool("list_sim_cards", {"page_size": 1})
        assert "does not take X-Telnyx-Api-Key" in mcp_errors(raised.value)
        async with served.mcp_client() as plain:  # without the header the server's key is used, as configured
            assert not (await plain.call_tool("list_sim_cards", {"page_size": 1})).is_error


@pytest.mark.parametrize("value", ["", "KEY 0123 4567 89ab", "KEYab12"])
async def test_a_blank_or_malformed_per_request_key_is_refused_not_replaced_by_the_servers(value):
    with ServedMcp(client=tenant_sandbox_client(default_api_key=TENANT_KEY), allow_client_api_key=True) as served:
        async with httpx.AsyncClient() as http:
            answer = await http.post(served.url, json=INITIALIZE, headers={**MCP_HEADERS, "X-Telnyx-Api-Key": value})
        with pytest.raises(Exception) as raised:
            async with served.mcp_client({"X-Telnyx-Api-Key": value}) as caller:
                await caller.call_tool("list_sim_cards", {"page_size": 1})
    assert answer.status_code == 400 and "Nothing was sent to Telnyx" in answer.json()["error"]["message"]
    shown = mcp_errors(raised.value)
    assert "X-Telnyx-Api-Key" in shown and (value.strip() == "" or value not in shown)


@pytest.mark.parametrize("value", [b"   ", b"\t", b" \x00KEY0123456789abcdef"])
async def test_a_whitespace_only_per_request_key_is_refused_before_the_server_sees_the_call(value):
    """Values an HTTP client library will not send, but a proxy in between might: checked at the ASGI level."""
    reached, sent = [], []

    async def app(scope, receive, send):
        reached.append(request_api_key.get())

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/mcp", "headers": [(b"x-telnyx-api-key", value)]}
    await ClientApiKey(app, allowed=True)(scope, None, send)
    assert reached == [] and sent[0]["status"] == 400


async def test_a_repeated_per_request_key_header_is_refused():
    with ServedMcp(client=tenant_sandbox_client(), allow_client_api_key=True) as served:
        async with httpx.AsyncClient() as http:
            answer = await http.post(served.url, json=INITIALIZE, headers=[
                *MCP_HEADERS.items(), ("X-Telnyx-Api-Key", TENANT_KEY), ("X-Telnyx-Api-Key", "KEYother0123456789ab")])
    assert answer.status_code == 400 and "once" in answer.json()["error"]["message"]


@pytest.mark.parametrize("blank", ["", "   ", "\n\t"])
def test_a_blank_access_token_is_refused_even_on_loopback(monkeypatch, tmp_path, blank):
    monkeypatch.setenv("TELNYX_IOT_MCP_HTTP_TOKEN", blank)
    with pytest.raises(HttpConfigError, match="set but blank"):
        access_token(Settings(host="127.0.0.1"))
    monkeypatch.delenv("TELNYX_IOT_MCP_HTTP_TOKEN")
    path = tmp_path / "token"
    path.write_text(blank)
    with pytest.raises(HttpConfigError, match="is empty"):
        access_token(Settings(host="127.0.0.1", http_token_file=str(path)))


def test_a_blank_telnyx_key_is_refused_at_start(monkeypatch, capsys):
    monkeypatch.setenv("TELNYX_API_KEY", "   ")
    for flags in ([], ["--transport", "http", "--allow-client-api-key"]):
        with pytest.raises(SystemExit):
            cli.make_client(cli.load_settings(cli.parse_args(flags)))
        assert "TELNYX_API_KEY is set but blank" in capsys.readouterr().err
