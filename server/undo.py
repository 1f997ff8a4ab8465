"""Undo and resume: a change from the journal (server/journal.py) turned into a new plan, asked about once.

`undo_change` builds the compensating plan from the registry (each operation's `Compensation`): for every
resource the change reached, it reads the resource as it is now; one that no longer holds what the change
left was changed since, and is left alone (`conflict`); the rest get the call that puts back the state before.
A plan that was resumed is undone with its resumes, as one plan: each resource once, put back to its state
before the first of them that reached it, judged against what the last of them left.
`resume_change` finishes a plan that stopped midway: resources never sent to run now, and those left `sent`
or `unknown` are read first, run only if the change did not take.

Both are confirmed like a change plan (server/plans.py): one preview, one yes through the gate's `confirm`,
bound to the exact set of steps (read again after the answer), refused in read-only mode, audited per
resource, and journaled themselves, so an undo can be undone and a resume resumed.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Container
from dataclasses import dataclass, field
from typing import Any

from mcp import types
from mcp.server import ServerRequestContext

from ..tools.errors import MAY_HAVE_HAPPENED, ToolError
from ..tools.executor import check_arguments, execute
from ..tools.local import RESUME_CHANGE, UNDO_CHANGE, LocalTool
from ..tools.registry import OPERATIONS, Operation
from ..tools.registry.model import matches
from ..tools.schema import empty_value
from ..tools.words import mask_iccid
from . import journal as journal_module
from .audit import RequestIdRecorder
from .confirm_token import split_token
from .gate import Gate, Subject, Verdict
from .journal import FINAL, Journal, Recorder, read_state
from .plans import Cutoff, _bounded, _follow, _result_row, concurrency_for, cut_row, stopped_note
from .preview import Preview
from .selection import CATALOG

# A status action takes a while: the SIM shows the status on its way, which is what the action left for now.
ON_THE_WAY = {"enabled": "enabling", "disabled": "disabling", "standby": "setting_standby"}
KIND_ORDER = ("read", "write", "billable", "destructive")
REACHED = ("done", "submitted", "sent", "unknown")  # a row whose change may have taken effect


@dataclass
class Step:
    """One resource of an undo or a resume: the call to send, or why none is sent (`outcome`)."""

    row: dict[str, Any]
    operation: str | None = None
    arguments: dict[str, Any] = field(default_factory=dict)
    outcome: str | None = None  # conflict, not_undoable, skipped, done (already as the change leaves it)
    reason: str | None = None
    now: dict[str, Any] | None = None  # the fields as read now: the new change's state before

    @property
    def sends(self) -> bool:
        return self.operation is not None and self.outcome is None

    def result(self, **more: Any) -> dict[str, Any]:
        row = {"id": self.row.get("id"), "iccid": self.row.get("iccid"), "operation": self.operation,
               "outcome": self.outcome, "reason": self.reason, **more}
        return {k: v for k, v in row.items() if v is not None}


def holds(now: dict[str, Any] | None, left: dict[str, Any]) -> tuple[bool, str]:
    """The resource still holds what a change left; else what differs, in words."""
    if now is None:
        return False, "it no longer exists"
    for path, expected in left.items():
        value = now.get(path)
        if not (matches(value, expected) or (path == "status.value" and value == ON_THE_WAY.get(expected))):
            return False, f"{path} is now {json.dumps(value)[:80]}, the change left {json.dumps(expected)[:80]}"
    return True, ""


def _op_of(change: dict[str, Any], row: dict[str, Any]) -> Operation:
    return OPERATIONS[row.get("operation") or change["operation"]]


def restorable(op: Operation, arguments: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The undo call's arguments, a field that had no value before sent as the API's empty value where it can be
    cleared; else why it cannot be put back."""
    params = {p.name: p for p in op.params}
    fixed: dict[str, Any] = {}
    for name, value in arguments.items():
        if value is None:
            empty = empty_value(params[name].schema_) if name in params else None
            if empty is None:
                return {}, f"{name} had no value before, and the API cannot clear it"
            value = empty
        fixed[name] = value
    return fixed, None


async def load(changes: Journal, account: str | None, change_id: str) -> dict[str, Any]:
    change = await changes.get(change_id, account)
    if change is None:
        raise ToolError("not_found", f"No change {change_id} in this account's journal (changes are kept for a "
                        "limited time). Nothing was sent to Telnyx.", hint="list_changes lists the recent ones.")
    return change


async def resumed_chain(changes: Journal, account: str | None, change: dict[str, Any]) -> list[dict[str, Any]]:
    """The change and the resumes that finished it (`resumed_by`, in turn), up to one undone on its own (not by an
    undo of this change that Telnyx refused everywhere)."""
    chain = [change]
    while (next_id := chain[-1].get("resumed_by")) and all(c["change_id"] != next_id for c in chain):
        resume = await changes.get(next_id, account)
        if resume is None or resume.get("undone_by") not in (None, change.get("undone_by")):
            break
        chain.append(resume)
    return chain


def combined(chain: list[dict[str, Any]]) -> dict[str, Any]:
    """A plan and its resumes as one change: per resource, the row of the last of them that reached it (what it
    left), with the state before of the first that did."""
    if len(chain) == 1:
        return chain[0]
    rows: dict[str, dict[str, Any]] = {}
    for change in chain:
        for row in change.get("resources") or []:
            row, key = {**row, "operation": _op_of(change, row).name}, str(row.get("id"))
            first = rows.get(key)
            if first is None or first.get("outcome") not in REACHED:
                rows[key] = row
            elif row.get("outcome") in REACHED:
                rows[key] = {**row, "before": first.get("before")}
    return {**chain[0], "resources": list(rows.values()), "with_resumes": [c["change_id"] for c in chain[1:]]}


async def undone_already(changes: Journal, account: str | None, change: dict[str, Any]) -> None:
    """Refuse to undo a change twice, unless Telnyx refused every step of its undo (nothing was put back)."""
    undo_id = change.get("undone_by")
    if not undo_id:
        return
    undo = await changes.get(undo_id, account)
    rows = (undo or {}).get("resources") or []
    if rows and all(r.get("outcome") == "failed" for r in rows):
        return
    raise ToolError("already_undone", f"Change {change['change_id']} was undone already, by change {undo_id}. "
                    "Nothing was sent to Telnyx.", hint=f"get_change with change_id {undo_id} shows what it put back; "
                    "resume_change finishes it if it stopped, undo_change reverses it.")


async def undo_steps(client: Any, change: dict[str, Any], concurrency: int) -> list[Step]:
    """The compensating plan of `change`: per resource, the call that puts it back, or why none is sent."""
    async def step(row: dict[str, Any]) -> Step:
        op = _op_of(change, row)
        comp = op.compensation
        if row.get("outcome") not in REACHED:
            return Step(row, outcome="skipped", reason=f"the change did not reach it ({row.get('outcome')})")
        if comp is None or comp.irreversible:
            return Step(row, outcome="not_undoable", reason=comp.irreversible if comp else "nothing declares its undo")
        if comp.deletes:
            target = next(p.name for p in OPERATIONS[comp.deletes].params if p.location == "path")
            if not row.get("id"):
                return Step(row, outcome="not_undoable", reason="the id of what it created was not recorded")
            return Step(row, comp.deletes, {target: row["id"]})
        now = await read_state(client, op, row["id"])
        still, differs = holds(now, comp.left(row.get("sent") or {}))
        if not still:
            outcome = "skipped" if row.get("outcome") in ("sent", "unknown") and now is not None else "conflict"
            reason = "the change did not take" if outcome == "skipped" else f"changed since: {differs}"
            return Step(row, outcome=outcome, reason=reason, now=now)
        if row.get("before") is None:
            return Step(row, outcome="not_undoable", reason="its state before was not recorded", now=now)
        if holds(row["before"], comp.left(row.get("sent") or {}))[0]:
            return Step(row, outcome="skipped", reason="the change left it as it was", now=now)
        undo = comp.undo(row["before"], row.get("sent") or {})
        if isinstance(undo, str):
            return Step(row, outcome="not_undoable", reason=undo, now=now)
        name, arguments = undo
        arguments, why = restorable(OPERATIONS[name], {**arguments, comp.target: row["id"]})
        if why:
            return Step(row, name, outcome="not_undoable", reason=why, now=now)
        return Step(row, name, arguments, now=now)

    return await _bounded(change.get("resources") or [], step, concurrency)


async def resume_steps(client: Any, change: dict[str, Any], concurrency: int) -> list[Step]:
    """What is left of an unfinished change: resources never sent, and those it may not have reached."""
    async def step(row: dict[str, Any]) -> Step:
        op = _op_of(change, row)
        arguments = dict(row.get("sent") or {})
        target = next((p.name for p in op.params if p.location == "path"), None)
        if target and row.get("id") and target not in arguments:  # a plan keeps its SIM's id apart
            arguments[target] = row["id"]
        if row.get("outcome") in FINAL:
            return Step(row, op.name, arguments, outcome="skipped", reason=f"already {row['outcome']}")
        comp = op.compensation
        if comp is not None and comp.reads and comp.left is not None and row.get("id"):
            now = await read_state(client, op, row["id"])
            done, _ = holds(now, comp.left(arguments))
            if done:
                return Step(row, op.name, arguments, outcome="skipped", reason="already as the change leaves it", now=now)
            return Step(row, op.name, arguments, now=now)
        if row.get("outcome") != "pending":
            return Step(row, op.name, arguments, outcome="unknown",
                        reason="it may have been reached and cannot be read back: check it before trying again")
        return Step(row, op.name, arguments)

    return await _bounded(change.get("resources") or [], step, concurrency)


def fingerprint(steps: list[Step]) -> str:
    rows = sorted([str(s.row.get("id")), s.operation or "", s.outcome or "", json.dumps(s.arguments, sort_keys=True)]
                  for s in steps)
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def _kind(steps: list[Step]) -> str:
    kinds = [OPERATIONS[s.operation].kind for s in steps if s.sends] or ["write"]
    return max(kinds, key=KIND_ORDER.index)


def describe(tool: LocalTool, change: dict[str, Any], steps: list[Step]) -> str:
    sending = [s for s in steps if s.sends]
    verb = "Undo" if tool is UNDO_CHANGE else "Resume"
    resumes = change.get("with_resumes") or []
    also = f" and its resume{'s' if len(resumes) > 1 else ''} {', '.join(resumes)}" if resumes else ""
    parts = [f"{verb} change {change['change_id']} ({change['operation']} via {change['tool']}, {change['time'][:19]}Z)"
             f"{also}: {len(sending)} resource{'s' if len(sending) != 1 else ''} to send"]
    if sending:
        by_op = Counter(OPERATIONS[s.operation].title for s in sending)
        parts.append("; ".join(f"{title} {n}" for title, n in by_op.most_common()))
        sample = ", ".join(mask_iccid(s.row.get("iccid")) if s.row.get("iccid") else str(s.row.get("id"))
                           for s in sending[:5])
        parts.append(f"e.g. {sample}" + (f" and {len(sending) - 5} more" if len(sending) > 5 else ""))
    done = [s for s in steps if s.outcome == "skipped"]
    if tool is RESUME_CHANGE and done:
        parts.append(f"{len(done)} done already (left alone)")
    for outcome in ("conflict", "not_undoable", "unknown"):
        left = [s for s in steps if s.outcome == outcome]
        if left:
            parts.append(f"{len(left)} {outcome.replace('_', ' ')} (left alone: {left[0].reason})")
    billed = [s for s in sending if OPERATIONS[s.operation].kind == "billable"]
    why = f" Billed for {len(billed)} of them: {OPERATIONS[billed[0].operation].reason}" if billed else ""
    return "; ".join(parts) + "?" + why


def nothing_to_undo(change: dict[str, Any]) -> ToolError | None:
    op = OPERATIONS.get(change.get("operation", ""))
    comp = op.compensation if op is not None else None
    if comp is not None and comp.irreversible and not any(r.get("operation") for r in change.get("resources", [])):
        reached = sum(1 for r in change.get("resources", []) if r.get("outcome") in REACHED)
        cost = f" It cost: {op.reason}" if op.kind == "billable" else ""
        return ToolError("irreversible", f"Change {change['change_id']} ({op.name} on {reached} resource"
                         f"{'s' if reached != 1 else ''}) cannot be undone: {comp.irreversible}{cost} "
                         "Nothing was sent to Telnyx.")
    return None


def unresumable(changes: Journal, change: dict[str, Any]) -> None:
    """Refuse to resume a change that finished, was resumed already, or is still being sent."""
    change_id = change["change_id"]
    if change.get("undone_by"):
        raise ToolError("nothing_to_resume", f"Change {change_id} was undone, by change {change['undone_by']}: "
                        "resuming it would send what was put back. Nothing was sent to Telnyx.")
    if change.get("status") in ("done", "failed"):
        counts = f" ({json.dumps(change['counts'])})" if change.get("counts") else ""
        raise ToolError("nothing_to_resume", f"Change {change_id} finished{counts}: nothing is left to resume. "
                        "Nothing was sent to Telnyx.", hint="get_change shows each resource's outcome.")
    if change.get("resumed_by"):
        raise ToolError("nothing_to_resume", f"Change {change_id} was resumed already, by change "
                        f"{change['resumed_by']}. Nothing was sent to Telnyx.",
                        hint=f"If that one did not finish, call resume_change with change_id {change['resumed_by']}.")
    where = changes.still_running(change)
    if where:
        raise ToolError("still_running", f"Change {change_id} is still being sent ({where}): resuming it now could "
                        "send a SIM twice. Nothing was sent to Telnyx.",
                        hint="Wait for it to end (get_change shows its status), then resume it if it did not finish.")


async def decide(ctx: ServerRequestContext, params: types.CallToolRequestParams, gate: Gate, changes: Journal,
                 tool: LocalTool, arguments: dict[str, Any], account: str | None,
                 offered: Container[str] = CATALOG, card: Any = None) -> tuple[Verdict, dict[str, Any], list[Step]]:
    """Load the change, build its steps and ask once, bound to them. Raises ToolError."""
    request_id = ctx.request_id
    gate.refuse_read_only(tool, arguments, request_id)
    token, plain = split_token(arguments)
    change = await load(changes, account, plain["change_id"])
    if tool is UNDO_CHANGE:
        await undone_already(changes, account, change)
        if refused := nothing_to_undo(change):
            raise refused
        change = combined(await resumed_chain(changes, account, change))
    if tool is RESUME_CHANGE:
        unresumable(changes, change)
    build = undo_steps if tool is UNDO_CHANGE else resume_steps
    concurrency = concurrency_for(gate.client)
    steps = await build(gate.client, change, concurrency)
    unoffered = sorted({s.operation for s in steps if s.sends and s.operation not in offered})
    if unoffered:
        raise ToolError("not_offered", f"{tool.name} would call {', '.join(unoffered)}, which this server does not "
                        "offer (its tool selection). Nothing was sent to Telnyx.")
    kind = _kind(steps)
    if not any(s.sends for s in steps):
        return Verdict(tool, plain, "not-needed", request_id, kind=kind), change, steps

    async def shown() -> Preview:
        return Preview(describe(tool, change, steps), None)

    async def again() -> str:
        return fingerprint(await build(gate.client, change, concurrency))

    subject = Subject(tool, kind, shown, binding=fingerprint(steps), rebind=again)
    return await gate.confirm(ctx, params, subject, plain, token, card), change, steps


SIM_OUTCOMES = {"done": "ok", "submitted": "ok", "unknown": "unknown"}


async def carry_out(ctx: ServerRequestContext, gate: Gate, changes: Journal, verdict: Verdict, change: dict[str, Any],
                    steps: list[Step], offered: Container[str] = CATALOG) -> dict[str, Any]:
    """Send the steps, each audited and journaled as a change of its own that names the one it undoes or resumes."""
    tool = verdict.op
    sending = [s for s in steps if s.sends]
    wait = bool(verdict.arguments.get("wait"))
    rows = [{"id": s.row.get("id"), "iccid": s.row.get("iccid"), "operation": s.operation, "sent": s.arguments,
             "before": s.now if s.now is not None else {}} for s in sending]
    link: dict[str, Any] = {"undoes" if tool is UNDO_CHANGE else "resumes": change["change_id"]}
    if change.get("with_resumes"):
        link["undoes_resumes"] = change["with_resumes"]
    main_operation = Counter(s.operation for s in sending).most_common(1)[0][0] if sending else change["operation"]
    recorder = await Recorder.start(changes, rows, tool=tool.name, operation=main_operation,
                                    arguments=verdict.arguments, confirmation=verdict.confirmation, **link) \
        if sending else None
    if sending:
        gate.sending(verdict)
    if recorder is not None:  # from now on a resume or undo of `change` (and of the resumes undone) names this one
        for change_id in [change["change_id"], *change.get("with_resumes", [])]:
            await journal_module.mark(changes, change_id, **{
                "undone_by" if tool is UNDO_CHANGE else "resumed_by": recorder.change_id})
    results: dict[int, dict[str, Any]] = {}
    cutoff = Cutoff(lambda: gate.audit.stopping)

    async def one(step: Step) -> None:
        op = OPERATIONS[step.operation]
        resource = {"id": step.row.get("id"), "iccid": step.row.get("iccid")}
        if cutoff.stopping():  # the server is stopping: no resource starts from now on
            results[id(step)] = step.result(outcome="not_started", reason=f"not sent: {cutoff.stopping()}")
            return
        of_step = Verdict(op, step.arguments, verdict.confirmation, verdict.request_id, kind=verdict.kind)
        sent = RequestIdRecorder(gate.client)
        gate.sending(of_step)
        row: dict[str, Any] | None = None
        with cutoff.guard():
            await recorder.sent(step.row.get("id"))
            try:
                check_arguments(op, step.arguments)
                row = _result_row(resource, (await execute(sent, op, step.arguments))["data"])
            except ToolError as error:
                unknown = MAY_HAVE_HAPPENED in str(error.payload.get("hint", ""))
                row = {"outcome": "unknown" if unknown else "failed", "reason": error.message}
        if row is None:  # cut: the server stopped while it was in flight
            row = cut_row(resource, cutoff.stopping())
        gate.finish(of_step, SIM_OUTCOMES.get(row["outcome"], "error"), sent.request_id,
                    detail=f"{tool.name} {change['change_id']}: {row['outcome']}")
        await recorder.answered(step.row.get("id"), row["outcome"], sent.request_id, action_id=row.get("action_id"),
                                reason=row.get("reason"))
        if wait and row["outcome"] == "submitted" and not cutoff.stopping():
            with cutoff.guard():
                row = await _follow(gate.client, resource, row, 50, 1)
        results[id(step)] = step.result(outcome=row["outcome"], action_id=row.get("action_id"),
                                        status=row.get("status"), reason=row.get("reason"))

    async with journal_module.running(recorder), cutoff.watching():
        await _bounded(sending, one, concurrency_for(gate.client))
    data = [results.get(id(s)) or s.result() for s in steps]
    tally = dict(Counter(r["outcome"] for r in data))
    gate.finish(verdict, "unknown" if tally.get("unknown") else "error" if tally.get("failed") else "ok",
                detail=f"{tool.name} {change['change_id']}: " + ", ".join(f"{n} {o}" for o, n in sorted(tally.items())))
    meta: dict[str, Any] = {"of": change["change_id"], "counts": tally, "confirmation": verdict.confirmation}
    if tally.get("conflict"):
        meta["note"] = "Resources marked conflict were changed after the change and were left as they are."
    if tally.get("not_started"):
        meta["note"] = stopped_note(tally, offered)
    if recorder is None:
        return {"data": data, "meta": meta}
    await recorder.end("unknown" if tally.get("unknown") else "stopped" if tally.get("not_started") else "done",
                       counts=tally)
    return {"change_id": recorder.change_id, "data": data, "meta": meta} if recorder.change_id else \
        {"data": data, "meta": meta}
