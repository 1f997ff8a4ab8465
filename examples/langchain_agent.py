"""LangChain / LangGraph with the server's tools (`pip install langchain-mcp-adapters langgraph
"langchain[openai]"`, OPENAI_API_KEY set), asking you on the terminal when a call needs a yes.

    python examples/langchain_agent.py "Put the SIMs of group Test Bench on standby"

On the sandbox unless TELNYX_API_KEY is set.
"""

from __future__ import annotations

import asyncio
import os
import sys

from langchain_mcp_adapters.callbacks import Callbacks
from langchain_mcp_adapters.client import MultiServerMCPClient
from langgraph.prebuilt import create_react_agent
from mcp import types

ARGS = ["telnyx-iot-mcp"] if os.environ.get("TELNYX_API_KEY") else ["telnyx-iot-mcp", "--sandbox"]


async def on_elicitation(mcp_context, params, context):
    """The server's question, answered by a person (the form has one field, "confirm")."""
    field = params.requestedSchema["properties"]["confirm"]
    said = input(f"{params.message}\n{field['description']} ").strip()
    answer = said.lower() in ("y", "yes") if field["type"] == "boolean" else said
    return types.ElicitResult(action="accept", content={"confirm": answer})


async def main(question: str) -> None:
    command, args = ("uvx", ARGS)
    if os.environ.get("TELNYX_IOT_MCP_COMMAND"):  # a checkout's console script, until the package is published
        command, args = os.environ["TELNYX_IOT_MCP_COMMAND"], ARGS[1:]
    client = MultiServerMCPClient(
        {"telnyx": {"transport": "stdio", "command": command, "args": args,
                    "env": {k: v for k, v in os.environ.items() if k.startswith(("TELNYX", "PATH", "HOME"))}}},
        callbacks=Callbacks(on_elicitation=on_elicitation))
    async with client.session("telnyx") as session:  # one server for the whole run
        from langchain_mcp_adapters.tools import load_mcp_tools

        agent = create_react_agent("openai:gpt-5", await load_mcp_tools(session))
        result = await agent.ainvoke({"messages": [("user", question)]})
        print(result["messages"][-1].content)


if __name__ == "__main__":
    asyncio.run(main(" ".join(sys.argv[1:]) or "Which SIMs are disabled?"))
