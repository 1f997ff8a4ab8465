"""Tools that are not one API call: declared here once, with their schemas, beside the registry's operations."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .registry.model import Kind, Toolset, enum, integer, uuid

# One call waits at most this long: the official TypeScript client (Claude Desktop, VS Code, Cursor) gives up
# on a request after 60 s by default, progress notifications or not. A longer wait is another call.
MAX_WAIT_SECONDS = 50
ACTION_KINDS = {  # kind argument -> the registry operation that reads one action of that kind
    "sim_card": "get_sim_card_action",
    "bulk": "get_bulk_sim_card_action",
    "group": "get_sim_card_group_action",
}


class LocalTool(BaseModel):
    """A tool the server implements itself; the same public fields as a registry Operation where they apply."""

    model_config = ConfigDict(frozen=True)

    name: str
    title: str
    description: str
    toolset: Toolset
    kind: Kind
    input: dict[str, Any]
    output: dict[str, Any] = Field(default_factory=lambda: {"type": "object"})
    is_idempotent: bool = True
    search_words: tuple[str, ...] = ()  # as on a registry Operation

    @property
    def read_only(self) -> bool:
        return self.kind == "read"

    @property
    def gated(self) -> bool:
        return False


WAIT_FOR_ACTION = LocalTool(
    name="wait_for_action",
    title="Wait for an action to finish",
    description="Wait for a SIM card, bulk or group action to complete, fail or be interrupted.",
    toolset="actions",
    kind="read",
    search_words=(
        "wait until done", "poll", "block until finished", "until it completes", "follow the action",
        "watch progress",
    ),
    input={
        "type": "object",
        "properties": {
            "action_id": uuid(),
            "kind": enum(*ACTION_KINDS),
            "timeout_seconds": integer(1, MAX_WAIT_SECONDS, default=MAX_WAIT_SECONDS,
                                       description="Per call; call again to wait longer."),
            "interval_seconds": {"type": "number", "minimum": 0.1, "maximum": 60, "default": 3},
        },
        "required": ["action_id", "kind"],
        "additionalProperties": False,
    },
    output={
        "type": "object",
        "properties": {
            "data": {"type": "object", "description": "The action as last read."},
            "meta": {"type": "object", "properties": {
                "status": {"type": "string"}, "done": {"type": "boolean"}, "timed_out": {"type": "boolean"},
                "polls": {"type": "integer"}, "waited_seconds": {"type": "number"}, "note": {"type": "string"},
            }},
        },
    },
)

SHOW_FLEET_DASHBOARD = LocalTool(
    name="show_fleet_dashboard",
    title="Show the fleet dashboard",
    description="The fleet at a glance: SIMs by status, data used by group and by SIM, SIMs over their limit, "
                "actions in progress or failed. Hosts with MCP Apps draw it.",
    toolset="sim_cards",
    kind="read",
    search_words=(
        "how is my fleet doing", "overview", "dashboard", "summary of the fleet", "health of all sims",
        "chart of data usage", "which sims use the most data", "fleet status", "at a glance",
    ),
    input={
        "type": "object",
        "properties": {
            "sim_card_group_id": uuid(),
            "top": integer(1, 50, default=10),
        },
        "additionalProperties": False,
    },
    output={
        "type": "object",
        "properties": {
            "data": {"type": "object", "properties": {
                "scope": {"type": "object"}, "sim_cards": {"type": "object"}, "data_used_mb": {"type": "number"},
                "by_group": {"type": "array"}, "top_sim_cards": {"type": "array"}, "over_limit": {"type": "array"},
                "actions": {"type": "object"},
            }},
            "meta": {"type": "object", "properties": {
                "summary": {"type": "string"}, "sim_cards_read": {"type": "integer"}, "truncated": {"type": "boolean"},
            }},
        },
    },
)

LOCAL_TOOLS: dict[str, LocalTool] = {tool.name: tool for tool in (WAIT_FOR_ACTION, SHOW_FLEET_DASHBOARD)}
