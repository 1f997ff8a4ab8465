"""Secrets are masked before anything is cut, in every field, whole or in part.

The end-to-end test runs an MCP client against the server on an upstream that echoes the bearer key it
receives into its answers: at every offset around the 500-character limit on error fields, in each field,
split across two fields, partly (a prefix or a suffix), in headers, and in successful results. It does so
for the server's own key and for a caller's per-request key, then looks for any run of FRAGMENT characters
of the key in every result, log line and audit line."""

from __future__ import annotations

import json
import logging
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client

from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.server.audit import AuditLog
from telnyx_iot_mcp.server.gate import Gate
from telnyx_iot_mcp.server.http import RequestKeyClient
from telnyx_iot_mcp.tools import redact as masking
from telnyx_iot_mcp.tools.client import TelnyxClient
from telnyx_iot_mcp.tools.redact import FRAGMENT, MASK, cut, holds_secret, redact, register_secret

pytestmark = pytest.mark.anyio

SERVER_KEY = "KEY0195C4E3A55DF8D9D0A08C2B8E0C5F4B_Qm7rT2vXk9LpZs4Wn8Yc"
CALLER_KEY = "KEY0193AB7E21C64F0D8E9B1A3C5D7F9E0B_Hx3Jt6Rb8Nq2Vm5Kd9Pw"
SIM = "6a09cdc3-8948-47f0-aa62-74ac943d6c58"
LIMIT = 500  # what an error field is cut to (tools/errors.py)


def leaked_runs(text: str, secret: str) -> list[str]:
    """Every run of FRAGMENT characters of `secret` found in `text`."""
    return sorted({secret[i:i + FRAGMENT] for i in range(len(secret) - FRAGMENT + 1) if secret[i:i + FRAGMENT] in text})


# -- the masking itself ---------------------------------------------------------------------------

def test_every_run_of_fragment_characters_is_masked_and_shorter_ones_are_left():
    register_secret(SERVER_KEY)
    for start in range(len(SERVER_KEY)):
        for end in range(start + FRAGMENT, len(SERVER_KEY) + 1):
            text = f"before {SERVER_KEY[start:end]} after"
            assert leaked_runs(redact(text), SERVER_KEY) == [], (start, end)
    short = SERVER_KEY[10:10 + FRAGMENT - 1]
    assert redact(f"id {short}") == f"id {short}"  # 7 characters of a key are no key, and text stays intact
    assert redact(f"a{SERVER_KEY}{SERVER_KEY}b") == f"a{MASK}b"


def test_a_limit_never_cuts_a_secret_into_a_piece_that_passes():
    register_secret(SERVER_KEY)
    cut_first_leaks = 0
    for offset in range(LIMIT - len(SERVER_KEY) - 2, LIMIT + 2):
        text = "x" * offset + SERVER_KEY + "y" * 30
        assert leaked_runs(cut(text, LIMIT), SERVER_KEY) == [], offset
        cut_first_leaks += bool(leaked_runs(text[:LIMIT].replace(SERVER_KEY, MASK), SERVER_KEY))
    assert cut_first_leaks > 20  # cutting, then masking whole keys (as the server once did) leaks at these offsets


def test_a_body_holding_any_run_of_fragment_characters_of_a_key_is_noticed():
    register_secret(SERVER_KEY)
    for n in range(FRAGMENT, len(SERVER_KEY) + 1):
        for start in range(len(SERVER_KEY) - n + 1):  # runs of 9 to 14 characters inside the key once passed
            assert holds_secret(b'{"tags": ["' + SERVER_KEY[start:start + n].encode() + b'"]}'), (start, n)
    for start in range(len(SERVER_KEY) - FRAGMENT + 2):
        assert not holds_secret(b'{"tags": ["' + SERVER_KEY[start:start + FRAGMENT - 1].encode() + b'"]}'), start
    assert not holds_secret(b'{"data": {"id": "' + SIM.encode() + b'"}}')


# -- end to end: upstream bodies echoing the key ----------------------------------------------------

def error(status: int = 422, **fields: Any) -> tuple[int, dict[str, Any], dict[str, str]]:
    item = {k: v for k, v in fields.items() if k not in ("pointer", "parameter")}
    source = {k: v for k, v in fields.items() if k in ("pointer", "parameter")}
    return status, {"errors": [{**item, **({"source": source} if source else {})}]}, {}


def echoes(key: str) -> list[tuple[int, Any, dict[str, str]]]:
    """Upstream answers that echo `key`, as a misbehaving API or proxy might."""
    cases: list[tuple[int, Any, dict[str, str]]] = []
    for field in ("title", "detail", "code", "pointer", "parameter"):
        for offset in range(LIMIT - len(key) - 1, LIMIT + 2):  # the key straddles the cut at every position
            cases.append(error(**{field: "x" * offset + key + " and more text"}))
    for n in range(1, len(key)):  # split across two fields
        cases.append(error(detail="the key " + key[:n], pointer=key[n:] + "/data"))
        cases.append(error(title="x" * (LIMIT - n) + key[:n], detail=key[n:]))
    for n in range(FRAGMENT, len(key)):  # partly echoed
        cases.append(error(detail=f"key {key[:n]}... is not valid"))
        cases.append(error(detail=f"key ...{key[-n:]} is not valid"))
    cases += [
        (404, {"title": "Not found", "detail": "x" * 480 + key}, {}),  # the bare error object of some 404s
        (422, {"errors": [{"detail": "ok"}]}, {"x-request-id": key}),
        (422, {"errors": [{"detail": "ok"}]}, {"x-request-id": "x" * 30 + key[:20]}),
        (502, b"<html>Bad gateway</html>", {"content-type": f"text/{key}"}),
        (200, {"data": [{"id": SIM, "tags": [key[:n], key[-n:], "t" * 400 + key]}
                        for n in range(FRAGMENT, len(key))],
               "meta": {"page_number": 1, "page_size": 20, "total_pages": 1, "total_results": 1}}, {}),
        (200, {"data": [{"id": SIM, "tags": [key[3:3 + 2 * FRAGMENT]]}],
               "meta": {"page_number": 1, "page_size": 20, "total_pages": 1, "total_results": 1}}, {}),
    ]
    for n in range(FRAGMENT, 2 * FRAGMENT):  # a run from inside the key, alone in a successful answer
        cases += [(200, {"data": [{"id": SIM, "tags": [key[start:start + n]]}],
                         "meta": {"page_number": 1, "page_size": 20, "total_pages": 1, "total_results": 1}}, {})
                  for start in range(1, len(key) - n, 3)]
    return cases


class EchoingUpstream:
    """Answers each request with the next case, built from the bearer key the request carried."""

    def __init__(self) -> None:
        self.index = 0
        self.cases: dict[str, list[tuple[int, Any, dict[str, str]]]] = {}

    def handle(self, request: httpx.Request) -> httpx.Response:
        key = request.headers["authorization"].removeprefix("Bearer ")
        if key not in self.cases:
            self.cases[key] = echoes(key)
        status, body, headers = self.cases[key][self.index]
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return httpx.Response(status, content=raw, headers={"content-type": "application/json", **headers})


@pytest.mark.parametrize("whose", ["server key", "caller key"])
async def test_a_key_echoed_at_every_offset_around_the_cut_reaches_no_result_log_or_audit_line(
        whose, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    masking.secure_logging()  # the server's log handlers mask; the capture handler gets the same filter
    upstream = EchoingUpstream()
    options: dict[str, Any] = dict(base_url="https://api.telnyx.test/v2", transport=httpx.MockTransport(upstream.handle),
                                   max_attempts=1)
    if whose == "server key":
        key, client = SERVER_KEY, TelnyxClient(api_key=SERVER_KEY, **options)
    else:
        key, client = CALLER_KEY, RequestKeyClient(default_api_key=None, **options)
        masking.request_api_key.set(CALLER_KEY)  # as the HTTP transport sets it for the request being served
    audit_path = tmp_path / "audit.jsonl"
    server = create_server(client, gate=Gate(client, audit=AuditLog(str(audit_path))))
    produced: list[str] = []
    cases = echoes(key)
    async with Client(server, mode="auto") as session:
        for index, (status, _, _) in enumerate(cases):
            upstream.index = index
            name, arguments = (("update_sim_card", {"sim_card_id": SIM, "tags": ["t"]}) if index % 2 and status != 200
                               else ("list_sim_cards", {}))
            result = await session.call_tool(name, arguments)
            produced.append(result.model_dump_json())
    await client.aclose()

    assert list(upstream.cases) == [key], "every request carried the key, so every echo could have leaked it"
    assert len(cases) > 400 and sum('"is_error":true' in p for p in produced) > 400
    assert MASK in "".join(produced)
    audit = audit_path.read_text()
    assert audit.count("update_sim_card") >= len(cases) // 2 - 5
    for where, text in (("results", "\n".join(produced)), ("logs", caplog.text), ("audit", audit)):
        assert leaked_runs(text, key) == [], f"parts of the {whose} leaked into the {where}"


async def test_a_large_page_without_secrets_comes_back_untouched():
    """2000 ids and ICCIDs: no false match of a key's pieces mangles them."""
    register_secret(SERVER_KEY)
    body = {"data": [{"id": SIM, "iccid": f"893104101065437{n:05d}", "tags": ["fleet"]} for n in range(2000)]}

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body)

    client = TelnyxClient(api_key=SERVER_KEY, base_url="https://api.telnyx.test/v2",
                          transport=httpx.MockTransport(answer))
    from telnyx_iot_mcp.tools.request import ApiRequest

    response = await client.send(ApiRequest("GET", "/sim_cards", operation="list_sim_cards"))
    await client.aclose()
    assert response.body == body and MASK not in json.dumps(response.body)


async def test_two_tenants_never_share_a_cookie():
    """Telnyx sets no cookie it needs; the server keeps none, so one caller's cookie cannot reach another."""
    seen: list[tuple[str, str | None]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        key = request.headers["authorization"].removeprefix("Bearer ")
        seen.append((key, request.headers.get("cookie")))
        return httpx.Response(200, json={"data": []}, headers=[
            ("set-cookie", f"session={key[-6:]}; Path=/"), ("set-cookie", "__cf_bm=abc; Path=/; Domain=api.telnyx.test")])

    client = RequestKeyClient(default_api_key=None, base_url="https://api.telnyx.test/v2",
                              transport=httpx.MockTransport(answer))
    from telnyx_iot_mcp.tools.request import ApiRequest

    async def call(key: str) -> None:
        masking.request_api_key.set(key)
        await client.send(ApiRequest("GET", "/sim_cards", operation="list_sim_cards"))

    for key in (SERVER_KEY, CALLER_KEY, SERVER_KEY):
        async with anyio.create_task_group() as group:
            group.start_soon(call, key)
    await client.aclose()
    assert [k for k, _ in seen] == [SERVER_KEY, CALLER_KEY, SERVER_KEY]
    assert [cookie for _, cookie in seen] == [None, None, None]


@pytest.mark.parametrize("secret", ["Kq7w2Xr9pL4m8Tz3Vb6n", "58213907ab46cd91ef35", 'tok"en\\with-escapes-77'])
def test_an_audit_line_is_masked_in_one_pass_exactly_as_string_by_string(secret, monkeypatch):
    """The audit log masks its JSON text once (cheap enough for a line per read); the result must equal masking
    every string, also when a secret holds characters JSON escapes or digits that turn up in a number."""
    from telnyx_iot_mcp.tools.redact import redact_json, redact_value

    monkeypatch.setattr(masking, "_secrets", set())  # this secret only, and not for the tests after
    register_secret(secret)
    digits = int("".join(c for c in secret if c.isdigit())[:12] or 0)
    line = {"detail": f"upstream said {secret[:9]}... and {secret[-10:]}", "n": digits, "request_id": 7,
            "arguments": {"note": f"x{secret}y", "tags": [secret[3:14], "plain words here"]}, "ok": None}
    value, text = redact_json(line)
    assert value == redact_value(line) and json.loads(text) == value
    strings = json.dumps({k: v for k, v in value.items() if k != "n"})  # numbers are not masked, as before
    assert not any(json.dumps(secret[i:i + 8])[1:-1] in strings for i in range(len(secret) - 7))


def test_learned_secrets_are_masked_in_their_account_only_as_whole_values_or_long_runs():
    from telnyx_iot_mcp.tools.redact import LEARNED_RUN, MAX_LEARNED, learn_secret

    secret = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"
    tenant = masking.request_api_key.set(CALLER_KEY)
    try:
        learn_secret(secret)
        learn_secret("short-value")  # under LEARNED_RUN characters: masks nothing, anywhere
        assert redact(f"echo {secret[5:5 + LEARNED_RUN]}!") == f"echo {MASK}!"
        assert redact(f"echo {secret[5:5 + LEARNED_RUN - 1]}!") == f"echo {secret[5:5 + LEARNED_RUN - 1]}!"
        assert redact("a short-value b") == "a short-value b"
        assert redact(secret, learned=False) == secret  # what the audit log's identifying fields get
        for n in range(MAX_LEARNED):
            learn_secret(f"{n:04d}-another-credential-value")
        assert redact(secret) == secret and redact("0063-another-credential-value") == MASK  # the oldest went
    finally:
        masking.request_api_key.reset(tenant)
    assert redact("0063-another-credential-value") == "0063-another-credential-value"  # another account
