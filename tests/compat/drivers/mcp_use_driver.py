"""mcp-use: MCPClient with one session to the server, and its two adapters as an app uses them. The LangChain
adapter (what MCPAgent runs: BaseTools whose pydantic models it builds from each input schema, so every optional
argument the model leaves out is sent as null) with langchain-core's OpenAI conversion (strict or not), each call
through the tool's ainvoke. The OpenAI adapter (function definitions, and `tool_executors[name](**arguments)`,
which takes the tool name as its own `name` argument): the same calls through it. Then a client with an
elicitation callback: the gated call is asked mid-call and runs with no token."""

import asyncio
import json
import os
import sys

os.environ.setdefault("MCP_USE_ANONYMIZED_TELEMETRY", "false")  # nothing leaves the machine

from langchain_core.utils.function_calling import convert_to_openai_tool
from mcp import types
from mcp_use import MCPClient  # noqa: E402
from mcp_use.agents.adapters import LangChainAdapter, OpenAIMCPAdapter

import scenario

SENT: list[dict] = []  # the arguments each call put on the wire


def client_for(config: dict, **options) -> MCPClient:
    server = {"url": config["url"], "timeout": 30} if config.get("url") else \
        {"command": config["command"][0], "args": config["command"][1:], "env": config["env"]}
    client = MCPClient.from_dict({"mcpServers": {"telnyx": server}}, **options)
    return client


def recording(client: MCPClient) -> None:
    connector = client.get_session("telnyx").connector
    call_tool = connector.call_tool

    async def recorded(name, arguments, *rest, **options):
        SENT.append(dict(arguments))
        return await call_tool(name, arguments, *rest, **options)

    connector.call_tool = recorded


async def main(config: dict) -> None:
    strict, dynamic = config["strict"], config["dynamic"]
    client = client_for(config)
    await client.create_all_sessions()
    recording(client)
    tools = {tool.name: tool for tool in await LangChainAdapter().create_tools(client)}
    schemas, refused = {}, []
    for name, tool in tools.items():
        try:
            schemas[name] = convert_to_openai_tool(tool, strict=strict)["function"]["parameters"]
        except Exception as error:  # noqa: BLE001 - reported, and the test fails on it
            refused.append(f"{name}: {error}")
    report = {"tools": len(tools), "not_strict": refused}

    async def call(name: str, arguments: dict) -> str:
        return scenario.text_of(await tools[name].ainvoke(arguments))

    report.update(await scenario.run(call, dynamic=dynamic, schemas=schemas, strict=strict))
    report["nulls_sent"] = sum(value is None for sent in SENT for value in sent.values())

    # The OpenAI adapter: its function definitions as given to the model, its executors as the app calls them.
    openai = OpenAIMCPAdapter()
    definitions = {tool["function"]["name"]: tool["function"] for tool in await openai.create_tools(client)}

    async def executed(name: str, arguments: dict) -> str:
        result = await openai.tool_executors[name](**arguments)  # parse_result gives the model the content's repr
        return scenario.text_of(list(result.content))

    through_openai = await scenario.run(executed, dynamic=dynamic, strict=False,
                                        schemas={name: d["parameters"] for name, d in definitions.items()})
    report["openai_adapter"] = {"tools": len(definitions), "read": through_openai["read"],
                                "get": through_openai["get"], "gated": through_openai["gated"]}
    if dynamic:  # an argument named `name` would have been taken as the tool to call
        described = json.loads(await executed("describe_operation", {"operation": "get_sim_card"}))
        report["openai_adapter"]["described"] = described.get("name") == "get_sim_card" and "input_schema" in described
    await client.close_all_sessions()

    async def elicitation(context, params):
        return types.ElicitResult(action="accept", content=scenario.answer(params))

    client = client_for(config, elicitation_callback=elicitation)
    await client.create_all_sessions()
    tools = {tool.name: tool for tool in await LangChainAdapter().create_tools(client)}
    report.update(await scenario.elicited(call, dynamic=dynamic, schemas=schemas, strict=strict))
    report["elicited"] = len(scenario.ASKED)
    await client.close_all_sessions()
    scenario.emit(report)


asyncio.run(main(json.loads(sys.argv[1])))
