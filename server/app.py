"""The MCP server: a tool list and one call path, both derived from the registry."""

from __future__ import annotations

import json
import re
import logging
from collections.abc import Awaitable, Callable, Container, Iterable
from typing import Any

import anyio
from mcp import types
from mcp.server import Server, ServerRequestContext

from .. import __version__
from ..tools.analytics.answers import find_usage_anomalies, forecast_data_limits, usage_report
from ..tools.client import TelnyxClient
from ..tools.dashboard import fleet_dashboard
from ..tools.errors import ToolError
from ..tools.executor import check_arguments, run
from ..tools.validation import given
from ..tools.local import LOCAL_TOOLS, LocalTool
from ..tools.paging import MAX_PAGES, MAX_RECORDS
from ..tools.redact import call_secrets, redact_value
from ..tools.registry import OPERATIONS, Operation
from ..tools.schema import output_schema, unfilled
from ..tools.suggest import did_you_mean
from ..tools.waiting import wait_for_action
from . import apps
from .audit import RequestIdRecorder, current_call, new_call_id
from .state import StoreUnavailable
from .gate import CardAnswer, Gate, Verdict
from .dynamic import DYNAMIC_NAMES, DYNAMIC_TOOLS, describe, search, tool_problems
from . import idempotency, journal, plans, scopes, undo
from .preview import Reader
from .prompting import prompt_handlers
from .selection import CATALOG, offered_schema
from .wire import in_wire_form, sent_once, traced

log = logging.getLogger("telnyx_iot_mcp")

# What every tool shares is said here once rather than in each of the 67 schemas. A sentence that sends the
# model to a tool is said only when that tool is offered (toolsets and read-only mode leave some out).
FOLLOW_ACTIONS = ("wait_for_action", "Status, public IP, voice, gateway and blocklist changes return an action: "
                  "wait_for_action follows it to the end. ")
UNDOING = ("undo_change", " A change answers with a change_id; undo_change with it puts back what it altered.")
RESUMING = ("resume_change", " A plan cut short (SIMs not_started or unknown) is finished by resume_change with its "
            "change_id.")
MANY_SIMS = ("apply_to_sim_cards", " To change many SIMs, apply_to_sim_cards runs one operation on all of them with "
             "one question instead of one call per SIM.")


def conventions(offered: Iterable[str]) -> str:
    offered = set(offered)
    return (
        "Ids come from the list_ tools. List tools page with page_number and page_size (1-250, default 20; see "
        f"meta.total_pages) or take all_pages=true (at most {MAX_PAGES} pages or {MAX_RECORDS} records). A cut answer "
        "has meta.next: the same call with those arguments returns the rest, each record once. "
        "fields=[\"id\",\"status.value\"] keeps only those dotted paths of each record. An empty filter (\"\" or []) "
        "filters nothing. "
        + (FOLLOW_ACTIONS[1] if FOLLOW_ACTIONS[0] in offered else "")
        + "Tools that take a confirmation_token disconnect devices, delete things or cost money: they ask the user "
        "first, or return the token to repeat the call with once the user agrees."
        + (MANY_SIMS[1] if MANY_SIMS[0] in offered else "")
        + (UNDOING[1] if UNDOING[0] in offered else "")
        + (RESUMING[1] if RESUMING[0] in offered else "")
    )


def instructions(offered: Iterable[str], *, dynamic: bool) -> str:
    if not dynamic:
        return "Tools for a fleet of Telnyx IoT SIM cards. " + conventions(offered)
    return ("Tools for a fleet of Telnyx IoT SIM cards, reached in three steps: search_operations finds operations "
            "for a request in plain words (e.g. 'pause billing on a sim we are not using') or by toolset, "
            "describe_operation gives one's arguments, call_operation runs it. " + conventions(offered))


INSTRUCTIONS = instructions([*OPERATIONS, *LOCAL_TOOLS], dynamic=False)  # the whole catalog's
DYNAMIC_INSTRUCTIONS = instructions([*OPERATIONS, *LOCAL_TOOLS], dynamic=True)


UNDO = "undo_change"


def recovery(op: Operation | LocalTool) -> dict[str, Any] | None:
    """SEP-3172's recovery metadata (draft): a change of `op` is compensated by undo_change with its change_id."""
    compensation = getattr(op, "compensation", None)  # local tools have none
    if compensation is None or not compensation.reversible:
        return None
    return {"strategy": "compensation", "compensatingOperation": {
        "operationId": UNDO, "parameters": {"change_id": "$response.body#/change_id"}}}


def tool_for(op: Operation | LocalTool, offered: Container[str] = CATALOG) -> types.Tool:
    """When undo_change is offered too, the tool's _meta says how its changes are undone."""
    meta = {"recovery": recovery(op)} if UNDO in offered and recovery(op) else None
    return types.Tool(
        meta=meta,
        name=op.name,
        title=op.title,
        description=op.tool_description,
        input_schema=offered_schema(op.name, offered),
        output_schema=output_schema(op.name),
        annotations=types.ToolAnnotations(  # no title here: the tool's own title says it once
            read_only_hint=op.read_only,
            destructive_hint=op.may_destroy,
            idempotent_hint=op.is_idempotent,
            open_world_hint=True,
        ),
    )


def text_result(payload: dict[str, Any], *, is_error: bool = False, text: str | None = None) -> types.CallToolResult:
    body = text if text is not None else json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=body)], structured_content=payload, is_error=is_error,
    )


# A call that waits for the user's yes has not failed: hosts render an error result as a failed call (a
# red mark in Claude Desktop and VS Code), and LangChain's MCP tools raise on one, ending the agent's run.
AWAITING = "confirmation_required"


def said_text(payload: dict[str, Any]) -> str:
    return payload["message"] + (f" Hint: {payload['hint']}" if payload.get("hint") else "")


def error_result(error: ToolError) -> types.CallToolResult:
    payload = redact_value(error.payload)  # again: text added to the payload after the error was made
    text = said_text(payload)
    if payload["kind"] == AWAITING:
        return text_result({AWAITING: {k: v for k, v in payload.items() if k != "kind"}}, text=text)
    return text_result({"error": payload}, is_error=True, text=text)


def internal_error(name: str) -> types.CallToolResult:
    log.exception("tool %s failed unexpectedly", name)
    return error_result(ToolError("internal", f"{name} failed inside the server; nothing more is known."))


DASHBOARD = "show_fleet_dashboard"
LOCAL_HANDLERS = {"wait_for_action": wait_for_action, DASHBOARD: fleet_dashboard,
                  "find_usage_anomalies": find_usage_anomalies, "forecast_data_limits": forecast_data_limits,
                  "usage_report": usage_report}
JOURNAL_READS = {"list_changes": journal.list_changes, "get_change": journal.show_change}
SUBSCRIPTION_TOOLS = {"list_event_subscriptions": "list_subscriptions", "remove_event_subscription": "remove_subscription"}
DASHBOARD_BUTTONS = ("undo_change", "remove_event_subscription")  # the tools the dashboard App's buttons call
GUIDANCE_KEYS = ("message", "hint", "note")  # where a result tells the model what to call next


def via_call_operation(result: types.CallToolResult | types.InputRequiredResult,
                       operations: Iterable[str]) -> types.CallToolResult | types.InputRequiredResult:
    """A result of call_operation whose guidance names operations as dynamic mode runs them.

    Errors, confirmations and notes name the tool to call next (e.g. "call disable_sim_card again with
    ... confirmation_token"); in dynamic mode that tool is not listed, call_operation is."""
    names = "|".join(sorted(map(re.escape, operations), key=len, reverse=True))
    next_call = re.compile(r"\b((?:[Cc]all|[Cc]alling|with) )(" + names + r")\b")

    def rename(text: str) -> str:
        return next_call.sub(lambda m: f'{m.group(1)}call_operation(operation="{m.group(2)}")', text)

    def walk(value: Any, key: str | None = None) -> Any:
        if isinstance(value, dict):
            return {k: v if k == "data" else walk(v, k) for k, v in value.items()}  # data: the API's records
        if isinstance(value, str) and key in GUIDANCE_KEYS:
            return rename(value)
        return value

    payload = getattr(result, "structured_content", None)  # not in an elicitation round trip's reply
    if not payload or getattr(result, "meta", None):  # an MCP App's card names no tool to call: kept whole
        return result
    renamed = walk(payload)
    said = renamed.get("error") or renamed.get(AWAITING)
    if said:
        return text_result(renamed, is_error=result.is_error, text=said_text(said))
    return text_result(renamed)


PLAN_TOOLS = {"apply_to_sim_cards"}
CHANGE_TOOLS = {"undo_change", "resume_change"}


def create_server(client: TelnyxClient, operations: Iterable[Operation | LocalTool] | None = None, *,
                  gate: Gate | None = None, tools_mode: str = "static", events: Any = None,
                  changes: journal.Journal | None = None) -> Server:
    """An MCP server exposing `operations` (default: the whole catalog) that calls Telnyx through `client`.

    `tools_mode="dynamic"` lists three tools instead (search, describe, call) over the same operations.

    `gate` decides which calls need a person's yes (default: ask, or a confirmation token).
    `events` (an event_methods.EventService) serves the fleet's events (MCP Events) besides the tools.
    `changes` journals every change (default: in the gate's state store)."""
    gate = gate or Gate(client)
    changes = changes or journal.journal_for(gate.tokens.store)
    catalog = operations if operations is not None else [*OPERATIONS.values(), *LOCAL_TOOLS.values()]
    exposed = {op.name: op for op in catalog}
    tools = DYNAMIC_TOOLS if tools_mode == "dynamic" else [tool_for(op, exposed) for op in exposed.values()]
    tools = [apps.with_app(t) if t.name == DASHBOARD else t for t in tools]
    # Hosts that draw MCP Apps also get the confirmation card on every call that may ask a person, and its tool.
    drawn = {"call_operation"} | {op.name for op in exposed.values() if op.may_ask}
    app_tools = [apps.with_app(t) if t.name in drawn else t for t in tools]
    if any(t.name in drawn for t in tools):
        app_tools.append(apps.CONFIRM_CHANGE)
    input_schemas = {tool.name: tool.input_schema for tool in app_tools}

    async def list_tools(ctx: ServerRequestContext, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        return types.ListToolsResult(tools=scopes.listed(app_tools if apps.draws_apps(ctx) else tools, exposed))

    async def account_of_call() -> str | None:
        try:
            return await gate.account()
        except StoreUnavailable:  # the gate refuses the call for the same reason, and says so
            return None

    async def run_operation(ctx: ServerRequestContext, params: types.CallToolRequestParams, op: Operation,
                            arguments: dict[str, Any], card: CardAnswer | None = None,
                            ) -> types.CallToolResult | types.InputRequiredResult:
        """The one call path of every operation: validate, gate, execute, shape the result."""
        async def decide() -> Verdict:
            check_arguments(op, arguments)
            return await gate.check(ctx, params, op, arguments, card)

        return await audited(ctx, op, arguments, decide, lambda verdict: run_verdict(ctx, op, verdict))

    async def audited(ctx: ServerRequestContext, tool: Operation | LocalTool, arguments: dict[str, Any],
                      decide: Callable[[], Awaitable[Verdict]],
                      send: Callable[[Verdict], Awaitable[types.CallToolResult]],
                      ) -> types.CallToolResult | types.InputRequiredResult:
        """The one audited path of every call (an operation, a card's Confirm, a change plan): decide (validate
        and gate), send, and audit how the call ended, however it ends. `send` writes a send line before each
        request and an end line once it is answered; the lines still in flight when the call stops (cancelled,
        its client gone, the server stopping, a failure) are ended here, `unknown`."""
        verdict: Verdict | None = None
        keyed: idempotency.Keyed | None = None
        call = new_call_id()
        audited_call = current_call.set((call, None))
        held = call_secrets.set(frozenset())  # the secrets this call sends (tools/secrets.py), for it alone

        def end_others(detail: str) -> int:  # the requests a plan had in flight besides its own line
            return gate.audit.end_in_flight(call, detail, other_than=verdict.op.name)

        try:
            if not tool.read_only or gate.audit.reads:  # the Telnyx account each audit line of this call names
                current_call.set((call, await account_of_call()))
            keyed = idempotency.Keyed.of(changes, tool.name, arguments, current_call.get()[1]) \
                if idempotency.IDEMPOTENCY_KEY in arguments else None
            if keyed is not None:  # a repeat answers before anything is read or asked
                check_arguments(tool, arguments)  # type: ignore[arg-type]
                if (first := await repeat_of(keyed.earlier, tool, arguments, ctx.request_id)) is not None:
                    return first
            if gate.audit.stopping and not tool.read_only:  # a change would be cut off midway: none starts
                raise ToolError("unavailable", f"The server is stopping ({gate.audit.stopping}). Nothing was sent "
                                "to Telnyx.", hint="Call again once it is back.")
            verdict = await decide()
            if verdict.reply is not None:  # the user is being asked (2026-07-28 round trip, or an App's card)
                return verdict.reply
            if keyed is None:
                return await send(verdict)
            try:  # another call with the key may have got there first, while this one was being asked
                if (first := await repeat_of(keyed.claim, tool, arguments, ctx.request_id)) is not None:
                    return first
            except ToolError as refused:  # audited as refused: this call sent nothing
                return error_result(refused)
            in_key = journal.keyed_change.set(keyed)
            try:
                result = await send(verdict)
            finally:
                journal.keyed_change.reset(in_key)
            await keyed.settle(result)
            return result
        except ToolError as error:
            unknown = False
            if verdict is not None:
                others = end_others(f"{error.message} (while in flight to Telnyx: it may have taken effect)")
                unknown = (error.may_have_happened or others > 0) and not tool.read_only
                gate.finish(verdict, "unknown" if unknown else "error", error.payload.get("request_id"), error.message)
            failed = error_result(error)
            if keyed is not None and keyed.held:  # a repeat gets the same answer, or may try again
                await (keyed.settle(failed) if unknown else keyed.release())
            return failed
        except Exception:  # the server must answer, whatever broke
            unknown = False
            if verdict is not None:
                unknown = gate.audit.in_flight(call) > 0
                end_others("failed inside the server while the request was in flight to Telnyx: it may have taken effect")
                gate.finish(verdict, "unknown" if unknown else "error", detail="failed inside the server")
            failed = internal_error(tool.name)
            if keyed is not None and keyed.held:
                await (keyed.settle(failed) if unknown or keyed.journaled else keyed.release())
            return failed
        except BaseException as stopped:  # cancelled, the client gone, the server stopping: lines all the same
            if keyed is not None and keyed.held and not keyed.journaled:  # nothing was sent: the key stays free
                with anyio.CancelScope(shield=True):
                    await keyed.release()
            why = gate.audit.stopping or ("the call was cancelled or its client went away" if isinstance(
                stopped, anyio.get_cancelled_exc_class()) else f"the server stopped ({type(stopped).__name__})")
            if verdict is None:
                gate.abandoned(tool, arguments, ctx.request_id, f"{why} before it was confirmed; nothing was sent")
            elif not gate.audit.end_in_flight(call, f"{why} while the request was in flight to Telnyx: it may "
                                                    "have taken effect"):
                gate.finish(verdict, "cancelled", detail=f"{why}; no change was in flight")  # a read
            raise
        finally:
            current_call.reset(audited_call)
            call_secrets.reset(held)

    async def repeat_of(look: Callable[[], Awaitable[types.CallToolResult | None]], tool: Operation | LocalTool,
                        arguments: dict[str, Any], request_id: Any) -> types.CallToolResult | None:
        """The first outcome of a call repeated with its idempotency key (None: this call goes on), audited."""
        try:
            first = await look()
        except ToolError as refused:
            gate.record(tool.name, tool.kind, arguments, "none", "refused", request_id, detail=refused.message)
            raise
        if first is not None:
            change = (first.structured_content or {}).get("change_id")
            gate.record(tool.name, tool.kind, arguments, "none", "error" if first.is_error else "ok", request_id,
                        detail=f"repeated with the same {idempotency.IDEMPOTENCY_KEY}: the first outcome"
                               + (f" (change {change})" if change else "") + " was returned; nothing was sent")
        return first

    async def run_confirmed(ctx: ServerRequestContext, params: types.CallToolRequestParams,
                            ) -> types.CallToolResult | types.InputRequiredResult:
        """confirm_change: the card's Confirm. The exact call the card showed runs through its own call path,
        the card's answer in place of an elicited one: every check of that path applies (a plan resolves its
        SIM cards again and runs only on the set the card showed)."""
        arguments = dict(params.arguments or {})
        name, inner, token = arguments.get("tool"), arguments.get("arguments"), arguments.get("confirmation")
        content = arguments.get("content") or {}
        tool = exposed.get(name) if isinstance(name, str) else None
        if tool is None or not tool.may_ask or not isinstance(inner, dict) or not isinstance(token, str) \
                or not isinstance(content, dict):
            return error_result(ToolError("invalid_arguments", f"{apps.CONFIRM_TOOL} takes the tool, arguments, "
                                          "confirmation and form answer of a card this server showed. Nothing was sent."))
        return await dispatch(ctx, params.model_copy(update={"name": tool.name, "arguments": inner}),
                              CardAnswer(token, content))

    async def run_verdict(ctx: ServerRequestContext, op: Operation, verdict: Verdict) -> types.CallToolResult:
        """Send a call the gate let through: a send line before, an end line once Telnyx answered."""
        sent = RequestIdRecorder(client)
        revealed = {secret.field for secret in verdict.reveals}
        if op.read_only:
            answer = await run(sent, op, verdict.arguments, ctx.session.report_progress, revealed=revealed)
            gate.finish(verdict, "ok", sent.request_id)
            return text_result(answer.payload, text=answer.text)
        gate.sending(verdict)
        change = await journal.Recorder.start(
            changes, await journal.single_rows(client, op, verdict.arguments), tool=op.name, operation=op.name,
            arguments=verdict.arguments, confirmation=verdict.confirmation)
        target = next(iter(change.rows.values())).get("id")
        async with journal.ending(change, target, sent):
            answer = await run(sent, op, verdict.arguments, ctx.session.report_progress, revealed=revealed)
        gate.finish(verdict, "ok", sent.request_id)
        await change.answered(target, "done", sent.request_id, id=journal.created_id(op, answer.payload) or target)
        await change.end("done")
        payload, text = journal.with_change_id(answer.payload, answer.text, change.change_id)
        return text_result(payload, text=text)

    async def run_local(ctx: ServerRequestContext, tool: LocalTool,
                        arguments: dict[str, Any]) -> types.CallToolResult | types.InputRequiredResult:
        """Local tools that never ask: reads through registry operations, the journal's reads, and the caller's
        own event subscriptions (removing one changes nothing in the fleet); validate, then run."""
        async def decide() -> Verdict:
            check_arguments(tool, arguments)  # type: ignore[arg-type]  # uses the name only
            return Verdict(tool, arguments, "not-needed", ctx.request_id, kind=tool.kind)

        async def send(verdict: Verdict) -> types.CallToolResult:
            if tool.name in JOURNAL_READS:
                answer = text_result(await JOURNAL_READS[tool.name](changes, await account_of_call(), arguments))
            elif tool.name in SUBSCRIPTION_TOOLS:
                if events is None:
                    raise ToolError("not_offered", "This server serves no MCP Events (it runs without an API key), "
                                    "so it holds no subscriptions to show or remove.")
                answer = text_result(await getattr(events, SUBSCRIPTION_TOOLS[tool.name])(arguments))
            else:
                payload = await LOCAL_HANDLERS[tool.name](client, arguments, ctx.session.report_progress)
                if tool.name == DASHBOARD:  # the App cannot see the tool list: it draws only the buttons that run
                    offered = scopes.offered(exposed)
                    payload["meta"]["app_actions"] = {name: name in offered for name in DASHBOARD_BUTTONS}
                    payload["meta"]["read_only"] = gate.read_only
                answer = text_result(payload)
            gate.finish(verdict, "ok")
            return answer

        return await audited(ctx, tool, arguments, decide, send)

    async def run_plan(ctx: ServerRequestContext, params: types.CallToolRequestParams, tool: LocalTool,
                       arguments: dict[str, Any], card: CardAnswer | None = None,
                       ) -> types.CallToolResult | types.InputRequiredResult:
        """A change plan: asked about once for the resolved set of SIM cards, then one request per SIM."""
        resolved: list[plans.Plan] = []

        async def decide() -> Verdict:
            check_arguments(tool, arguments)  # type: ignore[arg-type]  # uses the name only
            verdict, plan = await plans.decide(ctx, params, gate, arguments, exposed, card)
            resolved.append(plan)
            return verdict

        async def send(verdict: Verdict) -> types.CallToolResult:
            return text_result(await plans.carry_out(ctx, gate, verdict, resolved[-1], exposed, changes))

        return await audited(ctx, tool, arguments, decide, send)

    async def run_change_tool(ctx: ServerRequestContext, params: types.CallToolRequestParams, tool: LocalTool,
                              arguments: dict[str, Any], card: CardAnswer | None = None,
                              ) -> types.CallToolResult | types.InputRequiredResult:
        """undo_change and resume_change: a plan made from a journaled change, asked about once."""
        decided: list[tuple[dict[str, Any], list[undo.Step]]] = []

        async def decide() -> Verdict:
            check_arguments(tool, arguments)  # type: ignore[arg-type]  # uses the name only
            verdict, change, steps = await undo.decide(ctx, params, gate, changes, tool, arguments,
                                                       await account_of_call(), exposed, card)
            decided.append((change, steps))
            return verdict

        async def send(verdict: Verdict) -> types.CallToolResult:
            return text_result(await undo.carry_out(ctx, gate, changes, verdict, *decided[-1], exposed))

        return await audited(ctx, tool, arguments, decide, send)

    async def run_dynamic(ctx: ServerRequestContext, params: types.CallToolRequestParams) -> types.CallToolResult:
        arguments = given(dict(params.arguments or {}))
        found = tool_problems(params.name, arguments)
        if found:
            return error_result(ToolError("invalid_arguments", f"Invalid arguments for {params.name}: "
                                          + "; ".join(found), problems=found))
        if params.name == "search_operations":
            return text_result(search(scopes.offered(exposed), arguments.get("query", ""), arguments.get("toolset"),
                                      arguments.get("kind")))
        op = scopes.offered(exposed).get(arguments["operation"])
        if op is None:
            return unknown_tool(arguments["operation"], arguments.get("arguments"),
                                "search_operations lists the operations offered here.")
        if params.name == "describe_operation":
            return text_result(describe(op, exposed))
        # call_operation: exactly the static tool's path, so validation and the gate apply unchanged
        inner = params.model_copy(update={"name": op.name, "arguments": arguments.get("arguments") or {}})
        return via_call_operation(await call_tool(ctx, inner), exposed)

    def unknown_tool(name: str, arguments: dict[str, Any] | None, hint: str | None = None) -> types.CallToolResult:
        why = "is not offered by this server's configuration" if name in OPERATIONS or name in LOCAL_TOOLS \
            else f"does not exist{did_you_mean([name], exposed)}"
        known = OPERATIONS.get(name) or LOCAL_TOOLS.get(name)
        if gate.read_only and known is not None and not known.read_only:
            why = f"is a {known.kind} tool and this server runs read-only; nothing was sent"
            gate.audit.record(tool=name, kind=known.kind, arguments=arguments, confirmation="none",
                              outcome="refused", detail="this server runs read-only")
        return error_result(ToolError("unknown_tool", f"Tool {name!r} {why}.", hint=hint))

    async def call_tool(ctx: ServerRequestContext, params: types.CallToolRequestParams) -> types.CallToolResult:
        if tools_mode == "dynamic" and params.name in DYNAMIC_NAMES:
            return await run_dynamic(ctx, params)
        if params.name == apps.CONFIRM_TOOL and apps.draws_apps(ctx) and apps.CONFIRM_CHANGE in app_tools:
            return await run_confirmed(ctx, params)
        return await dispatch(ctx, params)

    async def dispatch(ctx: ServerRequestContext, params: types.CallToolRequestParams,
                       card: CardAnswer | None = None) -> types.CallToolResult | types.InputRequiredResult:
        """Run the offered tool `params` names; `card`: a confirmation card's answer stands for the person's yes."""
        op = exposed.get(params.name)
        if op is None:
            return unknown_tool(params.name, params.arguments)
        arguments = unfilled(op.name, given(dict(params.arguments or {})))
        if op.name not in PLAN_TOOLS:  # a plan needs the scope of the class its SIMs are judged at (plans.decide)
            try:
                scopes.require(op.kind, op.name)
            except ToolError as error:
                return error_result(error)
        if isinstance(op, LocalTool):
            if op.name in PLAN_TOOLS:
                return await run_plan(ctx, params, op, arguments, card)
            if op.name in CHANGE_TOOLS:
                return await run_change_tool(ctx, params, op, arguments, card)
            return await run_local(ctx, op, arguments)  # never asks: confirm_change refuses it (may_ask)
        return await run_operation(ctx, params, op, arguments, card)

    list_prompts, get_prompt = prompt_handlers(exposed, dynamic=tools_mode == "dynamic")
    server = Server(
        "telnyx-iot-mcp", version=__version__, title="Telnyx IoT",
        instructions=instructions(exposed, dynamic=tools_mode == "dynamic"),
        on_list_tools=list_tools, on_call_tool=sent_once(call_tool), on_list_prompts=list_prompts, on_get_prompt=get_prompt,
        on_list_resources=apps.list_resources, on_read_resource=apps.read_resource,
        # Without it, streamable HTTP builds and serializes the whole tool list on every tools/call
        # (to check Mcp-Param headers against the called tool's schema).
        get_tool_input_schema=input_schemas.get,
    )
    server.scope_judge = lambda op, arguments: gate.effects(op, arguments, Reader(client))  # type: ignore[attr-defined]
    server.exposed = exposed  # type: ignore[attr-defined]  # what the HTTP door (server/guard.py) judges calls by
    server.extensions[apps.EXTENSION_ID] = {"mimeTypes": [apps.APP_MIME_TYPE]}
    if not traced():
        server.middleware.clear()  # the SDK's OpenTelemetry span per message: nothing records it
    server.middleware.append(in_wire_form)
    if events is not None:
        from .event_methods import serve_events

        serve_events(server, events)
    return server
