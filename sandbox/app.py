"""The sandbox ASGI app: one generic route, the facts-file checks, and the operation handlers.

Every request under /v2 is matched against the 66 operations of the facts file, checked
(path, query, body), then handed to the handler named by its operationId. Handlers read and
change the `Store`; the success status code and the response envelope (`data`, `meta`) come
from the facts file, so they cannot drift from the API description.
"""

from __future__ import annotations

import contextlib
import hmac
import math
import random
import re
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from . import fleet
from .store import Doc, Store, iso, public
from .validation import (
    ApiError,
    Operation,
    check_body,
    check_path,
    check_query,
    error,
    match,
    not_found,
    schema,
    unprocessable,
)

PREFIX = "/v2"
SIM_STATUS_ACTIONS = {"enable", "enable_standby_sim_card", "disable", "set_standby"}
ORDER_STAGES = ("pending", "processing", "ready_to_ship", "shipped", "delivered")
MAX_ESIM_PURCHASE = 100


@dataclass
class Call:
    op: Operation
    path: dict[str, str]
    query: dict[str, Any]
    body: dict[str, Any] | None
    now: float

    @property
    def id(self) -> str:
        return self.path["id"]

    def q(self, name: str, default: Any = None) -> Any:
        return self.query.get(name, default)


@dataclass
class Result:
    data: Any
    meta: dict[str, int] | None = None
    total: list[Any] | None = field(default=None, repr=False)


def _keys(schema_name: str) -> tuple[str, ...]:
    return tuple(schema(schema_name)["properties"])


def _decimal(value: Any, pointer: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise unprocessable(f"{pointer[1:]}: {value!r} is not a decimal number such as \"2048.1\"",
                            pointer=pointer) from None
    if not number.is_finite() or number < 0:
        raise unprocessable(f"{pointer[1:]}: must be a non-negative number", pointer=pointer)
    return number


def _mb(amount: dict[str, Any] | None) -> float:
    if not amount:
        return math.inf
    value = float(amount.get("amount", "0"))
    return value * 1024 if amount.get("unit") == "GB" else value


def _contains(value: Any, needle: str) -> bool:
    return isinstance(value, str) and needle.lower() in value.lower()


def _dig(doc: Doc, dotted: str) -> Any:
    cur: Any = doc
    for part in dotted.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


class Sandbox:
    """State plus behaviour; `app.state.sandbox` in the ASGI app."""

    def __init__(
        self,
        *,
        seed: int = 7,
        sim_count: int = 48,
        state_path: str | None = None,
        api_key: str | None = None,
        action_delay: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.api_key = api_key
        self.action_delay = float(action_delay)
        self.store = Store(seed=seed, clock=clock, state_path=state_path)
        if not self.store.loaded:
            self._seed(seed, sim_count)
        self._sim_keys = _keys("SIMCard")
        self._simple_sim_keys = _keys("SimpleSIMCard")
        self.handlers: dict[str, Callable[[Call], Result]] = {
            name[3:]: getattr(self, name) for name in dir(self) if name.startswith("op_")
        }

    # -- seeding -------------------------------------------------------------------------

    def _seed(self, seed: int, sim_count: int) -> None:
        now = self.store.now()
        self.store.meta["seeded_at"] = now
        for coll, docs in fleet.build(seed, sim_count).items():
            for doc in docs:
                offset = doc.pop("_t0_offset", None)
                if offset is not None:
                    doc["_t0"] = now - offset
                    doc["created_at"] = iso(doc["_t0"])
            self.store.put_many(coll, docs)
        self.store.commit()

    @property
    def seed(self) -> int:
        return self.store.seed

    def registration_codes(self) -> dict[str, str]:
        """Seeded registration codes and whether each is `available` or `registered`."""
        return {d["id"]: d["status"] for d in self.store.all("registration_codes")}

    def address_ids(self) -> list[str]:
        return [d["id"] for d in self.store.all("addresses")]

    def private_wireless_gateway_ids(self) -> list[str]:
        return [d["id"] for d in self.store.all("private_wireless_gateways")]

    def summary(self) -> str:
        sims = list(self.store.all("sim_cards"))
        esims = sum(1 for s in sims if s["type"] == "esim")
        n_groups = self.store.count("sim_card_groups")
        n_block = self.store.count("wireless_blocklists")
        n_orders = self.store.count("sim_card_orders")
        auth = "API key required (Authorization: Bearer)" if self.api_key else "no API key needed"
        return (
            f"Telnyx IoT sandbox: {len(sims)} SIM cards ({len(sims) - esims} physical, "
            f"{esims} eSIM) in {n_groups} group{'s' * (n_groups != 1)}, "
            f"{n_block} blocklist{'s' * (n_block != 1)}, "
            f"{n_orders} order{'s' * (n_orders != 1)}; {auth}"
        )

    # -- request entry point -------------------------------------------------------------

    def handle(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        body: bytes,
        authorization: str | None,
    ) -> tuple[int, dict[str, Any]]:
        try:
            self._authorize(authorization)
            if not path.startswith(PREFIX + "/"):
                raise ApiError(404, [error("10005", "Route not found",
                                           f"{path} is not under {PREFIX}/", pointer="/")])
            op, params = match(method, path[len(PREFIX):])
            check_path(op, params)
            typed_query = check_query(op, query)
            typed_body = check_body(op, body)
            now = self.store.now()
            self.settle(now)
            result = self.handlers[op.operation_id](Call(op, params, typed_query, typed_body, now))
            self.store.commit()
        except ApiError as exc:
            self.store.commit()
            return exc.status, exc.body()
        payload: dict[str, Any] = {"data": result.data}
        if op.has_meta and result.meta is not None:
            payload["meta"] = result.meta
        return op.success_status, payload

    def _authorize(self, authorization: str | None) -> None:
        if self.api_key is None:
            return
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode(), self.api_key.encode()
        ):
            detail = ("Send your API key as 'Authorization: Bearer <key>'" if not authorization
                      else "The API key in the Authorization header is not valid")
            raise ApiError(401, [error("10009", "Authentication failed", detail)])

    # -- time ----------------------------------------------------------------------------

    def settle(self, now: float) -> None:
        """Finish every action whose time has come (actions complete in creation order)."""
        for coll, doc in self.store.due(now):
            if coll == "sim_card_actions":
                self._finish_sim_action(doc)
            elif coll == "sim_card_group_actions":
                self._finish_group_action(doc)
            elif coll == "sim_cards":
                target = doc.pop("_target_status")
                self._set_status(doc, target, iso(doc["_due"]))
                del doc["_due"]
                self.store.put("sim_cards", doc)

    def _due(self, now: float) -> float:
        return now + self.action_delay

    def _set_status(self, sim: Doc, value: str, at: str) -> None:
        if value in ("enabled", "data_limit_exceeded"):
            over = _mb(sim["current_billing_period_consumed_data"]) > _mb(sim.get("data_limit"))
            value = "data_limit_exceeded" if over else "enabled"
        sim["status"] = {"value": value, "reason": fleet.STATUS_REASONS[value]}
        sim["updated_at"] = at

    def _finish_sim_action(self, action: Doc) -> None:
        at = iso(action.pop("_due"))
        sim = self.store.get("sim_cards", action["sim_card_id"])
        if sim is None:
            action["status"] = {"value": "failed", "reason": "The SIM card was deleted."}
        else:
            kind = action["action_type"]
            if kind in ("enable", "enable_standby_sim_card"):
                self._set_status(sim, "enabled", at)
            elif kind == "disable":
                self._set_status(sim, "disabled", at)
            elif kind == "set_standby":
                self._set_status(sim, "standby", at)
            elif kind == "set_public_ip":
                ip = sim.get("_public_ip") or {
                    "ip": self._public_ip_for(sim["id"]),
                    "region_code": (action.get("settings") or {}).get("region_code", "dc2"),
                    "created_at": at,
                }
                sim["_public_ip"] = {**ip, "updated_at": at}
                sim.pop("_public_ip_pending", None)
            elif kind == "remove_public_ip":
                sim.pop("_public_ip", None)
            elif kind in ("enable_voice", "disable_voice"):
                sim["voice_enabled"] = kind == "enable_voice"
            busy = [r for r in sim["resources_with_in_progress_actions"] if r["id"] != action["id"]]
            sim["resources_with_in_progress_actions"] = busy
            sim["actions_in_progress"] = bool(busy)
            sim["updated_at"] = at
            self.store.put("sim_cards", sim)
            action["status"] = {"value": "completed", "reason": "The action completed."}
        action["updated_at"] = at
        self.store.put("sim_card_actions", action)

    def _finish_group_action(self, action: Doc) -> None:
        at = iso(action.pop("_due"))
        group = self.store.get("sim_card_groups", action["sim_card_group_id"])
        if group is None:
            action["status"] = "failed"
        else:
            kind, settings = action["type"], action.get("settings") or {}
            if kind == "set_private_wireless_gateway":
                group["private_wireless_gateway_id"] = settings["private_wireless_gateway_id"]
            elif kind == "remove_private_wireless_gateway":
                group["private_wireless_gateway_id"] = None
            elif kind == "set_wireless_blocklist":
                group["wireless_blocklist_id"] = settings["wireless_blocklist_id"]
            elif kind == "remove_wireless_blocklist":
                group["wireless_blocklist_id"] = None
            group["updated_at"] = at
            self.store.put("sim_card_groups", group)
            action["status"] = "completed"
        action["updated_at"] = at
        self.store.put("sim_card_group_actions", action)

    def _public_ip_for(self, sim_id: str) -> str:
        n = int(sim_id.replace("-", "")[:8], 16)
        return f"203.0.{113 + n % 2}.{n % 250 + 2}"

    # -- shared helpers ------------------------------------------------------------------

    def _require(self, coll: str, doc_id: str, what: str, pointer: str = "/id") -> Doc:
        doc = self.store.get(coll, doc_id)
        if doc is None:
            raise not_found(f"{what} {doc_id} not found", pointer)
        return doc

    def _exists(self, coll: str, doc_id: Any, what: str, pointer: str) -> Doc:
        doc = self.store.get(coll, doc_id) if isinstance(doc_id, str) else None
        if doc is None:
            raise unprocessable(f"{pointer[1:]}: no {what} with id {doc_id!r}", pointer=pointer)
        return doc

    def _page(self, call: Call, items: list[Any], render: Callable[[Any], Any]) -> Result:
        total = len(items)
        if call.op.paginated:
            number = call.q("page[number]") or 1
            size = call.q("page[size]") or 20
            if number < 1 or size < 1:
                bad = "page[number]" if number < 1 else "page[size]"
                raise unprocessable(f"{bad}: must be at least 1", parameter=bad)
        else:
            number, size = 1, max(total, 1)
        start = (number - 1) * size
        data = [render(item) for item in items[start:start + size]]
        meta = {"page_number": number, "page_size": size,
                "total_pages": math.ceil(total / size), "total_results": total}
        return Result(data, meta)

    def _list(
        self,
        call: Call,
        coll: str,
        filters: dict[str, Callable[[Doc, Any], bool]],
        render: Callable[[Doc], Any] = public,
        newest_first: bool = False,
    ) -> Result:
        active = [(fn, call.query[name]) for name, fn in filters.items() if name in call.query]
        docs = [d for d in self.store.all(coll) if all(fn(d, v) for fn, v in active)]
        if newest_first:
            docs.reverse()
        return self._page(call, docs, render)

    def _stamp(self, call: Call, doc: Doc, *, created: bool = True) -> Doc:
        at = iso(call.now)
        if created:
            doc["created_at"] = at
        doc["updated_at"] = at
        return doc

    @staticmethod
    def _eq(field: str) -> Callable[[Doc, Any], bool]:
        return lambda d, v: _dig(d, field) == v

    # -- renderers -----------------------------------------------------------------------

    def _render_sim(self, sim: Doc, *, simple: bool = False, include_group: bool = False,
                    pin_puk: bool = False,
                    stats: dict[str, tuple[int, float]] | None = None) -> dict[str, Any]:
        keys = self._simple_sim_keys if simple else self._sim_keys
        out = {k: sim[k] for k in keys if k in sim and k != "pin_puk_codes"}
        if pin_puk:
            out["pin_puk_codes"] = dict(sim["_pin_puk"])
        if include_group:
            group = self.store.get("sim_card_groups", sim["sim_card_group_id"])
            out["sim_card_group"] = self._render_group(group, stats) if group else None
        return out

    def _group_stats(self) -> dict[str, tuple[int, float]]:
        stats: dict[str, list[float]] = {}
        for sim in self.store.all("sim_cards"):
            entry = stats.setdefault(sim["sim_card_group_id"], [0, 0.0])
            entry[0] += 1
            entry[1] += float(sim["current_billing_period_consumed_data"]["amount"])
        return {k: (int(v[0]), v[1]) for k, v in stats.items()}

    def _render_group(self, group: Doc, stats: dict[str, tuple[int, float]] | None = None,
                      iccids: bool = False) -> dict[str, Any]:
        if stats is None:
            stats = self._group_stats()
        count, used = stats.get(group["id"], (0, 0.0))
        out = public(group)
        out["sim_card_count"] = count
        out["consumed_data"] = {"amount": f"{used:.2f}", "unit": "MB"}
        if iccids:
            out["iccids"] = [s["iccid"] for s in self.store.all("sim_cards")
                             if s["sim_card_group_id"] == group["id"]]
        return out

    def _render_bulk(self, bulk: Doc, detailed: bool = True) -> dict[str, Any]:
        out = public(bulk)
        if detailed:
            counts: dict[str, int] = {}
            for action_id in bulk["_actions"]:
                action = self.store.get("sim_card_actions", action_id)
                if action is not None:
                    value = action["status"]["value"]
                    counts[value] = counts.get(value, 0) + 1
            out["sim_card_actions_summary"] = [{"status": s, "count": c}
                                               for s, c in sorted(counts.items())]
        return out

    def _render_order(self, order: Doc) -> dict[str, Any]:
        out = public(order)
        t0 = order.get("_t0")
        if t0 is not None and out.get("status") != "canceled":
            step = max(self.action_delay * 3, 1e-9)
            stage = min(len(ORDER_STAGES) - 1, int((self.store.now() - t0) / step))
            out["status"] = ORDER_STAGES[stage]
            if stage > 0:
                out["updated_at"] = iso(t0 + stage * step)
            if stage >= ORDER_STAGES.index("shipped"):
                out["tracking_url"] = f"https://tracking.example.com/{order['id'][:8]}"
        return out

    def _render_migration(self, mig: Doc) -> dict[str, Any]:
        out = public(mig)
        total, speed = mig["bytes_to_migrate"], mig["speed"]
        duration = total / speed
        if mig.get("_final") == "complete":
            created = mig["created_at"]
            t_created = fleet.FLEET_EPOCH - 45 * fleet.DAY
            out.update(status="complete", bytes_migrated=total, created_at=created,
                       eta=iso(t_created + duration), last_copy=iso(t_created + duration))
            return out
        t0 = mig["_t0"]
        end = mig.get("_stopped_at", self.store.now())
        checking = self.action_delay
        moved = int(min(total, max(0.0, end - t0 - checking) * speed))
        if "_stopped_at" in mig:
            status = "stopped"
        elif end - t0 < checking / 2:
            status = "pending"
        elif end - t0 < checking:
            status = "checking"
        elif moved < total:
            status = "migrating"
        else:
            status = "complete"
        out.update(status=status, bytes_migrated=moved, eta=iso(t0 + checking + duration))
        if moved:
            out["last_copy"] = iso(min(end, t0 + checking + duration))
        return out

    def _render_source(self, src: Doc) -> dict[str, Any]:
        out = public(src)
        # The secret is write-only: never echo it back.
        out["provider_auth"] = {"access_key": src["provider_auth"].get("access_key", "")}
        return out

    # -- SIM cards -----------------------------------------------------------------------

    def op_GetSimCards(self, call: Call) -> Result:
        statuses = call.q("filter[status]")
        tags = call.q("filter[tags]")
        iccid, msisdn = call.q("filter[iccid]"), call.q("filter[msisdn]")
        group_id = call.q("filter[sim_card_group_id]")

        def keep(s: Doc) -> bool:
            if group_id is not None and s["sim_card_group_id"] != group_id:
                return False
            if iccid is not None and iccid not in s["iccid"]:
                return False
            if msisdn is not None and msisdn not in s["msisdn"]:
                return False
            if tags and not all(t in s["tags"] for t in tags):
                return False
            if statuses:
                value = s["status"]["value"]
                imeis = s.get("authorized_imeis")
                unauthorized = bool(imeis) and s.get("current_imei") not in imeis
                if value not in statuses and not ("unauthorized_imei" in statuses and unauthorized):
                    return False
            return True

        sims = [s for s in self.store.all("sim_cards") if keep(s)]
        sort = call.q("sort")
        if sort:
            sims.sort(key=lambda s: float(s["current_billing_period_consumed_data"]["amount"]),
                      reverse=sort.startswith("-"))
        with_group = call.q("include_sim_card_group", False)
        stats = self._group_stats() if with_group else None
        return self._page(call, sims, lambda s: self._render_sim(
            s, simple=True, include_group=with_group, stats=stats))

    def op_GetSimCard(self, call: Call) -> Result:
        sim = self._require("sim_cards", call.id, "SIM card")
        return Result(self._render_sim(sim, include_group=call.q("include_sim_card_group", False),
                                       pin_puk=call.q("include_pin_puk_codes", False)))

    def op_UpdateSimCard(self, call: Call) -> Result:
        sim = self._require("sim_cards", call.id, "SIM card")
        body = call.body or {}
        if body.get("status"):
            raise unprocessable("status cannot be changed by PATCH; use the enable, disable or "
                                "set_standby actions", pointer="/status")
        if "sim_card_group_id" in body:
            self._exists("sim_card_groups", body["sim_card_group_id"], "SIM card group",
                         "/sim_card_group_id")
        if "data_limit" in body:
            limit = body["data_limit"]
            for part in ("amount", "unit"):
                if part not in limit:
                    raise unprocessable(f"data_limit.{part} is required",
                                        pointer=f"/data_limit/{part}")
            _decimal(limit["amount"], "/data_limit/amount")
        for key in ("sim_card_group_id", "tags", "authorized_imeis", "data_limit"):
            if key in body:
                sim[key] = body[key]
        if "data_limit" in body and sim["status"]["value"] in ("enabled", "data_limit_exceeded"):
            self._set_status(sim, "enabled", iso(call.now))
        sim["updated_at"] = iso(call.now)
        self.store.put("sim_cards", sim)
        return Result(self._render_sim(sim))

    def op_DeleteSimCard(self, call: Call) -> Result:
        sim = self._require("sim_cards", call.id, "SIM card")
        if call.q("report_lost") and sim["type"] != "esim":
            raise unprocessable("report_lost applies to eSIMs only", parameter="report_lost")
        self.store.delete("sim_cards", sim["id"])
        return Result(self._render_sim(sim))

    def _sim_action(self, call: Call, sim: Doc, kind: str, *, bulk_id: str | None = None,
                    settings: dict[str, Any] | None = None) -> Doc:
        action: Doc = {
            "id": self.store.new_id(),
            "record_type": "sim_card_action",
            "action_type": kind,
            "sim_card_id": sim["id"],
            "status": {"value": "in-progress", "reason": "The action is being processed."},
            "settings": settings,
            "_due": self._due(call.now),
        }
        if bulk_id is not None:
            action["_bulk"] = bulk_id
        self._stamp(call, action)
        sim["resources_with_in_progress_actions"] = [
            *sim["resources_with_in_progress_actions"],
            {"id": action["id"], "record_type": "sim_card_action", "action_type": kind},
        ]
        sim["actions_in_progress"] = True
        self.store.put("sim_card_actions", action)
        self.store.put("sim_cards", sim)
        self.store.schedule("sim_card_actions", action)
        return action

    def _status_action(self, call: Call, kind: str) -> Result:
        sim = self._require("sim_cards", call.id, "SIM card")
        value = sim["status"]["value"]
        busy = [r for r in sim["resources_with_in_progress_actions"]
                if r.get("action_type") in SIM_STATUS_ACTIONS]
        if busy or value in ("registering", "enabling", "disabling", "setting_standby"):
            raise unprocessable(f"SIM card {sim['id']} is {value}; wait for its current action "
                                "to finish", pointer="/id")
        if kind == "enable":
            if value == "enabled":
                raise unprocessable("SIM card is already enabled", pointer="/id")
            if value == "data_limit_exceeded":
                raise unprocessable("SIM card is over its data limit; raise data_limit with "
                                    "PATCH /sim_cards/{id} first", pointer="/id")
            if value == "standby":
                kind = "enable_standby_sim_card"
            transitional = "enabling"
        elif kind == "disable":
            if value == "disabled":
                raise unprocessable("SIM card is already disabled", pointer="/id")
            transitional = "disabling"
        else:
            if value == "standby":
                raise unprocessable("SIM card is already in standby", pointer="/id")
            transitional = "setting_standby"
        self._set_status(sim, transitional, iso(call.now))
        return Result(public(self._sim_action(call, sim, kind)))

    def op_EnableSimCard(self, call: Call) -> Result:
        return self._status_action(call, "enable")

    def op_DisableSimCard(self, call: Call) -> Result:
        return self._status_action(call, "disable")

    def op_SetSimCardStandby(self, call: Call) -> Result:
        return self._status_action(call, "set_standby")

    def op_SetSimCardPublicIp(self, call: Call) -> Result:
        sim = self._require("sim_cards", call.id, "SIM card")
        region = call.q("region_code", "dc2")
        known = [code for code, _ in fleet.REGIONS["public_ips"]]
        if region not in known:
            raise unprocessable(f"region_code: {region!r} is not a public IP region; "
                                f"use one of {', '.join(known)}", parameter="region_code")
        if sim.get("_public_ip") or sim.get("_public_ip_pending"):
            raise unprocessable("SIM card already has a public IP", pointer="/id")
        sim["_public_ip_pending"] = region
        action = self._sim_action(call, sim, "set_public_ip", settings={"region_code": region})
        return Result(public(action))

    def op_RemoveSimCardPublicIp(self, call: Call) -> Result:
        sim = self._require("sim_cards", call.id, "SIM card")
        if not sim.get("_public_ip"):
            raise unprocessable("SIM card has no public IP to remove", pointer="/id")
        return Result(public(self._sim_action(call, sim, "remove_public_ip")))

    def op_GetSimCardPublicIp(self, call: Call) -> Result:
        sim = self._require("sim_cards", call.id, "SIM card")
        ip = sim.get("_public_ip")
        if ip is None and "_public_ip_pending" not in sim:
            raise not_found(f"SIM card {sim['id']} has no public IP")
        return Result({
            "record_type": "sim_card_public_ip",
            "sim_card_id": sim["id"],
            "type": "ipv4",
            "ip": ip["ip"] if ip else None,
            "region_code": ip["region_code"] if ip else sim["_public_ip_pending"],
            "created_at": ip["created_at"] if ip else iso(call.now),
            "updated_at": ip["updated_at"] if ip else iso(call.now),
        })

    def op_GetSimCardActivationCode(self, call: Call) -> Result:
        sim = self._require("sim_cards", call.id, "SIM card")
        if sim["type"] != "esim":
            raise unprocessable("Activation codes exist for eSIMs only; this is a physical SIM",
                                pointer="/id")
        return Result({"record_type": "sim_card_activation_code",
                       "activation_code": sim["_activation_code"]})

    def op_GetSimCardDeviceDetails(self, call: Call) -> Result:
        sim = self._require("sim_cards", call.id, "SIM card")
        details = fleet.device_details(sim)
        if details is None:
            raise not_found(f"No device has been seen with SIM card {sim['id']} yet")
        return Result(details)

    def op_GetWirelessConnectivityLogs(self, call: Call) -> Result:
        sim = self._require("sim_cards", call.id, "SIM card")
        return self._page(call, fleet.connectivity_logs(self.seed, sim), lambda x: x)

    def _new_sims(self, call: Call, count: int, *, esim: bool, codes: list[str] | None) -> Result:
        body = call.body or {}
        if "sim_card_group_id" in body:
            group = self._exists("sim_card_groups", body["sim_card_group_id"], "SIM card group",
                                 "/sim_card_group_id")
        else:
            group = next((g for g in self.store.all("sim_card_groups") if g.get("default")),
                         None) or next(iter(self.store.all("sim_card_groups")), None)
            if group is None:
                raise unprocessable("Create a SIM card group first", pointer="/sim_card_group_id")
        target = body.get("status", "enabled")
        created = []
        for n in range(count):
            sim_id = self.store.new_id()
            rng = random.Random(f"{self.seed}:sim:{sim_id}")
            sim = fleet.new_sim(rng, sim_id=sim_id, esim=esim, group_id=group["id"],
                                status="registering", tags=list(body.get("tags", [])),
                                created_at=iso(call.now),
                                registration_code=codes[n] if codes else None)
            sim["_due"] = self._due(call.now)
            sim["_target_status"] = target
            self.store.put("sim_cards", sim)
            self.store.schedule("sim_cards", sim)
            created.append(self._render_sim(sim, simple=True))
        return Result(created)

    def op_PurchaseESim(self, call: Call) -> Result:
        amount = (call.body or {})["amount"]
        if amount > MAX_ESIM_PURCHASE:
            raise unprocessable(f"amount: at most {MAX_ESIM_PURCHASE} eSIMs per purchase",
                                pointer="/amount")
        return self._new_sims(call, amount, esim=True, codes=None)

    def _code_problem(self, code: str) -> str | None:
        doc = self.store.get("registration_codes", code)
        if doc is None:
            return "The registration code is not valid."
        if doc["status"] != "available":
            return "The registration code has already been used."
        return None

    def op_RegisterSimCards(self, call: Call) -> Result:
        codes = list((call.body or {})["registration_codes"])
        if not codes:
            raise unprocessable("registration_codes: give at least one code",
                                pointer="/registration_codes")
        errs = []
        for i, code in enumerate(codes):
            problem = self._code_problem(code)
            if problem is None and code in codes[:i]:
                problem = "The registration code is given more than once."
            if problem:
                errs.append(error("10015", "Invalid value", f"{code}: {problem}",
                                  pointer=f"/registration_codes/{i}"))
        if errs:
            spare = sorted(c for c, state in self.registration_codes().items()
                           if state == "available")
            errs[0]["detail"] += (f" Unused sandbox codes: {', '.join(spare)}." if spare
                                  else " The sandbox has no unused codes left.")
            raise ApiError(422, errs)
        for code in codes:
            doc = self.store.get("registration_codes", code)
            assert doc is not None
            doc["status"] = "registered"
            self.store.put("registration_codes", doc)
        return self._new_sims(call, len(codes), esim=False, codes=codes)

    def op_ValidateRegistrationCodes(self, call: Call) -> Result:
        out = []
        for code in (call.body or {}).get("registration_codes", []):
            problem = self._code_problem(code)
            out.append({"record_type": "sim_card_registration_code_validation",
                        "registration_code": code, "valid": problem is None,
                        "invalid_detail": problem})
        return Result(out)

    # -- bulk actions --------------------------------------------------------------------

    def _bulk(self, call: Call, kind: str, sims: list[Doc], per_sim: str,
              settings: dict[str, Any]) -> Result:
        bulk: Doc = {"id": self.store.new_id(), "record_type": "bulk_sim_card_action",
                     "action_type": kind, "settings": settings, "_actions": []}
        self._stamp(call, bulk)
        for sim in sims:
            extra = {"region_code": "dc2"} if per_sim == "set_public_ip" else None
            if per_sim == "set_public_ip" and not sim.get("_public_ip"):
                sim["_public_ip_pending"] = "dc2"
            bulk["_actions"].append(
                self._sim_action(call, sim, per_sim, bulk_id=bulk["id"], settings=extra)["id"])
        self.store.put("bulk_sim_card_actions", bulk)
        return Result(self._render_bulk(bulk, detailed=False))

    def _group_sims(self, group_id: str) -> list[Doc]:
        return [s for s in self.store.all("sim_cards") if s["sim_card_group_id"] == group_id]

    def op_EnableVoiceBulk(self, call: Call) -> Result:
        group = self._exists("sim_card_groups", (call.body or {})["sim_card_group_id"],
                             "SIM card group", "/sim_card_group_id")
        return self._bulk(call, "bulk_enable_voice", self._group_sims(group["id"]),
                          "enable_voice", {"sim_card_group_id": group["id"]})

    def op_DisableVoiceBulk(self, call: Call) -> Result:
        group = self._exists("sim_card_groups", (call.body or {})["sim_card_group_id"],
                             "SIM card group", "/sim_card_group_id")
        return self._bulk(call, "bulk_disable_voice", self._group_sims(group["id"]),
                          "disable_voice", {"sim_card_group_id": group["id"]})

    def op_SetPublicIPsBulk(self, call: Call) -> Result:
        ids = list(dict.fromkeys((call.body or {})["sim_card_ids"]))
        if not ids:
            raise unprocessable("sim_card_ids: give at least one SIM card id",
                                pointer="/sim_card_ids")
        sims = [self._exists("sim_cards", sid, "SIM card", f"/sim_card_ids/{i}")
                for i, sid in enumerate(ids)]
        return self._bulk(call, "bulk_set_public_ips", sims, "set_public_ip",
                          {"sim_card_ids": ids})

    def op_ListBulkSimCardActions(self, call: Call) -> Result:
        return self._list(call, "bulk_sim_card_actions",
                          {"filter[action_type]": self._eq("action_type")},
                          self._render_bulk, newest_first=True)

    def op_GetBulkSimCardAction(self, call: Call) -> Result:
        return Result(self._render_bulk(self._require("bulk_sim_card_actions", call.id,
                                                      "Bulk SIM card action")))

    def op_ListSimCardActions(self, call: Call) -> Result:
        return self._list(call, "sim_card_actions", {
            "filter[action_type]": self._eq("action_type"),
            "filter[bulk_sim_card_action_id]": self._eq("_bulk"),
            "filter[sim_card_id]": self._eq("sim_card_id"),
            "filter[status]": self._eq("status.value"),
        }, newest_first=True)

    def op_GetSimCardAction(self, call: Call) -> Result:
        return Result(public(self._require("sim_card_actions", call.id, "SIM card action")))

    # -- OTA updates ---------------------------------------------------------------------

    def op_ListOtaUpdates(self, call: Call) -> Result:
        keys = _keys("SimplifiedOTAUpdate")
        return self._list(call, "ota_updates", {
            "filter[sim_card_id]": self._eq("sim_card_id"),
            "filter[status]": self._eq("status"),
            "filter[type]": self._eq("type"),
        }, lambda d: {k: d[k] for k in keys if k in d}, newest_first=True)

    def op_GetOtaUpdate(self, call: Call) -> Result:
        return Result(public(self._require("ota_updates", call.id, "OTA update")))

    # -- data usage notifications --------------------------------------------------------

    def _threshold(self, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, str]:
        threshold = {**(current or {}), **body["threshold"]}
        for part in ("amount", "unit"):
            if part not in threshold:
                raise unprocessable(f"threshold.{part} is required", pointer=f"/threshold/{part}")
        _decimal(threshold["amount"], "/threshold/amount")
        return {"amount": threshold["amount"], "unit": threshold["unit"]}

    def op_ListDataUsageNotifications(self, call: Call) -> Result:
        return self._list(call, "sim_card_data_usage_notifications",
                          {"filter[sim_card_id]": self._eq("sim_card_id")})

    def op_PostSimCardDataUsageNotification(self, call: Call) -> Result:
        body = call.body or {}
        self._exists("sim_cards", body["sim_card_id"], "SIM card", "/sim_card_id")
        doc: Doc = {"id": self.store.new_id(), "record_type": "sim_card_data_usage_notification",
                    "sim_card_id": body["sim_card_id"], "threshold": self._threshold(body, None)}
        return Result(public(self.store.put("sim_card_data_usage_notifications",
                                            self._stamp(call, doc))))

    def op_GetSimCardDataUsageNotification(self, call: Call) -> Result:
        return Result(public(self._require("sim_card_data_usage_notifications", call.id,
                                           "Data usage notification")))

    def op_PatchSimCardDataUsageNotification(self, call: Call) -> Result:
        doc = self._require("sim_card_data_usage_notifications", call.id,
                            "Data usage notification")
        body = call.body or {}
        if "sim_card_id" in body:
            self._exists("sim_cards", body["sim_card_id"], "SIM card", "/sim_card_id")
        if "threshold" in body:
            doc["threshold"] = self._threshold(body, doc["threshold"])
        if "sim_card_id" in body:
            doc["sim_card_id"] = body["sim_card_id"]
        self._stamp(call, doc, created=False)
        return Result(public(self.store.put("sim_card_data_usage_notifications", doc)))

    def op_DeleteSimCardDataUsageNotifications(self, call: Call) -> Result:
        self._require("sim_card_data_usage_notifications", call.id, "Data usage notification")
        return Result(public(self.store.delete("sim_card_data_usage_notifications", call.id)
                             or {}))

    # -- SIM card groups -----------------------------------------------------------------

    def _group_fields(self, body: dict[str, Any], group: Doc) -> None:
        if "name" in body and not body["name"].strip():
            raise unprocessable("name must not be empty", pointer="/name")
        limit = body.get("data_limit")
        if limit is not None:
            if "amount" in limit:
                _decimal(limit["amount"], "/data_limit/amount")
            if limit.get("unit", "MB") not in ("MB", "GB"):
                raise unprocessable(f"data_limit.unit: {limit['unit']!r} is not MB or GB",
                                    pointer="/data_limit/unit")
            group["data_limit"] = {**group["data_limit"], **limit}
        if "name" in body:
            group["name"] = body["name"]

    def op_GetAllSimCardGroups(self, call: Call) -> Result:
        stats = self._group_stats()
        return self._list(call, "sim_card_groups", {
            "filter[name]": lambda d, v: _contains(d["name"], v),
            "filter[private_wireless_gateway_id]": self._eq("private_wireless_gateway_id"),
            "filter[wireless_blocklist_id]": self._eq("wireless_blocklist_id"),
        }, lambda g: self._render_group(g, stats))

    def op_CreateSimCardGroup(self, call: Call) -> Result:
        group: Doc = {"id": self.store.new_id(), "record_type": "sim_card_group", "name": "",
                      "default": False, "data_limit": {},
                      "private_wireless_gateway_id": None, "wireless_blocklist_id": None}
        self._group_fields(call.body or {}, group)
        self.store.put("sim_card_groups", self._stamp(call, group))
        return Result(self._render_group(group))

    def op_GetSimCardGroup(self, call: Call) -> Result:
        group = self._require("sim_card_groups", call.id, "SIM card group")
        return Result(self._render_group(group, iccids=call.q("include_iccids", False)))

    def op_UpdateSimCardGroup(self, call: Call) -> Result:
        group = self._require("sim_card_groups", call.id, "SIM card group")
        self._group_fields(call.body or {}, group)
        self.store.put("sim_card_groups", self._stamp(call, group, created=False))
        return Result(self._render_group(group))

    def op_DeleteSimCardGroup(self, call: Call) -> Result:
        group = self._require("sim_card_groups", call.id, "SIM card group")
        if group.get("default"):
            raise unprocessable("The default SIM card group cannot be deleted", pointer="/id")
        members = len(self._group_sims(group["id"]))
        if members:
            raise unprocessable(f"SIM card group {group['name']!r} still has {members} SIM "
                                "card(s); move them to another group first", pointer="/id")
        rendered = self._render_group(group)
        self.store.delete("sim_card_groups", group["id"])
        return Result(rendered)

    def _group_action(self, call: Call, kind: str, settings: dict[str, Any]) -> Result:
        group = self._require("sim_card_groups", call.id, "SIM card group")
        if kind == "remove_private_wireless_gateway" and not group["private_wireless_gateway_id"]:
            raise unprocessable("The group has no private wireless gateway", pointer="/id")
        if kind == "remove_wireless_blocklist" and not group["wireless_blocklist_id"]:
            raise unprocessable("The group has no wireless blocklist", pointer="/id")
        action: Doc = {"id": self.store.new_id(), "record_type": "sim_card_group_action",
                       "type": kind, "sim_card_group_id": group["id"], "status": "in-progress",
                       "settings": settings, "_due": self._due(call.now)}
        self.store.put("sim_card_group_actions", self._stamp(call, action))
        self.store.schedule("sim_card_group_actions", action)
        return Result(public(action))

    def op_SetPrivateWirelessGatewayForSimCardGroup(self, call: Call) -> Result:
        pwg = (call.body or {})["private_wireless_gateway_id"]
        if self.store.get("private_wireless_gateways", pwg) is None:
            raise unprocessable(f"private_wireless_gateway_id: no gateway with id {pwg!r}; the "
                                "sandbox knows "
                                f"{', '.join(self.private_wireless_gateway_ids())}",
                                pointer="/private_wireless_gateway_id")
        return self._group_action(call, "set_private_wireless_gateway",
                                  {"private_wireless_gateway_id": pwg})

    def op_RemoveSimCardGroupPrivateWirelessGateway(self, call: Call) -> Result:
        return self._group_action(call, "remove_private_wireless_gateway", {})

    def op_SetWirelessBlocklistForSimCardGroup(self, call: Call) -> Result:
        wbl = (call.body or {})["wireless_blocklist_id"]
        self._exists("wireless_blocklists", wbl, "wireless blocklist", "/wireless_blocklist_id")
        return self._group_action(call, "set_wireless_blocklist", {"wireless_blocklist_id": wbl})

    def op_RemoveWirelessBlocklistForSimCardGroup(self, call: Call) -> Result:
        return self._group_action(call, "remove_wireless_blocklist", {})

    def op_GetSimCardGroupActions(self, call: Call) -> Result:
        return self._list(call, "sim_card_group_actions", {
            "filter[sim_card_group_id]": self._eq("sim_card_group_id"),
            "filter[status]": self._eq("status"),
            "filter[type]": self._eq("type"),
        }, newest_first=True)

    def op_GetSimCardGroupAction(self, call: Call) -> Result:
        return Result(public(self._require("sim_card_group_actions", call.id,
                                           "SIM card group action")))

    # -- orders --------------------------------------------------------------------------

    def _address(self, body: dict[str, Any]) -> Doc:
        # The 66 operations have no address listing, so the error names the sandbox's own.
        if self.store.get("addresses", body["address_id"]) is None:
            raise unprocessable(f"address_id: no address with id {body['address_id']!r}; the "
                                f"sandbox knows {', '.join(self.address_ids())}",
                                pointer="/address_id")
        return self._require("addresses", body["address_id"], "Address", "/address_id")

    def op_PreviewSimCardOrders(self, call: Call) -> Result:
        body = call.body or {}
        self._address(body)
        quantity = body["quantity"]
        sims = f"{quantity * float(fleet.SIM_PRICE):.2f}"
        return Result({
            "record_type": "sim_card_order_preview",
            "quantity": quantity,
            "sim_cards_cost": {"amount": sims, "currency": fleet.CURRENCY},
            "shipping_cost": {"amount": fleet.SHIPPING, "currency": fleet.CURRENCY},
            "total_cost": {"amount": fleet.order_cost(quantity), "currency": fleet.CURRENCY},
        })

    def op_CreateSimCardOrder(self, call: Call) -> Result:
        body = call.body or {}
        address = self._address(body)
        order: Doc = {"id": self.store.new_id(), "record_type": "sim_card_order",
                      "quantity": body["quantity"],
                      "cost": {"amount": fleet.order_cost(body["quantity"]),
                               "currency": fleet.CURRENCY},
                      "order_address": dict(address), "status": "pending", "_t0": call.now}
        self.store.put("sim_card_orders", self._stamp(call, order))
        return Result(self._render_order(order))

    def op_GetSimCardOrders(self, call: Call) -> Result:
        filters: dict[str, Callable[[Doc, Any], bool]] = {
            f"filter[address.{f}]": (lambda f: lambda d, v: d["order_address"].get(f) == v)(f)
            for f in ("administrative_area", "country_code", "extended_address", "id",
                      "locality", "postal_code", "street_address")
        }
        if "filter[cost.amount]" in call.query:
            try:
                wanted = Decimal(call.query["filter[cost.amount]"])
            except InvalidOperation:
                raise unprocessable("filter[cost.amount]: not a decimal number",
                                    parameter="filter[cost.amount]") from None
            filters["filter[cost.amount]"] = lambda d, v: Decimal(d["cost"]["amount"]) == wanted
        filters["filter[cost.currency]"] = lambda d, v: d["cost"]["currency"] == v
        filters["filter[quantity]"] = self._eq("quantity")
        for stamp in ("created_at", "updated_at"):
            filters[f"filter[{stamp}]"] = (lambda s: lambda d, v: d[s][:10] == v[:10])(stamp)
        rendered = [self._render_order(o) for o in self.store.all("sim_card_orders")]
        active = [(fn, call.query[name]) for name, fn in filters.items() if name in call.query]
        keep = [o for o in rendered if all(fn(o, v) for fn, v in active)]
        return self._page(call, keep, lambda o: o)

    def op_GetSimCardOrder(self, call: Call) -> Result:
        return Result(self._render_order(self._require("sim_card_orders", call.id,
                                                       "SIM card order")))

    # -- wireless regions and blocklists -------------------------------------------------

    def op_WirelessRegionsGetAll(self, call: Call) -> Result:
        product = call.q("product")
        if product not in fleet.REGIONS:
            raise unprocessable(f"product: {product!r} is not one of "
                                f"{', '.join(fleet.REGIONS)}", parameter="product")
        stamp = iso(fleet.FLEET_EPOCH - 365 * fleet.DAY)
        return Result([{"code": c, "name": n, "inserted_at": stamp, "updated_at": stamp}
                       for c, n in fleet.REGIONS[product]])

    def op_WirelessBlocklistsGetAll(self, call: Call) -> Result:
        values = fleet.BLOCKLIST_VALUES[call.q("type")]
        return self._page(call, list(values), lambda cn: {"code": cn[0], "name": cn[1]})

    def _blocklist_values(self, kind: str, values: list[str]) -> list[str]:
        pattern = {"country": r"[A-Z]{2}", "mcc": r"\d{3}", "plmn": r"\d{5,6}"}[kind]
        example = {"country": "US", "mcc": "310", "plmn": "310410"}[kind]
        for i, value in enumerate(values):
            if not re.fullmatch(pattern, value):
                raise unprocessable(f"values/{i}: {value!r} is not a valid {kind} code "
                                    f"(e.g. {example!r})", pointer=f"/values/{i}")
        return list(dict.fromkeys(values))

    def op_GetWirelessBlocklistsGateways(self, call: Call) -> Result:
        return self._list(call, "wireless_blocklists", {
            "filter[name]": lambda d, v: _contains(d["name"], v),
            "filter[type]": self._eq("type"),
            "filter[values]": lambda d, v: all(x in d["values"] for x in v.split(",") if x),
        })

    def op_CreateWirelessBlocklist(self, call: Call) -> Result:
        body = call.body or {}
        if not body["name"].strip():
            raise unprocessable("name must not be empty", pointer="/name")
        doc: Doc = {"id": self.store.new_id(), "record_type": "wireless_blocklist",
                    "name": body["name"], "type": body["type"],
                    "values": self._blocklist_values(body["type"], body["values"])}
        return Result(public(self.store.put("wireless_blocklists", self._stamp(call, doc))))

    def op_GetWirelessBlocklist(self, call: Call) -> Result:
        return Result(public(self._require("wireless_blocklists", call.id, "Wireless blocklist")))

    def op_UpdateWirelessBlocklist(self, call: Call) -> Result:
        doc = self._require("wireless_blocklists", call.id, "Wireless blocklist")
        body = call.body or {}
        if "name" in body and not body["name"].strip():
            raise unprocessable("name must not be empty", pointer="/name")
        if "values" in body:
            doc["values"] = self._blocklist_values(doc["type"], body["values"])
        if "name" in body:
            doc["name"] = body["name"]
        return Result(public(self.store.put("wireless_blocklists",
                                            self._stamp(call, doc, created=False))))

    def op_DeleteWirelessBlocklist(self, call: Call) -> Result:
        doc = self._require("wireless_blocklists", call.id, "Wireless blocklist")
        users = [g["name"] for g in self.store.all("sim_card_groups")
                 if g.get("wireless_blocklist_id") == doc["id"]]
        if users:
            raise unprocessable(f"The blocklist is assigned to SIM card group(s) "
                                f"{', '.join(users)}; remove it from them first", pointer="/id")
        self.store.delete("wireless_blocklists", doc["id"])
        return Result(public(doc))

    # -- mobile voice connections --------------------------------------------------------

    def op_listMobileVoiceConnections(self, call: Call) -> Result:
        needle = call.q("filter[connection_name][contains]")
        docs = [d for d in self.store.all("mobile_voice_connections")
                if needle is None or _contains(d.get("connection_name"), needle)]
        sort = call.q("sort")
        if sort:
            name = sort.lstrip("-")
            if name not in ("created_at", "updated_at", "connection_name", "active"):
                raise unprocessable(f"sort: cannot sort by {name!r}; use created_at, updated_at, "
                                    "connection_name or active (prefix - for descending)",
                                    parameter="sort")
            docs.sort(key=lambda d: (d.get(name) is None, d.get(name) or ""),
                      reverse=sort.startswith("-"))
        return self._page(call, docs, public)

    def op_createMobileVoiceConnection(self, call: Call) -> Result:
        body = call.body or {}
        doc: Doc = {
            "id": self.store.new_numeric_id(),
            "record_type": "mobile_voice_connection",
            "connection_name": body.get("connection_name", "Telnyx Mobile Voice IMS"),
            "active": body.get("active", True),
            "inbound": {"channel_limit": None, **body.get("inbound", {})},
            "outbound": {"channel_limit": None, "outbound_voice_profile_id": None,
                         **body.get("outbound", {})},
            "tags": list(body.get("tags", [])),
            "webhook_api_version": body.get("webhook_api_version", "2"),
            "webhook_event_url": body.get("webhook_event_url"),
            "webhook_event_failover_url": body.get("webhook_event_failover_url"),
            "webhook_timeout_secs": body.get("webhook_timeout_secs"),
        }
        return Result(public(self.store.put("mobile_voice_connections", self._stamp(call, doc))))

    def op_retrieveMobileVoiceConnection(self, call: Call) -> Result:
        return Result(public(self._require("mobile_voice_connections", call.id,
                                           "Mobile voice connection")))

    def op_updateMobileVoiceConnection(self, call: Call) -> Result:
        doc = self._require("mobile_voice_connections", call.id, "Mobile voice connection")
        for key, value in (call.body or {}).items():
            doc[key] = {**doc[key], **value} if key in ("inbound", "outbound") else value
        return Result(public(self.store.put("mobile_voice_connections",
                                            self._stamp(call, doc, created=False))))

    def op_deleteMobileVoiceConnection(self, call: Call) -> Result:
        doc = self._require("mobile_voice_connections", call.id, "Mobile voice connection")
        self.store.delete("mobile_voice_connections", doc["id"])
        return Result(public(doc))

    # -- storage migrations --------------------------------------------------------------

    def op_ListMigrationSourceCoverage(self, call: Call) -> Result:
        return self._page(call, list(fleet.MIGRATION_COVERAGE),
                          lambda r: {"provider": "aws", "source_region": r})

    def op_ListMigrationSources(self, call: Call) -> Result:
        return self._page(call, list(self.store.all("migration_sources")), self._render_source)

    def op_CreateMigrationSource(self, call: Call) -> Result:
        body = call.body or {}
        auth = body["provider_auth"]
        for part in ("access_key", "secret_access_key"):
            if not auth.get(part):
                raise unprocessable(f"provider_auth.{part} is required",
                                    pointer=f"/provider_auth/{part}")
        region = body.get("source_region")
        if body["provider"] == "aws" and region is not None and \
                region not in fleet.MIGRATION_COVERAGE:
            raise unprocessable(f"source_region: {region!r} is not covered; see "
                                "GET /storage/migration_source_coverage", pointer="/source_region")
        doc: Doc = {"id": self.store.new_id(), "provider": body["provider"],
                    "bucket_name": body["bucket_name"], "provider_auth": dict(auth)}
        if region is not None:
            doc["source_region"] = region
        return Result(self._render_source(self.store.put("migration_sources", doc)))

    def op_GetMigrationSource(self, call: Call) -> Result:
        return Result(self._render_source(self._require("migration_sources", call.id,
                                                        "Migration source")))

    def op_DeleteMigrationSource(self, call: Call) -> Result:
        doc = self._require("migration_sources", call.id, "Migration source")
        self.store.delete("migration_sources", doc["id"])
        return Result(self._render_source(doc))

    def op_ListMigrations(self, call: Call) -> Result:
        return self._page(call, list(self.store.all("migrations")), self._render_migration)

    def op_CreateMigration(self, call: Call) -> Result:
        body = call.body or {}
        source = self._exists("migration_sources", body["source_id"], "migration source",
                              "/source_id")
        rng = random.Random(f"{self.seed}:bucket:{source['bucket_name']}")
        doc: Doc = {"id": self.store.new_id(), "source_id": source["id"],
                    "target_bucket_name": body["target_bucket_name"],
                    "target_region": body["target_region"],
                    "refresh": body.get("refresh", False),
                    "bytes_to_migrate": rng.randrange(1, 50) * 1024**3,
                    "speed": 104_857_600, "created_at": iso(call.now), "_t0": call.now}
        return Result(self._render_migration(self.store.put("migrations", doc)))

    def op_GetMigration(self, call: Call) -> Result:
        return Result(self._render_migration(self._require("migrations", call.id, "Migration")))

    def op_StopMigration(self, call: Call) -> Result:
        doc = self._require("migrations", call.id, "Migration")
        status = self._render_migration(doc)["status"]
        if status in ("complete", "stopped", "error"):
            raise unprocessable(f"The migration is already {status}", pointer="/id")
        doc["_stopped_at"] = call.now
        return Result(self._render_migration(self.store.put("migrations", doc)))


def create_app(
    *,
    seed: int = 7,
    sim_count: int = 48,
    state_path: str | None = None,
    api_key: str | None = None,
    action_delay: float = 1.0,
    clock: Callable[[], float] = time.time,
) -> Starlette:
    """The sandbox as an ASGI app serving the Telnyx IoT API under /v2."""
    sandbox = Sandbox(seed=seed, sim_count=sim_count, state_path=state_path, api_key=api_key,
                      action_delay=action_delay, clock=clock)

    async def endpoint(request: Request) -> JSONResponse:
        body = await request.body()
        status, payload = sandbox.handle(
            request.method, request.url.path, request.query_params.multi_items(), body,
            request.headers.get("authorization"),
        )
        return JSONResponse(payload, status_code=status)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            sandbox.store.close()

    methods = ["GET", "POST", "PATCH", "PUT", "DELETE"]
    app = Starlette(routes=[Route("/{path:path}", endpoint, methods=methods)], lifespan=lifespan)
    app.state.sandbox = sandbox
    app.state.store = sandbox.store
    return app


def summary(app: Starlette) -> str:
    """One line describing the sandbox's fleet, e.g. for a CLI banner."""
    return app.state.sandbox.summary()


def serve(host: str = "127.0.0.1", port: int = 8780, **create_app_kwargs: Any) -> None:
    """Run the sandbox over real HTTP with uvicorn (loopback only unless `host` says else).

    Prints one banner line to stderr; stdout stays untouched.
    """
    import uvicorn

    app = create_app(**create_app_kwargs)
    print(f"{summary(app)}; serving http://{host}:{port}{PREFIX}", file=sys.stderr, flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


__all__ = ["Sandbox", "create_app", "serve", "summary"]
