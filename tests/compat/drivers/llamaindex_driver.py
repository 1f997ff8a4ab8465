"""LlamaIndex: BasicMCPClient (a new MCP session, so a new stdio server, per call) and McpToolSpec's FunctionTools,
whose pydantic models it builds from each input schema; the tools as an OpenAI model is given them
(ToolMetadata.to_openai_tool), and each call through FunctionTool.acall, as its agents call a tool."""

import asyncio
import json
import sys

from llama_index.tools.mcp import BasicMCPClient, McpToolSpec

import scenario


async def main(config: dict) -> None:
    client = BasicMCPClient(config["command"][0], args=config["command"][1:], env=config["env"], timeout=60)
    tools = {tool.metadata.name: tool for tool in await McpToolSpec(client).to_tool_list_async()}
    schemas, refused = {}, []
    for name, tool in tools.items():
        try:
            schemas[name] = tool.metadata.to_openai_tool()["function"]["parameters"]
        except Exception as error:  # noqa: BLE001 - reported, and the test fails on it
            refused.append(f"{name}: {error}")
    report = {"tools": len(tools), "not_strict": refused}

    async def call(name: str, arguments: dict) -> str:
        output = await tools[name].acall(**arguments)
        raw = output.raw_output
        return scenario.text_of(list(raw.content)) if hasattr(raw, "content") else str(output.content)

    report.update(await scenario.run(call, dynamic=config["dynamic"], schemas=schemas, strict=False))
    scenario.emit(report)


asyncio.run(main(json.loads(sys.argv[1])))
