"""Tools that are not one API call: declared here once, with their schemas, beside the registry's operations."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .registry import OPERATIONS
from .registry.model import CONFIRMATION_TOKEN, CONFIRMATION_TOKEN_SCHEMA, IDEMPOTENCY_KEY, IDEMPOTENCY_KEY_SCHEMA, Kind, Toolset, array, boolean, described, enum, integer, string, text_or_list, uuid

# One call waits at most this long: the official TypeScript client (Claude Desktop, VS Code, Cursor) gives up
# on a request after 60 s by default, progress notifications or not. A longer wait is another call.
MAX_WAIT_SECONDS = 50
# The change journal's id of a change, in every changing tool's result (server/journal.py).
CHANGE_ID = {"type": "string", "description": "undo_change or resume_change take it."}
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
    # Arguments (dotted paths) where "" or [] can only mean "none", dropped when empty (tools/schema.py).
    empty_is_unset: frozenset[str] = frozenset()

    @property
    def read_only(self) -> bool:
        return self.kind == "read"

    @property
    def gated(self) -> bool:
        return False

    @property
    def may_ask(self) -> bool:
        return not self.read_only

    @property
    def may_destroy(self) -> bool:
        return self.kind == "destructive"

    @property
    def tool_description(self) -> str:
        return self.description


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
    description="The fleet at a glance: SIMs by status, data used by group and SIM, SIMs over their limit, "
                "running or failed actions; MCP Apps hosts draw it.",
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
    empty_is_unset=frozenset({"sim_card_group_id"}),  # "" is no group: the whole fleet
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

MAX_PLAN_SIMS = 500
# One-SIM operations a plan can apply: every change whose only path argument is the SIM card id.
PLAN_OPERATIONS = tuple(op.name for op in OPERATIONS.values() if not op.read_only
                        and [p.name for p in op.params if p.location == "path"] == ["sim_card_id"])


def _plan_arguments() -> dict[str, Any]:
    """Every argument of the plan operations besides the SIM card id; each operation checks its own. Their
    descriptions stay with the operations' own tools, which the model is given beside this one."""
    properties: dict[str, Any] = {}
    seen: dict[str, Any] = {}
    for name in PLAN_OPERATIONS:
        for p in OPERATIONS[name].params:
            if p.location != "path":
                if seen.setdefault(p.name, described(p.schema_, p.description)) != described(p.schema_, p.description):
                    raise ValueError(f"plan argument {p.name} means different things in different operations")
                properties[p.name] = p.schema_
    return properties


# The plan's filter takes list_sim_cards' own filter arguments, under the same names.
PLAN_FILTER = {p.name: p.schema_ for p in OPERATIONS["list_sim_cards"].params
               if p.location == "query" and p.wire.startswith("filter[")}

APPLY_TO_SIM_CARDS = LocalTool(
    name="apply_to_sim_cards",
    title="Apply one change to many SIM cards",
    description=(
        "Run one SIM operation on many SIMs (sim_card_ids, iccids or a list_sim_cards filter) with one preview "
        "and one confirmation; returns each SIM's outcome. Use it instead of one call per SIM."
    ),
    toolset="sim_cards",
    kind="destructive",
    search_words=(
        "many sims at once", "every sim in the group", "all sims of a group", "in one go", "ask me once",
        "batch change", "several sims", "standby at once", "disable many", "enable every sim", "change plan",
    ),
    input={
        "type": "object",
        "properties": {
            "operation": enum(*PLAN_OPERATIONS),
            "sim_card_ids": array(uuid(), min_items=1, max_items=MAX_PLAN_SIMS, uniqueItems=True),
            "iccids": array(string(max_length=32, pattern="^[0-9]{10,22}F?$"), min_items=1,
                            max_items=MAX_PLAN_SIMS, uniqueItems=True),
            "filter": {"type": "object", "properties": PLAN_FILTER, "additionalProperties": False, "minProperties": 1,
                       "description": "As list_sim_cards' filters."},
            "arguments": {"type": "object", "properties": _plan_arguments(), "additionalProperties": False,
                          "description": "The operation's own arguments but sim_card_id."},
            "wait": boolean(False) | {"description": "Wait for each SIM's action to end."},
            CONFIRMATION_TOKEN: CONFIRMATION_TOKEN_SCHEMA,
            IDEMPOTENCY_KEY: IDEMPOTENCY_KEY_SCHEMA,
        },
        "required": ["operation"],
        "additionalProperties": False,
    },
    output={
        "type": "object",
        "properties": {
            "data": {"type": "array", "description": "One outcome per SIM card.", "items": {"type": "object", "properties": {
                "sim_card_id": {"type": "string"}, "iccid": {"type": "string"},
                "outcome": {"type": "string", "enum": ["done", "submitted", "failed", "skipped", "unknown",
                                                       "not_started"]},
                "action_id": {"type": "string"}, "status": {"type": "string"}, "reason": {"type": "string"},
            }}},
            "meta": {"type": "object", "properties": {
                "operation": {"type": "string"}, "total": {"type": "integer"}, "counts": {"type": "object"},
                "confirmation": {"type": "string"}, "note": {"type": "string"},
            }},
            "change_id": CHANGE_ID,
        },
    },
    is_idempotent=False,
    # An empty list of SIMs, or an empty filter field, selects nothing: what a strict-mode model sends for the
    # selectors it does not use. A filter left with no field is still refused, never read as "every SIM".
    empty_is_unset=frozenset({"sim_card_ids", "iccids",
                              *(f"filter.{name}" for name, schema in PLAN_FILTER.items() if text_or_list(schema))}),
)

CHANGE_ID_ARGUMENT = string(max_length=40, pattern="^chg_[0-9a-f]{16}$")

LIST_CHANGES = LocalTool(
    name="list_changes",
    title="List recent changes",
    description="The changes this server sent in this account, newest first: change_id, tool, when, how they ended, "
                "and whether undo_change can put them back (why_not if not).",
    toolset="sim_cards",
    kind="read",
    search_words=("history of changes", "what did i change", "recent changes", "undo history", "change log",
                  "what was done"),
    input={"type": "object", "properties": {"limit": integer(1, 100, default=20)}, "additionalProperties": False},
    output={"type": "object", "properties": {"data": {"type": "array", "items": {"type": "object"}}}},
)

GET_CHANGE = LocalTool(
    name="get_change",
    title="Get one change",
    description="One change with each resource it touched: the state before, what was sent, the outcome, "
                "and whether it can be undone.",
    toolset="sim_cards",
    kind="read",
    search_words=("what did that change do", "state before", "which sims were changed", "change details"),
    input={"type": "object", "properties": {"change_id": CHANGE_ID_ARGUMENT}, "required": ["change_id"],
           "additionalProperties": False},
    output={"type": "object", "properties": {"data": {"type": "object"}}},
)

RESOURCE_OUTCOMES = ["done", "submitted", "failed", "skipped", "unknown", "conflict", "not_undoable", "not_started"]
CHANGE_RESULT = {
    "type": "object",
    "properties": {
        "change_id": CHANGE_ID,
        "data": {"type": "array", "description": "One outcome per resource.", "items": {"type": "object", "properties": {
            "id": {"type": "string"}, "iccid": {"type": "string"}, "operation": {"type": "string"},
            "outcome": {"type": "string", "enum": RESOURCE_OUTCOMES}, "action_id": {"type": "string"},
            "status": {"type": "string"}, "reason": {"type": "string"},
        }}},
        "meta": {"type": "object", "properties": {
            "of": {"type": "string"}, "counts": {"type": "object"}, "confirmation": {"type": "string"},
            "note": {"type": "string"},
        }},
    },
}


def _change_tool(name: str, title: str, description: str, words: tuple[str, ...]) -> LocalTool:
    return LocalTool(
        name=name, title=title, description=description, toolset="sim_cards", kind="destructive", search_words=words,
        input={"type": "object", "properties": {
            "change_id": CHANGE_ID_ARGUMENT,
            "wait": boolean(False) | {"description": "Wait for each SIM's action to end."},
            CONFIRMATION_TOKEN: CONFIRMATION_TOKEN_SCHEMA,
        }, "required": ["change_id"], "additionalProperties": False},
        output=CHANGE_RESULT, is_idempotent=False)


UNDO_CHANGE = _change_tool(
    "undo_change", "Undo a change",
    "Put back what a change (its change_id) altered, as one plan with one confirmation. Resources changed since "
    "are left alone (conflict); deletes, purchases and charges cannot be undone.",
    ("undo", "revert", "roll back", "put them back as they were", "restore previous status", "go back"))
RESUME_CHANGE = _change_tool(
    "resume_change", "Resume an unfinished change",
    "Finish a plan that stopped midway (crash, stop, lost client): reads each SIM left unknown, then runs only "
    "what was not done, with one confirmation. A finished change is refused.",
    ("resume", "continue the plan", "finish what was interrupted", "retry the rest", "pick up where it stopped"))

# The caller's MCP Events webhook subscriptions (server/event_methods.py). The draft leaves the list of
# subscriptions to the client that made them; these let a person or an App see and end them all.
SUBSCRIPTION = {"type": "object", "properties": {
    "id": {"type": "string"}, "event": {"type": "string"}, "arguments": {"type": "object"},
    "url": {"type": "string", "description": "The webhook target, its query left out."},
    "expires_at": {"type": "string"},
    "active": {"type": "boolean", "description": "False once delivery stopped after repeated failures."},
    "stopped_at": {"type": ["string", "null"], "description": "When delivery stopped (subscribe again to resume)."},
    "failures": {"type": "integer"},
    "last_delivery": {"type": ["string", "null"]}, "last_error": {"type": ["object", "null"]},
}}
LIST_EVENT_SUBSCRIPTIONS = LocalTool(
    name="list_event_subscriptions",
    title="List event subscriptions",
    description="Your webhook subscriptions to fleet events (MCP Events): id, event type, filters, target URL, "
                "when the grant ends, delivery failures, and whether delivery stopped after repeated failures.",
    toolset="sim_cards",
    kind="read",
    search_words=("event subscriptions", "which webhooks", "alerts i subscribed to", "where are events sent",
                  "my subscriptions", "fleet watch"),
    input={"type": "object", "properties": {}, "additionalProperties": False},
    output={"type": "object", "properties": {"data": {"type": "array", "items": SUBSCRIPTION},
                                             "meta": {"type": "object", "properties": {"total": {"type": "integer"}}}}},
)
REMOVE_EVENT_SUBSCRIPTION = LocalTool(
    name="remove_event_subscription",
    title="Remove an event subscription",
    description="End one of your webhook subscriptions (its id from list_event_subscriptions): no more events "
                "are sent to it.",
    toolset="sim_cards",
    kind="write",
    search_words=("unsubscribe", "stop sending events", "remove the webhook", "stop the alerts",
                  "cancel the event subscription"),
    input={"type": "object", "properties": {"subscription_id": string(max_length=40, pattern="^sub_[0-9a-f]{24}$")},
           "required": ["subscription_id"], "additionalProperties": False},
    output={"type": "object", "properties": {"data": {"type": "object", "description": "The subscription removed."}}},
)

# The usage tools (tools/analytics): computed from detail records, the same scope, window and list arguments.
ISO_DATE = string(max_length=10, pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
USAGE_SCOPE = {
    "sim_card_group_id": uuid(),
    "tags": array(string(max_length=128), max_items=20, description="SIMs with all these tags."),
    "sim_card_ids": array(uuid(), max_items=100, uniqueItems=True),
    "start": ISO_DATE | {"description": "First day (UTC), e.g. 2026-11-01."},
    "end": ISO_DATE | {"description": "Last day, included; default today."},
    "days": integer(1, 92, description="The last N days up to today, instead of start."),
}
USAGE_LIST = {
    "limit": integer(1, 200, default=30),
    "offset": integer(0, 100_000, default=0, description="From meta.next."),
    "fields": {"type": "array", "items": {"type": "string", "pattern": r"^[a-z0-9_]+$", "maxLength": 64},
               "maxItems": 20, "uniqueItems": True, "description": "Keys to keep in each item."},
}
USAGE_EMPTY = frozenset({"sim_card_group_id", "tags", "sim_card_ids", "start", "end", "fields"})
USAGE_META = {"type": "object", "properties": {
    "summary": {"type": "string"}, "window": {"type": "object"}, "sim_cards": {"type": "integer"},
    "records": {"type": "integer"}, "requests": {"type": "integer"}, "total": {"type": "integer"},
    "next": {"type": "object"}, "note": {"type": "string"},
}}


def _usage_tool(name: str, title: str, description: str, words: tuple[str, ...], properties: dict[str, Any],
                data: dict[str, Any], empty: frozenset[str] = frozenset()) -> LocalTool:
    return LocalTool(
        name=name, title=title, description=description, toolset="detail_records", kind="read", search_words=words,
        input={"type": "object", "properties": {**USAGE_SCOPE, **properties}, "additionalProperties": False},
        output={"type": "object", "properties": {"data": data, "meta": USAGE_META}},
        empty_is_unset=USAGE_EMPTY | empty,
    )


FINDING = {"type": "object", "properties": {
    "kind": {"type": "string", "enum": ["spike", "silent", "new_network"]}, "sim_card_id": {"type": "string"},
    "iccid": {"type": "string"}, "date": {"type": "string"}, "mb": {"type": "number"},
}}
FIND_USAGE_ANOMALIES = _usage_tool(
    "find_usage_anomalies", "Find unusual data usage",
    "SIMs whose data use was unusual in a window (default the last 7 days, against the 28 before), from detail "
    "records: spike (a day far above its usual), silent (nothing for silent_hours from a SIM that used to send), "
    "new_network (a network it never used: roaming). Each finding has the SIM, ICCID and the numbers behind it.",
    ("anomaly", "unusual usage", "sudden increase in data", "ten times its normal", "went silent",
     "stopped sending", "offline tracker", "roaming on a new network", "usage spike", "which sim is misbehaving"),
    {"kinds": array(enum("spike", "silent", "new_network"), max_items=3, uniqueItems=True),
     "silent_hours": integer(6, 720, default=48), **USAGE_LIST},
    {"type": "array", "items": FINDING}, frozenset({"kinds"}),
)
FORECAST_DATA_LIMITS = _usage_tool(
    "forecast_data_limits", "Forecast when data limits run out",
    "Per SIM and group: the data burn rate (last 28 days by default) and the day its data limit (the SIM's or "
    "its group's, the stricter) is reached, exhausts_on (null if not within a year), and whether that is before "
    "the billing period (the calendar month, UTC) ends. SIMs running out soonest first.",
    ("run out of data", "will exceed the limit", "before the end of the month", "burn rate", "projected usage",
     "when will it hit the cap", "forecast", "data left"),
    USAGE_LIST,
    {"type": "object", "properties": {
        "sim_cards": {"type": "array", "items": {"type": "object", "properties": {
            "sim_card_id": {"type": "string"}, "iccid": {"type": "string"}, "burn_mb_per_day": {"type": "number"},
            "exhausts_on": {"type": ["string", "null"]}, "before_period_end": {"type": "boolean"}}}},
        "groups": {"type": "array"}}},
)
USAGE_REPORT = _usage_tool(
    "usage_report", "Report data usage and cost",
    "Data (MB) and cost over a window (default this billing period) from detail records: totals, by group, "
    "country (MCC), operator, day, and the top SIMs; each list most data first, capped at top.",
    ("usage report", "data by country", "roaming cost by country", "cost per group", "monthly usage",
     "which sims used the most data", "used more than 1 GB this month", "spend by operator", "usage per day",
     "bill breakdown"),
    {"by": array(enum("group", "country", "operator", "day", "group_day", "sim"), max_items=6, uniqueItems=True,
                 description="Breakdowns; default all but group_day (per day and group)."),
     "top": integer(1, 100, default=10)},
    {"type": "object", "properties": {"totals": {"type": "object"}, "by_group": {"type": "array"},
                                      "by_country": {"type": "array"}, "by_operator": {"type": "array"},
                                      "by_day": {"type": "array"}, "top_sim_cards": {"type": "array"}}},
    frozenset({"by"}),
)

LOCAL_TOOLS: dict[str, LocalTool] = {tool.name: tool for tool in (
    WAIT_FOR_ACTION, SHOW_FLEET_DASHBOARD, APPLY_TO_SIM_CARDS, FIND_USAGE_ANOMALIES, FORECAST_DATA_LIMITS,
    USAGE_REPORT, LIST_CHANGES, GET_CHANGE, UNDO_CHANGE, RESUME_CHANGE, LIST_EVENT_SUBSCRIPTIONS,
    REMOVE_EVENT_SUBSCRIPTION)}
