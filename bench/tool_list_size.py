"""How much context each configuration's tools/list takes, and what `fields` saves on a list result.

    .venv/bin/python bench/tool_list_size.py

Sizes are the compact JSON of tools/list as a client receives it (tokens ~ bytes / 4).
"""

from __future__ import annotations

import json

import anyio
import httpx
from mcp import Client

from telnyx_iot_mcp.sandbox import create_app
from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.server.selection import select
from telnyx_iot_mcp.server.settings import Settings
from telnyx_iot_mcp.tools.client import TelnyxClient
from telnyx_iot_mcp.tools.registry import TOOLSETS


def compact(value) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


async def tools_list_bytes(client: TelnyxClient, settings: Settings) -> tuple[int, int]:
    server = create_server(client, select(settings), tools_mode=settings.tools_mode)
    async with Client(server) as mcp:
        tools = (await mcp.list_tools()).tools
    return len(tools), compact([t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools])


async def main() -> None:
    client = TelnyxClient(base_url="http://sandbox/v2", transport=httpx.ASGITransport(app=create_app()))
    rows = [("all tools (static)", Settings()), ("read-only", Settings(read_only=True)),
            ("dynamic mode", Settings(tools_mode="dynamic"))]
    rows += [(f"toolset {name}", Settings(toolsets=[name])) for name in TOOLSETS]
    print(f"{'configuration':40} {'tools':>5} {'bytes':>8} {'~tokens':>8}")
    for label, settings in rows:
        count, size = await tools_list_bytes(client, settings)
        print(f"{label:40} {count:5} {size:8} {size // 4:8}")

    async with Client(create_server(client)) as mcp:
        whole = await mcp.call_tool("list_sim_cards", {"page_size": 48})
        trimmed = await mcp.call_tool("list_sim_cards", {"page_size": 48, "fields": ["id", "iccid", "status.value"]})
    print(f"\nlist_sim_cards, 48 records: {compact(whole.structured_content)} bytes whole, "
          f"{compact(trimmed.structured_content)} bytes with fields=[id, iccid, status.value]")
    await client.aclose()


if __name__ == "__main__":
    anyio.run(main)
