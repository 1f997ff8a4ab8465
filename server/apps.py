"""MCP Apps (`io.modelcontextprotocol/ui`): the fleet dashboard and the confirmation card, for hosts that draw Apps.

One self-contained HTML App (`ui/app.html`: no external scripts, fonts or requests, so the host's default
content policy holds) draws whichever result it is given: the fleet dashboard, or, for a call that needs a
person's yes (by class, effect rule, change plan or secret reveal) from a host that renders Apps but cannot
elicit, a card drawn from the very form request an elicitation would send (message and requested schema),
with Confirm / Cancel buttons.

Confirm calls `confirm_change`, a tool only the App may call (`visibility: ["app"]`, listed only to clients
that declare the extension), with the form's answer. Its token travels in the result's `_meta`, which hosts
keep from the model, and is of a purpose the tool itself refuses: the model is given nothing it could confirm
with by itself. The exact call then runs through the ordinary call path, its answer judged by the gate like
an elicited one (server/gate.py).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from mcp import types
from mcp.server import ServerRequestContext
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID, client_supports_apps

APP_URI = "ui://telnyx-iot-mcp/app.html"
CONFIRM_TOOL = "confirm_change"
CONFIRMATION_META = "io.github.telnyx-iot-mcp/confirmation"  # result _meta key the card reads its token from
UI_META = {"ui": {"resourceUri": APP_URI}}

CONFIRM_CHANGE = types.Tool(
    name=CONFIRM_TOOL,
    title="Run a change the user confirmed",
    description="Runs the exact call a person confirmed in its confirmation card. Called by the card only.",
    input_schema={
        "type": "object",
        "properties": {
            "tool": {"type": "string"},
            "arguments": {"type": "object"},
            "confirmation": {"type": "string"},
            "content": {"type": "object", "description": "The answer to the card's form."},
        },
        "required": ["tool", "arguments", "confirmation"],
        "additionalProperties": False,
    },
    annotations=types.ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=False,
                                      open_world_hint=True),
    meta={"ui": {"resourceUri": APP_URI, "visibility": ["app"]}},
)


def draws_apps(ctx: ServerRequestContext) -> bool:
    """Whether the client declared the MCP Apps extension with the HTML App type."""
    try:
        return client_supports_apps(ctx)
    except AttributeError:  # no session capabilities (an in-process call without a handshake)
        return False


@cache
def app_html() -> str:
    return resources.files(__package__).joinpath("ui", "app.html").read_text(encoding="utf-8")


def with_app(tool: types.Tool) -> types.Tool:
    """The tool with its results drawn by the App."""
    return tool.model_copy(update={"meta": {**(tool.meta or {}), **UI_META}})


RESOURCE = types.Resource(uri=APP_URI, name="telnyx_iot_app", title="Telnyx IoT fleet dashboard and confirmations",
                          description="Draws the fleet dashboard and the confirmation card of gated calls.",
                          mime_type=APP_MIME_TYPE)


async def list_resources(ctx: ServerRequestContext,
                         params: types.PaginatedRequestParams | None) -> types.ListResourcesResult:
    return types.ListResourcesResult(resources=[RESOURCE])


async def read_resource(ctx: ServerRequestContext, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
    if str(params.uri) != APP_URI:
        raise ValueError(f"no resource {params.uri}; this server has one: {APP_URI}")
    return types.ReadResourceResult(contents=[types.TextResourceContents(
        uri=APP_URI, mime_type=APP_MIME_TYPE, text=app_html(),
        meta={"ui": {"csp": {}, "prefersBorder": True}})])


def card_result(operation: str, arguments: dict[str, Any], token: str, ask: types.ElicitRequestFormParams,
                summary: str, expires_at: str) -> types.CallToolResult:
    """A call's answer to an Apps host that cannot elicit: text telling the model to wait, and the card, which
    carries the form request an elicitation would have sent."""
    text = (f"Waiting for the user: they are shown a card to confirm or cancel this change. {summary} "
            "Nothing was sent to Telnyx. Do not call the tool again or try to confirm it yourself; the user's "
            "answer will come in the conversation.")
    card = {
        "tool": CONFIRM_TOOL, "operation": operation, "arguments": arguments, "token": token,
        "title": "Confirm this change", "expires_at": expires_at,
        "elicitation": ask.model_dump(mode="json", by_alias=True, exclude_none=True),
    }
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)],
        structured_content={"confirmation": {"status": "awaiting_user", "operation": operation,
                                             "question": ask.message, "expires_at": expires_at}},
        meta={CONFIRMATION_META: card},
    )


__all__ = ["APP_MIME_TYPE", "APP_URI", "CONFIRM_CHANGE", "CONFIRM_TOOL", "EXTENSION_ID", "app_html", "card_result", "draws_apps",
           "list_resources", "read_resource", "with_app"]
