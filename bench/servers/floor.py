"""The floor for cold start: a bare two-tool `mcp` low-level server over stdio, nothing else imported."""

import anyio
from mcp import types
from mcp.server import Server
from mcp.server.stdio import stdio_server

TOOLS = [
    types.Tool(name=name, description=f"{name} a number.",
               input_schema={"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]})
    for name in ("double", "negate")
]


async def list_tools(ctx, params) -> types.ListToolsResult:
    return types.ListToolsResult(tools=TOOLS)


async def call_tool(ctx, params) -> types.CallToolResult:
    x = int((params.arguments or {}).get("x", 0))
    value = 2 * x if params.name == "double" else -x
    return types.CallToolResult(content=[types.TextContent(type="text", text=str(value))])


async def main() -> None:
    server = Server("floor", on_list_tools=list_tools, on_call_tool=call_tool)
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


if __name__ == "__main__":
    anyio.run(main)
