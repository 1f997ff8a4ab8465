"""LangChain: MultiServerMCPClient in its default mode (a new MCP session, so a new stdio server, per tool
call), its StructuredTools, and langchain-core's OpenAI conversion (strict or not). Then a client with an
elicitation callback (Callbacks.on_elicitation): the gated call is asked mid-call and runs with no token."""

import asyncio
import json
import sys

from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_mcp_adapters.callbacks import Callbacks
from langchain_mcp_adapters.client import MultiServerMCPClient
from mcp import types

import scenario


async def main(config: dict) -> None:
    strict = config["strict"]
    if config.get("url"):
        connection = {"transport": "streamable_http", "url": config["url"]}
    else:
        connection = {"transport": "stdio", "command": config["command"][0], "args": config["command"][1:],
                      "env": config["env"]}
    client = MultiServerMCPClient({"telnyx": connection})
    tools = {tool.name: tool for tool in await client.get_tools()}
    schemas, refused = {}, []
    for name, tool in tools.items():
        try:
            schemas[name] = convert_to_openai_tool(tool, strict=strict)["function"]["parameters"]
        except Exception as error:  # noqa: BLE001 - reported, and the test fails on it
            refused.append(f"{name}: {error}")
    report = {"tools": len(tools), "not_strict": refused}

    async def call(name: str, arguments: dict) -> str:
        return scenario.text_of(await tools[name].ainvoke(arguments))

    report.update(await scenario.run(call, dynamic=config["dynamic"], schemas=schemas, strict=strict))

    async def on_elicitation(mcp_context, params, context):
        return types.ElicitResult(action="accept", content=scenario.answer(params))

    client = MultiServerMCPClient({"telnyx": connection}, callbacks=Callbacks(on_elicitation=on_elicitation))
    tools = {tool.name: tool for tool in await client.get_tools()}
    report.update(await scenario.elicited(call, dynamic=config["dynamic"], schemas=schemas, strict=strict))
    report["elicited"] = len(scenario.ASKED)
    scenario.emit(report)


asyncio.run(main(json.loads(sys.argv[1])))
