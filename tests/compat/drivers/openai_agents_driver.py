"""openai-agents: MCPServerStdio / MCPServerStreamableHttp, its own conversion (strict or not), its FunctionTools."""

import asyncio
import json
import sys

from agents.mcp import MCPServerStdio, MCPServerStreamableHttp, MCPUtil
from agents.tool_context import ToolContext

import scenario


async def main(config: dict) -> None:
    strict = config["strict"]
    if config.get("url"):
        server = MCPServerStreamableHttp(params={"url": config["url"]}, client_session_timeout_seconds=30)
    else:
        server = MCPServerStdio(params={"command": config["command"][0], "args": config["command"][1:],
                                        "env": config["env"]}, client_session_timeout_seconds=30)
    async with server:
        listed = await server.list_tools()
        tools = {t.name: MCPUtil.to_function_tool(t, server, convert_schemas_to_strict=strict) for t in listed}
        report = {"tools": len(listed), "not_strict": sorted(n for n, t in tools.items() if t.strict_json_schema != strict)}
        schemas = {name: tool.params_json_schema for name, tool in tools.items()}

        async def call(name: str, arguments: dict) -> str:
            text = json.dumps(arguments)
            context = ToolContext(context=None, tool_name=name, tool_call_id="call-1", tool_arguments=text)
            return scenario.text_of(await tools[name].on_invoke_tool(context, text))

        report.update(await scenario.run(call, dynamic=config["dynamic"], schemas=schemas, strict=strict))
    scenario.emit(report)


asyncio.run(main(json.loads(sys.argv[1])))
