"""The HTTP service under abuse, with its default bounds (server/limits.py): memory stays within a small
machine, one client's flood of sessions leaves room for others, slow connections are closed."""

from __future__ import annotations

import json
import socket
import time

import anyio
import httpx
import pytest

from service_process import HEADERS, INITIALIZE, ServiceProcess, rss_peak_mib

pytestmark = pytest.mark.anyio

NEAR_CAP = 1_000_000  # the default cap of a body is 1 MiB


def big_call(n: int) -> bytes:
    """A tools/call of about NEAR_CAP bytes: one long string argument."""
    call = {"jsonrpc": "2.0", "id": n, "method": "tools/call",
            "params": {"name": "list_sim_cards", "arguments": {"filter_tags": "x"}}}
    text = json.dumps(call)
    return text.replace('"x"', json.dumps("x" * (NEAR_CAP - len(text)))).encode()


async def flood_of_bodies(service: ServiceProcess, count: int) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        answers: list[httpx.Response] = []
        go = anyio.Event()

        async def post(n: int) -> None:
            body = big_call(n)
            await go.wait()
            answers.append(await client.post(service.base + "/mcp", content=body, headers=HEADERS))

        async with anyio.create_task_group() as group:
            for n in range(count):
                group.start_soon(post, n)
            await anyio.sleep(0.5)
            go.set()
    return answers


@pytest.mark.slow
async def test_three_hundred_concurrent_near_cap_bodies_keep_memory_under_400_mib(tmp_path):
    with ServiceProcess(tmp_path, "--stateless") as service:
        answers = await flood_of_bodies(service, 300)
        peak = rss_peak_mib(service.process.pid)
        assert service.process.poll() is None
        assert httpx.get(service.base + "/healthz").status_code == 200
    statuses = sorted({a.status_code for a in answers})
    print(f"peak RSS {peak:.0f} MiB; answers {statuses}")
    assert len(answers) == 300 and set(statuses) <= {200, 503}
    assert all(a.headers.get("retry-after") for a in answers if a.status_code == 503)
    assert any(a.status_code == 200 for a in answers)
    assert peak < 400


@pytest.mark.slow
@pytest.mark.timeout(900)  # 10,000 handshakes one after another: about two minutes on a 2-core machine
async def test_a_flood_of_sessions_from_one_address_leaves_room_for_another(tmp_path):
    with ServiceProcess(tmp_path) as service:
        opened, refused = 0, []
        with httpx.Client(timeout=30) as flood:
            for _ in range(10_000):
                answer = flood.post(service.base + "/mcp", json=INITIALIZE, headers=HEADERS)
                if answer.status_code == 200:
                    opened += 1
                else:
                    refused.append(answer)
        other = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=30)
        with other:
            session = service.open_session(other)
            listed = other.post(service.base + "/mcp", headers=session,
                                json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert opened == 100 and len(refused) == 9_900  # the default number of sessions per client
    assert {a.status_code for a in refused} == {429} and all(a.headers.get("retry-after") for a in refused)
    assert "sessions open" in refused[0].json()["error"]["message"]
    assert listed.status_code == 200 and "list_sim_cards" in listed.text


async def test_connections_that_send_their_headers_slowly_are_closed_within_the_timeout(tmp_path):
    with ServiceProcess(tmp_path, TELNYX_IOT_MCP_HTTP_HEADER_TIMEOUT="2") as service:
        slow = []
        for n in range(50):
            s = socket.create_connection(("127.0.0.1", service.port))
            if n % 2:  # half send part of a request's headers, half nothing at all
                s.sendall(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            slow.append(s)
        started = time.monotonic()
        closed_after = []
        for s in slow:
            s.settimeout(max(0.1, 6 - (time.monotonic() - started)))
            try:
                closed = s.recv(1024) == b""
            except (TimeoutError, socket.timeout):
                closed = False
            except ConnectionResetError:
                closed = True
            closed_after.append(time.monotonic() - started if closed else None)
            s.close()
        # a client that does send its request in time is served as usual
        assert httpx.get(service.base + "/healthz").status_code == 200
    assert None not in closed_after and max(closed_after) < 4, closed_after


async def test_a_body_that_does_not_arrive_in_time_is_answered_408(tmp_path):
    with ServiceProcess(tmp_path, TELNYX_IOT_MCP_HTTP_BODY_TIMEOUT="1") as service:
        with socket.create_connection(("127.0.0.1", service.port)) as s:
            s.sendall(f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{service.port}\r\nContent-Type: application/json\r\n"
                      "Accept: application/json, text/event-stream\r\nContent-Length: 1000\r\n\r\n{".encode())
            s.settimeout(10)
            started = time.monotonic()
            answer = s.recv(4096)
            took = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408") and took < 3


def test_a_client_at_its_session_limit_gets_room_back_when_it_ends_a_session():
    from served_http import ServedMcp

    with ServedMcp(http_sessions_per_client=2) as served, httpx.Client(timeout=30) as client:
        opened = [client.post(served.url, json=INITIALIZE, headers=HEADERS) for _ in range(3)]
        assert [a.status_code for a in opened] == [200, 200, 429]
        assert opened[2].headers["retry-after"] == "60"
        ended = client.delete(served.url, headers={**HEADERS, "mcp-session-id": opened[0].headers["mcp-session-id"],
                                                   "mcp-protocol-version": "2025-11-25"})
        assert ended.status_code < 300
        assert client.post(served.url, json=INITIALIZE, headers=HEADERS).status_code == 200
        assert client.post(served.url, json=INITIALIZE, headers=HEADERS).status_code == 429


def test_a_request_beyond_the_body_memory_is_answered_503_with_retry_after():
    from served_http import ServedMcp

    with ServedMcp(stateless=True, http_body_memory=1_500_000) as served, \
            socket.create_connection(("127.0.0.1", served.port)) as holding:
        # one request holds 1 MB of the 1.5 MB budget while its body is on its way
        holding.sendall(f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{served.port}\r\nContent-Type: application/json\r\n"
                        "Accept: application/json, text/event-stream\r\nContent-Length: 1000000\r\n\r\n{".encode())
        time.sleep(0.3)
        busy = httpx.post(served.url, content=big_call(1), headers=HEADERS, timeout=30)
        small = httpx.post(served.url, json=INITIALIZE, headers=HEADERS, timeout=30)
    assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
    assert "busy" in busy.json()["error"]["message"]
    assert small.status_code == 200  # a small body still fits
