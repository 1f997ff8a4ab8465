"""Change plans: one single-SIM operation applied to many SIM cards, resolved to a concrete set first.

`resolve` turns the targets (ids, ICCIDs or a list_sim_cards filter) into the SIM records as they are now;
`describe` puts the plan in words for one question; `run` sends one request per SIM through the same
client (its in-flight limit, retries and rate-limit handling apply to each), at most `concurrency` at once,
and reports every SIM's outcome. Nothing here asks anyone: the gate does, once, bound to `fingerprint`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Container, Iterator
from dataclasses import dataclass, field
from typing import Any

import anyio

from ..tools.client import TelnyxClient
from ..tools.errors import MAY_HAVE_HAPPENED, ToolError, invalid_arguments
from ..tools.executor import check_arguments, execute
from ..tools.local import MAX_PLAN_SIMS
from ..tools.paging import PAGE_SIZE, Progress
from ..tools.registry import OPERATIONS, Operation
from ..tools.waiting import wait_for_action
from ..tools.words import clean, mask_iccid, mb_text, megabytes, quoted, status_of
from mcp import types
from mcp.server import ServerRequestContext

from ..tools.local import APPLY_TO_SIM_CARDS
from . import metrics
from .audit import RequestIdRecorder
from . import journal
from .confirm_token import split_token
from .gate import CardAnswer, Gate, Subject, Verdict
from .preview import Challenge, Preview, Reader
from .selection import CATALOG, plan_operations

TARGETS = ("sim_card_ids", "iccids", "filter")
SAMPLE = 5
PLACEHOLDER_ID = "00000000-0000-4000-8000-000000000000"


@dataclass
class Plan:
    op: Operation
    arguments: dict[str, Any]  # the operation's own arguments, without sim_card_id
    sims: list[dict[str, Any]]  # every resolved SIM, as read
    skipped: list[dict[str, Any]] = field(default_factory=list)  # already where the operation would put them

    @property
    def todo(self) -> list[dict[str, Any]]:
        skipped = {id(s) for s in self.skipped}
        return [s for s in self.sims if id(s) not in skipped]

    def fingerprint(self) -> str:
        """What a confirmation is bound to: each SIM's id and status, and which are skipped."""
        rows = sorted([s["id"], status_of(s) or "", s in self.skipped] for s in self.sims)
        return hashlib.sha256(json.dumps(rows, separators=(",", ":")).encode()).hexdigest()


def check(arguments: dict[str, Any], offered: Container[str] = CATALOG) -> Operation:
    """The plan's operation, after checking what the schema cannot say; raises invalid_arguments. A plan
    runs only an operation the server offers (toolsets, --tools, --exclude-tools and read-only bind it)."""
    name = "apply_to_sim_cards"
    given = [t for t in TARGETS if t in arguments]
    if len(given) != 1:
        raise invalid_arguments(name, [f"give exactly one of {', '.join(TARGETS)} (got {', '.join(given) or 'none'})"])
    if arguments["operation"] not in offered:
        runs = ", ".join(plan_operations(offered)) or "none"
        raise invalid_arguments(name, [f"operation: {arguments['operation']} is not offered by this server's "
                                       f"configuration, so no plan runs it (offered here: {runs})"])
    op = OPERATIONS[arguments["operation"]]
    inner = dict(arguments.get("arguments") or {})
    try:
        check_arguments(op, {**inner, "sim_card_id": PLACEHOLDER_ID})
    except ToolError as error:
        problems = [f"arguments.{p}" if not p.startswith("arguments") else p for p in error.payload["problems"]]
        raise invalid_arguments(name, [f"{op.name}: {p}" for p in problems]) from None
    return op


# Once the server is stopping, the requests a plan has in flight get this long to be answered; then they are cut
# and reported `unknown`. Under the HTTP grace (server/http.py SHUTDOWN_GRACE), so the caller still gets its answer.
FINISH_SECONDS = 2.0


class Cutoff:
    """The requests of a plan in flight when the server stops: given FINISH_SECONDS, then cancelled.

    `async with cutoff.watching():` around the plan's run; `with cutoff.guard():` around each request (one cut
    leaves the block without its answer)."""

    def __init__(self, stopping: Callable[[], str | None] | None, seconds: float | None = None) -> None:
        self.stopping = stopping or (lambda: None)
        self.seconds = FINISH_SECONDS if seconds is None else seconds
        self.scopes: set[anyio.CancelScope] = set()
        self.cut = False

    @contextlib.contextmanager
    def guard(self) -> Iterator[anyio.CancelScope]:
        scope = anyio.CancelScope()
        if self.cut:
            scope.cancel()
        self.scopes.add(scope)
        try:
            with scope:
                yield scope
        finally:
            self.scopes.discard(scope)

    async def _watch(self) -> None:
        while not self.stopping():
            await anyio.sleep(0.05)
        await anyio.sleep(self.seconds)
        self.cut = True
        for scope in list(self.scopes):
            scope.cancel()

    @contextlib.asynccontextmanager
    async def watching(self) -> AsyncIterator[None]:
        async with anyio.create_task_group() as group:
            group.start_soon(self._watch)
            yield
            group.cancel_scope.cancel()


def cut_row(sim: dict[str, Any], why: str | None) -> dict[str, Any]:
    return _outcome(sim, "unknown", reason=f"{why or 'the server was stopped'} while the request was in flight: it "
                    "may have taken effect")


async def _bounded(items: list[Any], work: Callable[[Any], Awaitable[Any]], limit: int) -> list[Any]:
    """`work` on every item, at most `limit` at once. The first ToolError stops the rest and is raised as it is
    (a task group would wrap it in an exception group, which reads as a failure inside the server)."""
    results: list[Any] = [None] * len(items)
    slots = anyio.CapacityLimiter(max(1, limit))
    failed: list[ToolError] = []

    async def one(index: int, item: Any) -> None:
        async with slots:
            try:
                results[index] = await work(item)
            except ToolError as error:
                failed.append(error)
                group.cancel_scope.cancel()

    async with anyio.create_task_group() as group:
        for index, item in enumerate(items):
            group.start_soon(one, index, item)
    if failed:
        raise failed[0]
    return results


async def resolve(client: TelnyxClient, arguments: dict[str, Any], op: Operation, concurrency: int,
                  offered: Container[str] = CATALOG) -> Plan:
    """The SIM cards the targets name, as they are now; raises ToolError when some cannot be found (its hint
    names a tool only if `offered` has it)."""
    list_op = OPERATIONS["list_sim_cards"]
    # Read whole: a plan of a few hundred SIMs with their groups is larger than one answer to a model.
    if "filter" in arguments:
        found = await execute(client, list_op, {**arguments["filter"], "include_sim_card_group": True,
                                                "page_size": 1}, whole=True)
        total = (found.get("meta") or {}).get("total_results")
        if isinstance(total, int) and total > MAX_PLAN_SIMS:
            raise _too_many(total)
        listed = await execute(client, list_op, {**arguments["filter"], "include_sim_card_group": True,
                                                 "all_pages": True, "page_size": PAGE_SIZE}, whole=True)
        sims = listed["data"] or []
        if len(sims) > MAX_PLAN_SIMS or (listed.get("meta") or {}).get("truncated"):
            raise _too_many(total if isinstance(total, int) else len(sims))
    elif "iccids" in arguments:
        async def by_iccid(iccid: str) -> dict[str, Any] | None:
            page = await execute(client, list_op, {"iccid": iccid, "include_sim_card_group": True, "page_size": 250},
                                 whole=True)
            return next((s for s in page["data"] or [] if s.get("iccid") == iccid), None)  # the filter matches starts

        rows = await _bounded(arguments["iccids"], by_iccid, concurrency)
        missing = [i for i, s in zip(arguments["iccids"], rows) if s is None]
        if missing:
            raise _not_found("ICCIDs", missing, offered)
        sims = rows
    else:
        async def by_id(sim_id: str) -> dict[str, Any] | None:
            try:
                return (await execute(client, OPERATIONS["get_sim_card"],
                                      {"sim_card_id": sim_id, "include_sim_card_group": True}, whole=True))["data"]
            except ToolError as error:
                if error.payload.get("status") == 404:
                    return None
                raise

        rows = await _bounded(arguments["sim_card_ids"], by_id, concurrency)
        missing = [i for i, s in zip(arguments["sim_card_ids"], rows) if s is None]
        if missing:
            raise _not_found("ids", missing, offered)
        sims = rows
    # One request per SIM: two targets naming the same SIM (its id in two spellings, a page that shifted) are one.
    unique: dict[str, dict[str, Any]] = {}
    for sim in sims:
        if isinstance(sim, dict) and sim.get("id"):
            unique.setdefault(sim["id"], sim)
    sims = list(unique.values())
    skipped = await journal.already_done(client, op, sims, dict(arguments.get("arguments") or {}), concurrency)
    return Plan(op, dict(arguments.get("arguments") or {}), sims, skipped)


def _too_many(total: int) -> ToolError:
    return ToolError("plan_too_large", f"The targets match {total} SIM cards; a plan takes at most {MAX_PLAN_SIMS}. "
                     "Nothing was sent to Telnyx.",
                     hint="Narrow the filter (a group, a status, tags) or split the SIMs into several plans.")


def _not_found(what: str, missing: list[str], offered: Container[str]) -> ToolError:
    shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
    return ToolError("not_found", f"No SIM card has these {what}: {shown}. Nothing was sent to Telnyx.",
                     hint=("Check them with list_sim_cards, or leave" if "list_sim_cards" in offered else "Leave")
                     + " them out of the plan.")


def _group_name(sim: dict[str, Any]) -> str:
    group = sim.get("sim_card_group")
    if isinstance(group, dict) and group.get("name"):
        return quoted(group["name"], 32)
    return f"group {sim['sim_card_group_id']}" if sim.get("sim_card_group_id") else "no group"


def _counted(counter: Counter, limit: int = 6) -> str:
    items = counter.most_common()
    text = ", ".join(f"{name} {count}" for name, count in items[:limit])
    return text + (f", {len(items) - limit} more" if len(items) > limit else "")


def describe(plan: Plan, reasons: list[str]) -> str:
    """The whole plan in one paragraph: what, on how many, by status and group, a sample, data, skips, why."""
    todo = plan.todo
    parts = [f"{plan.op.title}, as one plan: {len(todo)} SIM card{'s' if len(todo) != 1 else ''}"]
    if plan.arguments:
        parts[0] += f" with {json.dumps(plan.arguments, ensure_ascii=False, sort_keys=True)[:200]}"
    if todo:
        parts.append("by status: " + _counted(Counter(status_of(s) or "unknown" for s in todo)))
        parts.append("by group: " + _counted(Counter(_group_name(s) for s in todo)))
        sample = ", ".join(mask_iccid(s.get("iccid")) for s in todo[:SAMPLE])
        parts.append(f"ICCIDs {sample}" + (f" and {len(todo) - SAMPLE} more" if len(todo) > SAMPLE else ""))
        used = [megabytes(s.get("current_billing_period_consumed_data")) for s in todo]
        known = [u for u in used if u is not None]
        if known:
            parts.append(f"{mb_text(sum(known))} used this billing period in total")
    if plan.skipped:
        parts.append(f"{len(plan.skipped)} skipped, {journal.already(plan.op)}")
    why = " ".join(reasons) or plan.op.reason
    if plan.op.kind == "billable":
        why = f"Billed for each of the {len(todo)} SIM cards: {why}"
    return "; ".join(parts) + f"? {why}"


def _outcome(sim: dict[str, Any], outcome: str, **details: Any) -> dict[str, Any]:
    row = {"sim_card_id": sim["id"], "iccid": sim.get("iccid"), "outcome": outcome}
    row.update({k: v for k, v in details.items() if v is not None})
    return row


SimSent = Callable[[dict[str, Any]], Awaitable[None] | None]
SimAnswered = Callable[[dict[str, Any], dict[str, Any], str | None], Awaitable[None] | None]


async def _called(result: Awaitable[None] | None) -> None:
    if result is not None:
        await result


async def run(client: TelnyxClient, plan: Plan, *, concurrency: int, wait: bool = False,
              progress: Progress | None = None, on_send: SimSent | None = None, on_answer: SimAnswered | None = None,
              wait_seconds: int = 120, poll_seconds: float = 3,
              stopping: Callable[[], str | None] | None = None) -> list[dict[str, Any]]:
    """Send the plan, one request per SIM; one failure never stops the others, and nothing is sent twice.

    `on_send(sim)` is called just before a SIM's request is sent and `on_answer(sim, row, api_request_id)` once
    it is answered (or failed), before any following of its action: the audit lines."""
    todo = plan.todo
    finished = 0
    results: dict[str, dict[str, Any]] = {s["id"]: _outcome(s, "skipped", status=status_of(s),
                                                             reason=journal.already(plan.op))
                                          for s in plan.skipped}

    cutoff = Cutoff(stopping)

    async def one(sim: dict[str, Any]) -> None:
        nonlocal finished
        recorder = RequestIdRecorder(client)
        if cutoff.stopping():  # the server is stopping: no SIM starts from now on
            results[sim["id"]] = _outcome(sim, "not_started", reason=f"not sent: {cutoff.stopping()}")
            return
        row: dict[str, Any] | None = None
        with cutoff.guard():
            try:
                if on_send is not None:  # its audit line: when it cannot be written, this SIM is not sent
                    await _called(on_send(sim))
                row = _result_row(sim, (await execute(recorder, plan.op,
                                                      {**plan.arguments, "sim_card_id": sim["id"]}))["data"])
            except ToolError as error:
                unknown = MAY_HAVE_HAPPENED in str(error.payload.get("hint", ""))
                row = _outcome(sim, "unknown" if unknown else "failed", reason=error.message,
                               hint=error.payload.get("hint") if unknown else None)
        if row is None:  # cut: the server stopped while it was in flight
            row = cut_row(sim, cutoff.stopping())
        if on_answer is not None:
            await _called(on_answer(sim, row, recorder.request_id))
        if wait and row["outcome"] == "submitted" and not cutoff.stopping():
            with cutoff.guard():
                row = await _follow(client, sim, row, wait_seconds, poll_seconds)
        results[sim["id"]] = row
        finished += 1
        if progress is not None:
            await progress(finished, len(todo), f"{mask_iccid(sim.get('iccid'))}: {row['outcome']}")

    async with cutoff.watching():
        await _bounded(todo, one, concurrency)
    return [results[s["id"]] for s in plan.sims]


def _result_row(sim: dict[str, Any], answer: Any) -> dict[str, Any]:
    if isinstance(answer, dict) and answer.get("record_type") == "sim_card_action":
        status = status_of(answer)
        outcome = {"completed": "done", "failed": "failed"}.get(status or "", "submitted")
        return _outcome(sim, outcome, action_id=answer.get("id"), status=status)
    return _outcome(sim, "done", status=status_of(answer))


async def _follow(client: TelnyxClient, sim: dict[str, Any], row: dict[str, Any], timeout: int,
                  interval: float) -> dict[str, Any]:
    try:
        followed = await wait_for_action(client, {"action_id": row["action_id"], "kind": "sim_card",
                                                  "timeout_seconds": timeout, "interval_seconds": interval})
    except ToolError as error:
        return {**row, "reason": f"submitted; following the action failed: {error.message}"}
    action, meta = followed["data"] or {}, followed["meta"]
    if not meta["done"]:
        return {**row, "status": meta["status"], "reason": meta.get("note")}
    reason = action.get("status", {}).get("reason") if isinstance(action.get("status"), dict) else None
    return _outcome(sim, "done" if meta["status"] == "completed" else "failed", action_id=row["action_id"],
                    status=meta["status"], reason=reason if meta["status"] == "failed" else None)


def counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    return dict(Counter(row["outcome"] for row in rows))




def concurrency_for(client: TelnyxClient) -> int:
    """Half the client's in-flight limit: a plan never takes every slot from the other calls."""
    return max(1, int(getattr(client, "max_concurrency", 8)) // 2)


async def judge(gate: Gate, plan: Plan, concurrency: int) -> tuple[str, list[str], bool]:
    """The class the plan is asked about, the reasons, and whether anyone must be asked at all.

    A gated operation asks by class; a write asks when its effect rules trip for any of the SIMs."""
    op = plan.op
    if op.gated:
        return op.kind, [], True
    if not op.effects or not plan.todo:
        return op.kind, [], False
    read = Reader(gate.client)

    async def one(sim: dict[str, Any]) -> tuple[str, list[str]]:
        return await gate.effects(op, {**plan.arguments, "sim_card_id": sim["id"]}, read)

    judged = await _bounded(plan.todo, one, concurrency)
    tripped = [(kind, reasons) for kind, reasons in judged if reasons]
    kind_together, as_one = await gate.effects(op, plan.arguments, read, together=plan.todo)
    if not tripped and not as_one:
        return op.kind, [], False
    kinds = [k for k, _ in tripped] + ([kind_together] if as_one else [])
    kind = "destructive" if "destructive" in kinds else kinds[0]
    shown = [r for _, reasons in tripped[:3] for r in reasons]
    more = [f"({len(tripped) - 3} more SIM cards like these)"] if len(tripped) > 3 else []
    head = [f"For {len(tripped)} of {len(plan.todo)} SIM cards this is more than a setting:"] if tripped else []
    return kind, [*head, *shown, *more, *as_one], True


LOST_IN_FULL = 10  # up to this many SIMs reported lost, the person types each one's ICCID digits


def _challenge(plan: Plan) -> Challenge | None:
    """What the person types to confirm a plan. Reporting SIMs lost (a disabled eSIM is deleted for good) asks
    as much as the single call does, the last 4 digits of each SIM's ICCID; deleting asks for the count."""
    todo = plan.todo
    if plan.arguments.get("report_lost") is True:
        digits = [clean(s.get("iccid") or s["id"], 32)[-4:] for s in todo]
        if len(digits) <= LOST_IN_FULL:
            return Challenge("the last 4 digits of each SIM's ICCID, in order", " ".join(digits))
        return Challenge("how many SIM cards will be reported lost, then the last 4 digits of the first and the "
                         "last SIM's ICCID", f"{len(digits)} {digits[0]} {digits[-1]}")
    if plan.op.method == "DELETE":
        return Challenge("how many SIM cards will be deleted", str(len(todo)))
    return None


async def decide(ctx: ServerRequestContext, params: types.CallToolRequestParams, gate: Gate,
                 arguments: dict[str, Any], offered: Container[str] = CATALOG,
                 card: CardAnswer | None = None) -> tuple[Verdict, Plan]:
    """Check the plan, resolve its SIM cards and ask once, bound to the resolved set: the verdict (or the
    question to answer now, in `verdict.reply`) and the plan it is for. Raises ToolError."""
    client, request_id = gate.client, ctx.request_id
    gate.refuse_read_only(APPLY_TO_SIM_CARDS, arguments, request_id)
    token, plain = split_token(arguments)
    op = check(plain, offered)
    concurrency = concurrency_for(client)
    plan = await resolve(client, plain, op, concurrency, offered)
    kind, reasons, asks = await judge(gate, plan, concurrency)
    gate.require_scope(APPLY_TO_SIM_CARDS, kind, plain, request_id, what=f"{APPLY_TO_SIM_CARDS} with {op.name}")
    if not plan.todo:
        return Verdict(APPLY_TO_SIM_CARDS, plain, "not-needed", request_id, kind=kind), plan
    if not asks:
        return Verdict(APPLY_TO_SIM_CARDS, plain, "policy-off" if gate.policy == "off" and op.gated
                       else "not-needed", request_id, kind=kind), plan

    async def shown() -> Preview:
        return Preview(describe(plan, reasons), _challenge(plan))

    async def again() -> str:
        return (await resolve(client, plain, op, concurrency, offered)).fingerprint()

    subject = Subject(APPLY_TO_SIM_CARDS, kind, shown, binding=plan.fingerprint(), rebind=again)
    return await gate.confirm(ctx, params, subject, plain, token, card), plan


def unanswered_note(offered: Container[str]) -> str:
    """For SIMs whose request may have reached Telnyx unanswered. "with X" for each read: dynamic mode renames
    it to the call_operation form (app.py `via_call_operation`)."""
    reads = " or ".join(f"with {name}" for name in ("get_sim_card", "list_sim_card_actions") if name in offered)
    return ("Some requests may have reached Telnyx without an answer; they were not repeated. Read those SIMs"
            f"{f' {reads}' if reads else ''} before trying them again.")


def stopped_note(tally: dict[str, int], offered: Container[str]) -> str:
    """For a plan the server's stop cut short: how to finish it."""
    unknown = f" and {tally['unknown']} may have been reached" if tally.get("unknown") else ""
    how = ("call resume_change with this change_id: it reads those that may have been reached and runs only what "
           "is left, with one confirmation" if "resume_change" in offered
           else "apply the plan again (with a new idempotency_key, if it had one): SIMs already done are skipped")
    return f"The server was stopping: {tally['not_started']} SIM cards were not started{unknown}. Once it is back, {how}."


SIM_OUTCOMES = {"done": "ok", "submitted": "ok", "unknown": "unknown"}  # a SIM's row outcome -> its audit outcome


async def carry_out(ctx: ServerRequestContext, gate: Gate, verdict: Verdict, plan: Plan,
                    offered: Container[str] = CATALOG, changes: journal.Journal | None = None) -> dict[str, Any]:
    """Send a plan the gate let through. Audit lines: the plan's send line, a send and an end line per SIM,
    the plan's end line. A plan cancelled or failing midway is ended by the caller's audit (server/app.py),
    from the lines still in flight. The notes name only tools in `offered` (the tools the server lists)."""
    op = plan.op

    def of_sim(sim: dict[str, Any]) -> Verdict:
        return Verdict(op, {**plan.arguments, "sim_card_id": sim["id"]}, verdict.confirmation, verdict.request_id,
                       kind=verdict.kind)

    change = await journal.plan_recorder(changes, gate.client, plan, verdict, concurrency_for(gate.client)) \
        if changes is not None and plan.todo else None

    async def sending(sim: dict[str, Any]) -> None:
        gate.sending(of_sim(sim))
        if change is not None:
            await change.sent(sim["id"])

    async def answered(sim: dict[str, Any], row: dict[str, Any], api_request_id: str | None) -> None:
        metrics.plan_item(plan.op.name, row["outcome"])
        gate.finish(of_sim(sim), SIM_OUTCOMES.get(row["outcome"], "error"), api_request_id,
                    detail=f"apply_to_sim_cards: {row['outcome']}" + (f": {row['reason']}" if row.get("reason") else ""))
        if change is not None:
            await change.answered(sim["id"], row["outcome"], api_request_id, action_id=row.get("action_id"),
                                  reason=row.get("reason"))

    if plan.todo:
        gate.sending(verdict)
    async with journal.running(change):
        rows = await run(gate.client, plan, concurrency=concurrency_for(gate.client),
                         wait=bool(verdict.arguments.get("wait")), progress=ctx.session.report_progress,
                         on_send=sending, on_answer=answered, stopping=lambda: gate.audit.stopping)
    tally = counts(rows)
    gate.finish(verdict, "unknown" if tally.get("unknown") else "error" if tally.get("failed") else "ok",
                detail=f"{op.name} on {len(plan.sims)} SIM cards: "
                       + ", ".join(f"{n} {outcome}" for outcome, n in sorted(tally.items())))
    meta: dict[str, Any] = {"operation": op.name, "total": len(rows), "counts": tally,
                            "confirmation": verdict.confirmation}
    if tally.get("submitted"):
        meta["note"] = ("Submitted actions run on at Telnyx: " + ("follow one with wait_for_action (kind sim_card), or "
                        if "wait_for_action" in offered else "") + "call again with wait=true next time.")
    if tally.get("unknown"):
        meta["note"] = unanswered_note(offered)
    if tally.get("not_started"):
        meta["note"] = stopped_note(tally, offered)
    if change is None:
        return {"data": rows, "meta": meta}
    await change.end("unknown" if tally.get("unknown") else "stopped" if tally.get("not_started") else "done",
                     counts=tally)
    return {"change_id": change.change_id, "data": rows, "meta": meta} if change.change_id else {"data": rows, "meta": meta}
