"""Pydantic AI with the server's tools (`pip install "pydantic-ai-slim[mcp,openai]"`, OPENAI_API_KEY set),
asking you on the terminal when a call needs a yes.

    python examples/pydantic_ai_agent.py "Put the SIMs of group Test Bench on standby"
"""

from __future__ import annotations

import asyncio
import sys

from fastmcp.client.transports import StdioTransport
from pydantic_ai import Agent
from pydantic_ai.mcp import MCPToolset

from fleet_server import ask, command_and_args, server_env


async def confirm(message, response_type, params, context):
    return {"confirm": ask(message, params.requested_schema["properties"]["confirm"])}


async def main(question: str) -> None:
    command, args = command_and_args()
    fleet = MCPToolset(StdioTransport(command, args, env=server_env()), include_instructions=True,
                       elicitation_handler=confirm, init_timeout=60)  # 5 s by default: short for uvx's first run
    agent = Agent("openai:gpt-5", toolsets=[fleet])
    print((await agent.run(question)).output)


if __name__ == "__main__":
    asyncio.run(main(" ".join(sys.argv[1:]) or "Which SIMs are over their data limit?"))
