"""The OpenAI Agents SDK with the server's tools (`pip install openai-agents`, OPENAI_API_KEY set).

    python examples/openai_agents.py "Which SIMs in Trackers used more than 1 GB this month?"

On the sandbox unless TELNYX_API_KEY is set. The SDK cannot elicit: calls that need a yes come back with a
confirmation token, and the agent must ask you before repeating them (the server's instructions say so).
"""

from __future__ import annotations

import asyncio
import sys

from agents import Agent, Runner
from agents.mcp import MCPServerStdio

from fleet_server import command_and_args, server_env


async def main(question: str) -> None:
    command, args = command_and_args()
    params = {"command": command, "args": args, "env": server_env()}
    # A Telnyx call can take longer than the SDK's 5 s default, wait_for_action up to 50 s.
    async with MCPServerStdio(params=params, client_session_timeout_seconds=60) as fleet:
        agent = Agent(name="Fleet", instructions="You look after a fleet of IoT SIM cards.", mcp_servers=[fleet],
                      mcp_config={"convert_schemas_to_strict": True})
        print((await Runner.run(agent, question)).final_output)


if __name__ == "__main__":
    asyncio.run(main(" ".join(sys.argv[1:]) or "Which SIMs are over their data limit?"))
