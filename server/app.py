"""The MCP server: a tool list and one call path, both derived from the registry."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

from mcp import types
from mcp.server import Server, ServerRequestContext

from .. import __version__
from ..tools.client import TelnyxClient
from ..tools.errors import ToolError
from ..tools.executor import check_arguments, execute
from ..tools.registry import OPERATIONS, Operation
from ..tools.schema import input_schema, output_schema
from .audit import RequestIdRecorder
from .gate import Gate, Verdict

log = logging.getLogger("telnyx_iot_mcp")

INSTRUCTIONS = (
    "Tools for a fleet of Telnyx IoT SIM cards. Find SIMs with list_sim_cards (filters, sort by data use) "
    "and groups with list_sim_card_groups; status changes return actions to poll with get_sim_card_action. "
    "Calls that disconnect devices, delete things or cost money ask the user to confirm first."
)
GATED_NOTE = " Asks the user to confirm before it runs."


def tool_for(op: Operation) -> types.Tool:
    return types.Tool(
        name=op.name,
        title=op.title,
        description=op.description + (GATED_NOTE if op.gated else ""),
        input_schema=input_schema(op.name),
        output_schema=output_schema(op.name),
        annotations=types.ToolAnnotations(
            title=op.title,
            read_only_hint=op.read_only,
            destructive_hint=op.kind == "destructive",
            idempotent_hint=op.is_idempotent,
            open_world_hint=True,
        ),
    )


def text_result(payload: dict[str, Any], *, is_error: bool = False, text: str | None = None) -> types.CallToolResult:
    body = text if text is not None else json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=body)], structured_content=payload, is_error=is_error,
    )


def error_result(error: ToolError) -> types.CallToolResult:
    payload = error.payload
    text = payload["message"] + (f" Hint: {payload['hint']}" if payload.get("hint") else "")
    return text_result({"error": payload}, is_error=True, text=text)


def create_server(client: TelnyxClient, operations: Iterable[Operation] | None = None, *,
                  gate: Gate | None = None) -> Server:
    """An MCP server exposing `operations` (default: all of them) that calls Telnyx through `client`.

    `gate` decides which calls need a person's yes (default: ask, or a confirmation token)."""
    gate = gate or Gate(client)
    exposed = {op.name: op for op in (operations if operations is not None else OPERATIONS.values())}
    tools = [tool_for(op) for op in exposed.values()]

    async def list_tools(ctx: ServerRequestContext, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tools)

    async def run_operation(ctx: ServerRequestContext, params: types.CallToolRequestParams, op: Operation,
                            arguments: dict[str, Any]) -> types.CallToolResult | types.InputRequiredResult:
        """The one call path of every operation: validate, gate, execute, shape the result."""
        verdict: Verdict | None = None
        try:
            check_arguments(op, arguments)
            verdict = await gate.check(ctx, params, op, arguments)
            if verdict.reply is not None:  # the user is being asked (2026-07-28 round trip)
                return verdict.reply
            sent = RequestIdRecorder(client)
            result = text_result(await execute(sent, op, verdict.arguments))
            gate.finish(verdict, "ok", sent.request_id)
            return result
        except ToolError as error:
            if verdict is not None:
                gate.finish(verdict, "error", error.payload.get("request_id"), error.message)
            return error_result(error)
        except Exception:  # the server must answer, whatever broke
            log.exception("tool %s failed unexpectedly", op.name)
            if verdict is not None:
                gate.finish(verdict, "error", detail="failed inside the server")
            return error_result(ToolError("internal", f"{op.name} failed inside the server; nothing more is known."))

    async def call_tool(ctx: ServerRequestContext, params: types.CallToolRequestParams) -> types.CallToolResult:
        op = exposed.get(params.name)
        if op is None:
            why = "is not offered by this server's configuration" if params.name in OPERATIONS else "does not exist"
            return error_result(ToolError("unknown_tool", f"Tool {params.name!r} {why}."))
        return await run_operation(ctx, params, op, dict(params.arguments or {}))

    return Server(
        "telnyx-iot-mcp", version=__version__, title="Telnyx IoT", instructions=INSTRUCTIONS,
        on_list_tools=list_tools, on_call_tool=call_tool,
    )
