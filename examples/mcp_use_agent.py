"""mcp-use with the server's tools (`pip install mcp-use "langchain[openai]"`, OPENAI_API_KEY set), asking you
on the terminal when a call needs a yes.

    python examples/mcp_use_agent.py "Which SIMs in Trackers are disabled?"
"""

from __future__ import annotations

import asyncio
import sys

from langchain.chat_models import init_chat_model
from mcp import types
from mcp_use import MCPAgent, MCPClient

from fleet_server import ask, command_and_args, server_env


async def confirm(context, params):  # params of mcp 1.x, which mcp-use installs
    answer = ask(params.message, params.requestedSchema["properties"]["confirm"])
    return types.ElicitResult(action="accept", content={"confirm": answer})


async def main(question: str) -> None:
    command, args = command_and_args()
    client = MCPClient.from_dict({"mcpServers": {"telnyx": {"command": command, "args": args, "env": server_env()}}},
                                 elicitation_callback=confirm)
    agent = MCPAgent(llm=init_chat_model("openai:gpt-5"), client=client, max_steps=10)
    print(await agent.run(question))
    await client.close_all_sessions()


if __name__ == "__main__":
    asyncio.run(main(" ".join(sys.argv[1:]) or "Which SIMs are over their data limit?"))
