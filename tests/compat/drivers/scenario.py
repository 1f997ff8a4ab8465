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


def as_strict_model(schema: dict[str, Any], arguments: dict[str, Any]) -> dict[str, Any]:
    """`arguments` completed the way a model bound to a strict schema must: every property sent, null
    where the schema takes it, else the emptiest value of its type."""
    out = dict(arguments)
    for name, sub in (schema.get("properties") or {}).items():
        if name in out:
            continue
        kind = sub.get("type")
        out[name] = None if takes_null(sub) else {"boolean": False, "array": [], "string": "",
                                                  "integer": sub.get("minimum", 1)}.get(kind, None)
    return out


async def run(call: Call, *, dynamic: bool, schemas: dict[str, dict[str, Any]], strict: bool) -> dict[str, Any]:
    """A read, a get and a gated call through the confirmation token; returns what happened."""
    report: dict[str, Any] = {}

    async def tool(name: str, operation: str | None, arguments: dict[str, Any]) -> str:
        if dynamic:
            outer = {"operation": operation, "arguments": arguments}
            return await call(name, as_strict_model(schemas[name], outer) if strict else outer)
        return await call(name, as_strict_model(schemas[name], arguments) if strict else arguments)

    if dynamic:
        searched = await call("search_operations", as_strict_model(schemas["search_operations"],
                                                                           {"query": "list sim cards"})
                                      if strict else {"query": "list sim cards"})
        try:
            found = json.loads(searched)
        except ValueError:
            raise SystemExit(f"search_operations answered: {searched}") from None
        report["search"] = [entry["name"] for entry in found["data"]][:3]
        read = json.loads(await tool("call_operation", "list_sim_cards", {"page_size": 2}))
        name_of = {"list": "call_operation", "get": "call_operation", "gated": "call_operation"}
    else:
        read = json.loads(await tool("list_sim_cards", None, {"page_size": 2}))
        name_of = {"list": "list_sim_cards", "get": "get_sim_card", "gated": "disable_sim_card"}
    if "data" not in read:
        raise SystemExit(f"list_sim_cards answered: {read}")
    enabled = [sim for sim in read["data"] if sim["status"]["value"] == "enabled"] or read["data"]
    sim_id = enabled[0]["id"]
    report["read"] = len(read["data"])
    got = json.loads(await tool(name_of["get"], "get_sim_card", {"sim_card_id": sim_id}))
    report["get"] = got["data"]["id"] == sim_id
    asked = await tool(name_of["gated"], "disable_sim_card", {"sim_card_id": sim_id})
    token = TOKEN.search(asked)
    report["asked"] = asked[:1000]
    if token is None:
        report["gated"] = False
        return report
    done = json.loads(await tool(name_of["gated"], "disable_sim_card",
                                 {"sim_card_id": sim_id, "confirmation_token": token.group(1)}))
    report["gated"] = done["data"].get("action_type") == "disable" or "status" in done["data"]
    report["gated_answer"] = done["data"]
    return report


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
