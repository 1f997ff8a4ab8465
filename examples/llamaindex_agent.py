"""LlamaIndex with the server's tools (`pip install llama-index-tools-mcp llama-index-llms-openai`,
OPENAI_API_KEY set). BasicMCPClient takes no elicitation callback: calls that need a yes come back with a
confirmation token, and the agent must ask you before repeating them.

    python examples/llamaindex_agent.py "Which SIMs are disabled?"
"""

from __future__ import annotations

import asyncio
import sys

from llama_index.core.agent.workflow import FunctionAgent
from llama_index.llms.openai import OpenAI
from llama_index.tools.mcp import BasicMCPClient, McpToolSpec

from fleet_server import command_and_args, server_env


async def main(question: str) -> None:
    command, args = command_and_args()
    client = BasicMCPClient(command, args=args, env=server_env(), timeout=60)  # wait_for_action: up to 50 s
    tools = await McpToolSpec(client).to_tool_list_async()
    agent = FunctionAgent(tools=tools, llm=OpenAI(model="gpt-5"))
    print(await agent.run(question))


if __name__ == "__main__":
    asyncio.run(main(" ".join(sys.argv[1:]) or "Which SIMs are over their data limit?"))
