"""What every framework driver checks, with the framework's own tool objects: stdlib only, so each
framework's venv can run it. A driver supplies `call(tool, arguments) -> text` and the converted schemas."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Awaitable, Callable
from typing import Any

Call = Callable[[str, dict[str, Any]], Awaitable[str]]
TOKEN = re.compile(r'confirmation_token="([^"]+)"')


def takes_null(schema: dict[str, Any]) -> bool:
    return any(branch.get("type") == "null" for branch in schema.get("anyOf", [])) or \
        "null" in (schema.get("type") if isinstance(schema.get("type"), list) else [])


def holds_open_object(schema: Any) -> bool:
    """An object whose keys the schema leaves open (call_operation's `arguments`): a strict conversion closes it,
    so a strict model could only send it empty. Such a tool stays non-strict."""
    if isinstance(schema, list):
        return any(holds_open_object(item) for item in schema)
    if not isinstance(schema, dict):
        return False
    if schema.get("type") == "object" and "properties" not in schema and schema.get("additionalProperties") is not False:
        return True
    return any(holds_open_object(value) for value in schema.values() if isinstance(value, (dict, list)))


def as_strict_model(schema: dict[str, Any], arguments: dict[str, Any]) -> dict[str, Any]:
    """`arguments` completed the way a model bound to a strict schema must: every property sent, null
    where the schema takes it, one of the listed values, else the emptiest value of its type."""
    out = dict(arguments)
    for name, sub in (schema.get("properties") or {}).items():
        if name in out:
            continue
        kind = sub.get("type")
        if not takes_null(sub) and sub.get("enum"):
            out[name] = sub["enum"][-1]
            continue
        out[name] = None if takes_null(sub) else {"boolean": False, "array": [], "string": "",
                                                  "integer": sub.get("minimum", 1)}.get(kind, None)
    return out


def _tool(call: Call, *, dynamic: bool, schemas: dict[str, dict[str, Any]], strict: bool):
    """`tool(name, operation, arguments)`: static mode calls `name`; dynamic mode calls it with the operation."""
    async def tool(name: str, operation: str | None, arguments: dict[str, Any]) -> str:
        if dynamic:
            name, arguments = "call_operation", {"operation": operation, "arguments": arguments}
        return await call(name, as_strict_model(schemas[name], arguments) if strict else arguments)
    return tool


async def _enabled_sims(tool, report: dict[str, Any]) -> list[str]:
    read = json.loads(await tool("list_sim_cards", "list_sim_cards", {"page_size": 10}))
    if "data" not in read:
        raise SystemExit(f"list_sim_cards answered: {read}")
    report["read"] = len(read["data"])
    enabled = [sim for sim in read["data"] if sim["status"]["value"] == "enabled"] or read["data"]
    return [sim["id"] for sim in enabled]


def token_in(answer: str) -> str | None:
    """The confirmation token of a confirmation request: its JSON field, or the call it spells out."""
    try:
        return json.loads(answer)["confirmation_required"]["confirmation_token"]
    except (ValueError, KeyError, TypeError):
        found = TOKEN.search(answer)
        return found.group(1) if found else None


async def run(call: Call, *, dynamic: bool, schemas: dict[str, dict[str, Any]], strict: bool) -> dict[str, Any]:
    """A read, a get and a gated call through the confirmation token; returns what happened."""
    report: dict[str, Any] = {}
    tool = _tool(call, dynamic=dynamic, schemas=schemas, strict=strict)
    if dynamic:
        arguments = {"query": "list sim cards"}
        searched = await call("search_operations", as_strict_model(schemas["search_operations"], arguments)
                              if strict else arguments)
        try:
            found = json.loads(searched)
        except ValueError:
            raise SystemExit(f"search_operations answered: {searched}") from None
        report["search"] = [entry["name"] for entry in found["data"]][:3]
    sim_id, *others = await _enabled_sims(tool, report)
    got = json.loads(await tool("get_sim_card", "get_sim_card", {"sim_card_id": sim_id}))
    report["get"] = got["data"]["id"] == sim_id
    asked = await tool("disable_sim_card", "disable_sim_card", {"sim_card_id": sim_id})
    token = token_in(asked)
    report["asked"] = asked[:1000]
    if token is None:
        report["gated"] = False
        return report
    done = json.loads(await tool("disable_sim_card", "disable_sim_card",
                                 {"sim_card_id": sim_id, "confirmation_token": token}))
    report["gated"] = done["data"].get("action_type") == "disable" or "status" in done["data"]
    report["gated_answer"] = done["data"]
    # A plan through the token flow: a strict model also fills the selectors it does not use ([] for iccids)
    # and "" for the token it does not have yet.
    plan = {"operation": "set_sim_card_standby", "sim_card_ids": others[:1]}
    plan_token = token_in(await tool("apply_to_sim_cards", "apply_to_sim_cards", plan))
    planned = json.loads(await tool("apply_to_sim_cards", "apply_to_sim_cards", {**plan, "confirmation_token": plan_token}))
    report["plan_gated"] = bool(plan_token) and [row.get("outcome") for row in planned.get("data", [])] in (["done"], ["submitted"])
    report["plan_answer"] = planned
    return report


async def elicited(call: Call, *, dynamic: bool, schemas: dict[str, dict[str, Any]], strict: bool) -> dict[str, Any]:
    """The gated call on a client that answers elicitation (see `answer`): asked mid-call, it runs with no token."""
    report: dict[str, Any] = {}
    tool = _tool(call, dynamic=dynamic, schemas=schemas, strict=strict)
    sim_id = (await _enabled_sims(tool, report))[0]
    done = await tool("disable_sim_card", "disable_sim_card", {"sim_card_id": sim_id})
    try:
        report["elicited_gated"] = json.loads(done)["data"]["action_type"] == "disable"
    except (ValueError, KeyError, TypeError):
        report["elicited_gated"] = False
    report["elicited_answer"] = done[:1000]
    return report


def answer(params: Any) -> dict[str, Any]:
    """What a person who agrees fills in the server's form (an elicitation request's params, mcp 1.x or 2.x):
    the box ticked, or the text typed it asks for."""
    ASKED.append(params.message)
    requested_schema = getattr(params, "requested_schema", None) or params.requestedSchema
    return {key: True if field.get("type") == "boolean" else field["description"].split("Type exactly: ")[1]
            for key, field in requested_schema["properties"].items()}


ASKED: list[str] = []  # the questions shown to the person, in order


def text_of(result: Any) -> str:
    """The text of a tool result as a framework hands it back: a string, a content item, or a list of them
    (as objects or as their JSON)."""
    if isinstance(result, str):
        try:
            parsed = json.loads(result)
        except ValueError:
            return result
        if isinstance(parsed, dict) and parsed.get("type") == "text" or \
                isinstance(parsed, list) and parsed and isinstance(parsed[0], dict) and "type" in parsed[0]:
            return text_of(parsed)
        return result
    if isinstance(result, list):
        return "".join(text_of(item) for item in result)
    if isinstance(result, dict):
        return result.get("text", "")
    text = getattr(result, "text", None)
    return text if isinstance(text, str) else str(result)


def emit(report: dict[str, Any]) -> None:
    print("COMPAT-REPORT " + json.dumps(report, default=str), flush=True)
    sys.stdout.flush()
