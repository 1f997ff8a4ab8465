"""tools/call answers serialized once, on their way out.

The MCP SDK turns a handler's result into its wire form by dumping the model, validating the dump against the
protocol version's schema and dumping that again: three walks over the payload (a page of 250 SIMs is
hundreds of KB) before the transport encodes it a fourth time. A plain text result (text content and
structured content, what nearly every call returns) needs none of that: the SDK shapes a stand-in with the
same flags (its envelope: the fields this protocol version has, resultType, serverInfo), and the real content
takes the stand-in's place. Any other result (a card with `_meta`, a question for the user) goes the SDK's
whole way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from mcp import types
from mcp.server import ServerRequestContext

Handler = Callable[[ServerRequestContext, types.CallToolRequestParams], Awaitable[Any]]
_held: ContextVar[list[types.CallToolResult] | None] = ContextVar("plain_result", default=None)


def is_plain(result: Any) -> bool:
    return (type(result) is types.CallToolResult and result.meta is None
            and isinstance(result.structured_content, (dict, type(None)))
            and all(type(c) is types.TextContent and c.annotations is None and c.meta is None
                    for c in result.content))


def sent_once(call_tool: Handler) -> Handler:
    """The tools/call handler: a plain result is held for `in_wire_form`, the SDK shapes a stand-in."""
    async def handler(ctx: ServerRequestContext, params: types.CallToolRequestParams) -> Any:
        result = await call_tool(ctx, params)
        held = _held.get()
        if held is None or not is_plain(result):
            return result
        held.append(result)
        return types.CallToolResult(content=[], is_error=result.is_error,
                                    structured_content=None if result.structured_content is None else {})
    return handler


async def in_wire_form(ctx: ServerRequestContext, call_next: Callable[[ServerRequestContext], Awaitable[Any]]) -> Any:
    """Server middleware: the shaped stand-in of a held result, with the result's own content."""
    if ctx.method != "tools/call":
        return await call_next(ctx)
    held: list[types.CallToolResult] = []
    token = _held.set(held)
    try:
        shaped = await call_next(ctx)
    finally:
        _held.reset(token)
    if not held:
        return shaped
    result, shaped = held[0], dict(shaped)
    shaped["content"] = [{"type": "text", "text": c.text} for c in result.content]
    if "structuredContent" in shaped:  # not in the oldest protocol versions
        shaped["structuredContent"] = result.structured_content
    return shaped


def traced() -> bool:
    """Whether an OpenTelemetry tracer provider was set up before the server was built (opentelemetry-instrument,
    or the application's own): the SDK's span per message is a no-op without one, but not a free one (about a
    twentieth of a call's CPU over streamable HTTP)."""
    from opentelemetry import trace

    return not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)


def warm() -> None:
    """Builds what the SDK builds on the first tools/call (its request and result checks for each protocol
    version), ahead of it."""
    from mcp_types import methods
    from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSIONS

    for version in (*HANDSHAKE_PROTOCOL_VERSIONS, *MODERN_PROTOCOL_VERSIONS):
        for check in (lambda: methods.validate_client_request("tools/call", version, {"name": "warm"}),
                      lambda: methods.serialize_server_result("tools/call", version, {"content": []})):
            try:
                check()
            except Exception:  # a request without this era's envelope: the check is built all the same
                pass
    types.CallToolRequestParams.model_validate({"name": "warm"})
