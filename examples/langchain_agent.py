"""LangChain / LangGraph with the server's tools (`pip install langchain-mcp-adapters langgraph
"langchain[openai]"`, OPENAI_API_KEY set), asking you on the terminal when a call needs a yes.

    python examples/langchain_agent.py "Put the SIMs of group Test Bench on standby"

On the sandbox unless TELNYX_API_KEY is set.
"""

from __future__ import annotations

import asyncio
import sys

from langchain_mcp_adapters.callbacks import Callbacks
from langchain_mcp_adapters.client import MultiServerMCPClient
from langgraph.prebuilt import create_react_agent
from langchain_mcp_adapters.tools import load_mcp_tools
from mcp import types

from fleet_server import ask, command_and_args, server_env


async def on_elicitation(mcp_context, params, context):
    answer = ask(params.message, params.requestedSchema["properties"]["confirm"])
    return types.ElicitResult(action="accept", content={"confirm": answer})


async def main(question: str) -> None:
    command, args = command_and_args()
    client = MultiServerMCPClient(
        {"telnyx": {"transport": "stdio", "command": command, "args": args, "env": server_env()}},
        callbacks=Callbacks(on_elicitation=on_elicitation))
    async with client.session("telnyx") as session:  # one server for the whole run
        agent = create_react_agent("openai:gpt-5", await load_mcp_tools(session))
        result = await agent.ainvoke({"messages": [("user", question)]})
        print(result["messages"][-1].content)


if __name__ == "__main__":
    asyncio.run(main(" ".join(sys.argv[1:]) or "Which SIMs are disabled?"))
