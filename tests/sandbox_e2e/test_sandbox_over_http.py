"""`telnyx-iot-mcp sandbox --port N` serves the Telnyx-compatible API on 127.0.0.1 for curl and other tools."""

from __future__ import annotations

import subprocess
import time

import httpx

from processes import SCRIPT, clean_env, free_port


def start(*args: str, **env: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([SCRIPT, "sandbox", "--port", str(port), *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=clean_env(**env))
    url = f"http://127.0.0.1:{port}/v2"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/wireless/regions", params={"product": "public_ips"}, timeout=1)
            return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"sandbox did not start: {process.stderr.read() if process.stderr else ''}")


def stop(process: subprocess.Popen) -> tuple[str, str]:
    process.terminate()
    return process.communicate(timeout=10)


def test_sandbox_serves_the_api_over_http():
    process, url = start()
    try:
        listed = httpx.get(url + "/sim_cards", params={"page[size]": "5", "filter[status]": "enabled"}).json()
        assert len(listed["data"]) == 5 and listed["meta"]["total_results"] > 5
        assert all(s["status"]["value"] == "enabled" for s in listed["data"])
        created = httpx.post(url + "/sim_card_groups", json={"name": "From curl"})
        assert created.status_code == 200 and created.json()["data"]["name"] == "From curl"
        bad = httpx.post(url + "/sim_card_data_usage_notifications", json={"sim_card_id": "x", "threshold": {}})
        assert bad.status_code == 422 and bad.json()["errors"][0]["source"]["pointer"]
    finally:
        out, err = stop(process)
    assert out == ""
    assert "sandbox" in err.lower()


def test_sandbox_can_require_the_api_key():
    process, url = start("--api-key-required", TELNYX_API_KEY="sandbox-key")
    try:
        assert httpx.get(url + "/sim_cards").status_code == 401
        assert httpx.get(url + "/sim_cards", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert httpx.get(url + "/sim_cards", headers={"Authorization": "Bearer sandbox-key"}).status_code == 200
    finally:
        stop(process)
