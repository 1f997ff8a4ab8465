"""What a gated call is about to touch, read from the API first and put in words for a human.

Previews are chosen per kind of target by argument name (a SIM card id, a group id, a blocklist
id, ...), never per tool: a new gated operation that takes a known id argument gets its preview
for free, and a test fails when a gated operation has no argument described here.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio

from ..tools.client import TelnyxClient
from ..tools.errors import ToolError
from ..tools.executor import execute
from ..tools.registry import OPERATIONS, Operation
from ..tools.words import clean, data_amount, mask_iccid, quoted, status_of


@dataclass(frozen=True)
class Challenge:
    """The most dangerous calls: the user must type `expected` (what it is: `label`)."""

    label: str
    expected: str


@dataclass(frozen=True)
class Described:
    text: str
    challenge: Challenge | None = None


@dataclass(frozen=True)
class Preview:
    summary: str  # what the call does to what, and its consequence
    challenge: Challenge | None

    @property
    def question(self) -> str:
        """What the user is asked."""
        if self.challenge is None:
            return self.summary
        return f"{self.summary} To confirm, type {self.challenge.label}: {quoted(self.challenge.expected)}"


class Reader:
    """Runs read tools for a preview and the effect rules of one call; each distinct read is sent once."""

    def __init__(self, client: TelnyxClient) -> None:
        self._client = client
        self._seen: dict[str, dict[str, Any]] = {}
        self._reading: dict[str, anyio.Lock] = {}  # a plan's rules read one group for many SIMs at once

    async def result(self, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        key = json.dumps([tool, arguments], sort_keys=True, default=str)
        async with self._reading.setdefault(key, anyio.Lock()):
            if key not in self._seen:
                self._seen[key] = await execute(self._client, OPERATIONS[tool], arguments)
        return self._seen[key]

    async def __call__(self, tool: str, arguments: dict[str, Any]) -> Any:
        """The `data` of a read tool; a failed read raises the API's ToolError."""
        return (await self.result(tool, arguments)).get("data")

    async def group_size(self, group_id: Any) -> int | None:
        """How many SIM cards a group holds, from a list the API answers with a total; None when unknown."""
        try:
            meta = (await self.result("list_sim_cards", {"sim_card_group_id": group_id, "page_size": 1})).get("meta")
        except ToolError:
            return None
        total = meta.get("total_results") if isinstance(meta, dict) else None
        return total if isinstance(total, int) and not isinstance(total, bool) and total >= 0 else None


Fetch = Reader
Describer = Callable[[Fetch, Operation, Any, dict[str, Any]], Awaitable[Described | None]]


def money(value: Any) -> str | None:
    if isinstance(value, dict) and value.get("amount") not in (None, ""):
        return clean(f"{value['amount']} {value.get('currency') or ''}".strip(), 32)
    return None


def _parts(*items: str | None) -> str:
    return ", ".join(i for i in items if i)


async def sim_card(fetch: Fetch, op: Operation, value: Any, args: dict[str, Any]) -> Described:
    sim = await fetch("get_sim_card", {"sim_card_id": value, "include_sim_card_group": True}) or {}
    group = sim.get("sim_card_group") if isinstance(sim.get("sim_card_group"), dict) else {}
    used = data_amount(sim.get("current_billing_period_consumed_data"))
    details = _parts(
        {"esim": "eSIM", "physical": "physical SIM"}.get(str(sim.get("type")), clean(sim.get("type") or "", 16)),
        f"group {quoted(group['name'])}" if group.get("name") else None,
        status_of(sim), f"{used} used this billing period" if used else None,
    )
    text = f"SIM card {mask_iccid(sim.get('iccid'))}" + (f" ({details})" if details else "")
    challenge = None
    if args.get("report_lost") is True:
        last = clean(sim.get("iccid") or value, 32)[-4:]
        challenge = Challenge("the last 4 digits of the SIM's ICCID", last)
    return Described(text, challenge)


async def sim_card_group(fetch: Fetch, op: Operation, value: Any, args: dict[str, Any]) -> Described:
    group = await fetch("get_sim_card_group", {"sim_card_group_id": value}) or {}
    name = clean(group.get("name") or value)
    count = await fetch.group_size(value)
    if count is None:
        text = f"SIM card group {quoted(name)} (how many SIM cards it holds could not be read)"
    else:
        text = f"SIM card group {quoted(name)} with {count} SIM card{'s' if count != 1 else ''}"
    challenge = None
    if op.method == "DELETE" and count != 0:  # it still holds SIMs, or nobody can tell: the user types its name
        challenge = Challenge("the name of the group", name)
    return Described(text, challenge)


async def sim_card_list(fetch: Fetch, op: Operation, value: Any, args: dict[str, Any]) -> Described:
    return Described(f"{len(value)} SIM card{'s' if len(value) != 1 else ''}")


async def report_lost(fetch: Fetch, op: Operation, value: Any, args: dict[str, Any]) -> Described | None:
    return Described("reported lost or stolen (a disabled eSIM is deleted irreversibly)") if value is True else None


async def esim_amount(fetch: Fetch, op: Operation, value: Any, args: dict[str, Any]) -> Described:
    return Described(f"{value} new eSIM{'s' if value != 1 else ''}, charged per eSIM")


async def order_quantity(fetch: Fetch, op: Operation, value: Any, args: dict[str, Any]) -> Described:
    quote = await fetch("preview_sim_card_order", {"quantity": value, "address_id": args["address_id"]}) or {}
    cost = _parts(
        f"total {money(quote.get('total_cost'))}" if money(quote.get("total_cost")) else None,
        f"SIM cards {money(quote.get('sim_cards_cost'))}" if money(quote.get("sim_cards_cost")) else None,
        f"shipping {money(quote.get('shipping_cost'))}" if money(quote.get("shipping_cost")) else None,
    )
    return Described(f"{value} physical SIM card{'s' if value != 1 else ''} shipped to address {quoted(args['address_id'])}"
                     + (f" ({cost})" if cost else ""))


async def region(fetch: Fetch, op: Operation, value: Any, args: dict[str, Any]) -> Described:
    return Described(f"in region {quoted(value, 32)}")


async def blocklist(fetch: Fetch, op: Operation, value: Any, args: dict[str, Any]) -> Described:
    found = await fetch("get_wireless_blocklist", {"blocklist_id": value}) or {}
    values = found.get("values") if isinstance(found.get("values"), list) else []
    return Described(f"wireless blocklist {quoted(found.get('name') or value)} "
                     f"({_parts(clean(found.get('type') or '', 16), f'{len(values)} blocked values')})")


async def gateway(fetch: Fetch, op: Operation, value: Any, args: dict[str, Any]) -> Described:
    found = await fetch("get_private_wireless_gateway", {"private_wireless_gateway_id": value}) or {}
    status = found.get("status", {}).get("value") if isinstance(found.get("status"), dict) else None
    details = _parts(f"region {quoted(found['region_code'], 32)}" if found.get("region_code") else None,
                     f"IP range {quoted(found['ip_range'], 48)}" if found.get("ip_range") else None,
                     clean(status, 32) if status else None)
    return Described(f"private wireless gateway {quoted(found.get('name') or value)}" + (f" ({details})" if details else ""))


async def network(fetch: Fetch, op: Operation, value: Any, args: dict[str, Any]) -> Described:
    return Described(f"gateway {quoted(args['name']) if args.get('name') else '(unnamed)'} on network {quoted(value)}")


async def traffic_policy(fetch: Fetch, op: Operation, value: Any, args: dict[str, Any]) -> Described:
    found = await fetch("get_traffic_policy_profile", {"traffic_policy_profile_id": value}) or {}
    covers = [f"{len(found[k])} {k.replace('_', ' ')}" for k in ("services", "ip_ranges", "domains")
              if isinstance(found.get(k), list) and found[k]]
    speed = f"{clean(found['limit_bw_kbps'], 16)} kbps" if found.get("limit_bw_kbps") else None
    return Described(f"{clean(found.get('type') or '', 16)} traffic policy profile {quoted(value)}".strip()
                     + (f" ({_parts(*covers, speed)})" if covers or speed else ""))


async def wdr_report(fetch: Fetch, op: Operation, value: Any, args: dict[str, Any]) -> Described:
    found = await fetch("get_wdr_report", {"report_id": value}) or {}
    window = (f"{clean(found['start_time'], 32)} to {clean(found['end_time'], 32)}"
              if found.get("start_time") and found.get("end_time") else None)
    status = clean(found["status"], 32) if found.get("status") else None
    return Described(f"detail record report {quoted(value)}" + (f" ({_parts(window, status)})" if window or status else ""))


async def phone_number(fetch: Fetch, op: Operation, value: Any, args: dict[str, Any]) -> Described:
    found = await fetch("get_mobile_phone_number", {"mobile_phone_number_id": value}) or {}
    sim = f"SIM card {clean(found['sim_card_id'], 40)}" if found.get("sim_card_id") else None
    changes = ", ".join(sorted(k for k in args if k not in ("mobile_phone_number_id", "confirmation_token",
                                                             "idempotency_key")))
    return Described(f"mobile number {quoted(found.get('phone_number') or value, 32)}" + (f" ({sim})" if sim else "")
                     + (f", changing {changes}" if changes else ""))


async def notification(fetch: Fetch, op: Operation, value: Any, args: dict[str, Any]) -> Described:
    found = await fetch("get_data_usage_notification", {"notification_id": value}) or {}
    threshold = data_amount(found.get("threshold"))
    return Described(f"data usage notification {quoted(value)}"
                     + (f" (SIM card {clean(found['sim_card_id'], 40)}" + (f", at {threshold})" if threshold else ")")
                        if found.get("sim_card_id") else ""))


async def voice_connection(fetch: Fetch, op: Operation, value: Any, args: dict[str, Any]) -> Described:
    found = await fetch("get_mobile_voice_connection", {"connection_id": value}) or {}
    state = {True: "active", False: "inactive"}.get(found.get("active"))
    return Described(f"mobile voice connection {quoted(found.get('connection_name') or value)}"
                     + (f" ({state})" if state else ""))


async def migration_source(fetch: Fetch, op: Operation, value: Any, args: dict[str, Any]) -> Described:
    found = await fetch("get_migration_source", {"migration_source_id": value}) or {}
    return Described(f"migration source {quoted(value)} ({_parts(*(clean(found[k]) for k in ('provider', 'bucket_name', 'source_region') if found.get(k)))})")


async def migration(fetch: Fetch, op: Operation, value: Any, args: dict[str, Any]) -> Described:
    found = await fetch("get_migration", {"migration_id": value}) or {}
    done, total = found.get("bytes_migrated"), found.get("bytes_to_migrate")
    progress = f"{100 * done // total}% copied" if isinstance(done, int) and isinstance(total, int) and total else None
    return Described(f"migration {quoted(value)} into bucket {quoted(found.get('target_bucket_name') or '?')} "
                     f"({_parts(clean(found.get('status') or '', 32), progress)})")


# Argument name -> how to describe what it points at. Order of description follows the operation's params.
TARGETS: dict[str, Describer] = {
    "sim_card_id": sim_card,
    "sim_card_group_id": sim_card_group,
    "sim_card_ids": sim_card_list,
    "report_lost": report_lost,
    "amount": esim_amount,
    "quantity": order_quantity,
    "region_code": region,
    "wireless_blocklist_id": blocklist,
    "blocklist_id": blocklist,
    "private_wireless_gateway_id": gateway,
    "network_id": network,
    "traffic_policy_profile_id": traffic_policy,
    "report_id": wdr_report,
    "mobile_phone_number_id": phone_number,
    "notification_id": notification,
    "connection_id": voice_connection,
    "migration_source_id": migration_source,
    "migration_id": migration,
}


async def preview(read: Reader, op: Operation, args: dict[str, Any], reasons: list[str] | None = None) -> Preview:
    """Reads each target through `read`; a failed read raises the API's ToolError. `reasons`: why effect
    rules raised this call above its class, said instead of the class's own reason."""
    described = [d for p in op.params if p.name in TARGETS and p.name in args
                 if (d := await TARGETS[p.name](read, op, args[p.name], args)) is not None]
    what = "; ".join(d.text for d in described) or "(no target)"
    challenge = next((d.challenge for d in described if d.challenge), None)
    return Preview(f"{op.title}: {what}? {' '.join(reasons or []) or op.reason}", challenge)
