"""The server through the official MCP Python SDK, no model: list the tools, read the fleet, and make one change
that needs a yes, answered by you on the terminal.

    python examples/mcp_sdk.py            # on the sandbox (no key)
    TELNYX_API_KEY=... python examples/mcp_sdk.py --live

Runs the console script of the environment it is started from (`pip install -e .` in a checkout, or
`pip install telnyx-iot-mcp`).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters, types

SERVER = shutil.which("telnyx-iot-mcp", path=str(Path(sys.executable).parent)) or "telnyx-iot-mcp"


async def ask_on_the_terminal(context, params: types.ElicitRequestParams) -> types.ElicitResult:
    """What a client does when the server asks for a yes: show the question to a person."""
    field = next(iter(params.requested_schema["properties"].values()))
    said = input(f"{params.message}\n{field.get('description', 'Go ahead?')} [y/N or the text asked for] ").strip()
    if not said or said.lower() in ("n", "no"):
        return types.ElicitResult(action="decline")
    answer = said.lower() in ("y", "yes") if field.get("type") == "boolean" else said
    return types.ElicitResult(action="accept", content={next(iter(params.requested_schema["properties"])): answer})


async def main(live: bool) -> None:
    server = StdioServerParameters(command=SERVER, args=[] if live else ["--sandbox", "--state-url", "memory"])
    async with Client(server, elicitation_callback=ask_on_the_terminal) as client:
        tools = (await client.list_tools()).tools
        print(f"{len(tools)} tools, e.g. {', '.join(t.name for t in tools[:4])}")
        found = await client.call_tool("list_sim_cards", {"status": ["enabled"], "page_size": 3,
                                                          "fields": ["id", "iccid", "status.value"]})
        sims = found.structured_content["data"]
        print(json.dumps(sims, indent=2))
        if live or not sys.stdin.isatty():
            return  # a change on a real fleet is yours to make; without a terminal nobody could say yes
        answer = await client.call_tool("set_sim_card_standby", {"sim_card_id": sims[0]["id"]})
        print(json.dumps(answer.structured_content, indent=2))


if __name__ == "__main__":
    anyio.run(main, "--live" in sys.argv)
