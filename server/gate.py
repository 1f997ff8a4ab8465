"""The confirmation gate: a human says yes before a destructive or billable call is sent.

The registry's class of an operation is the floor: `op.gated` (destructive or billable) asks first.
An operation's effect rules (registry `effects`) raise one call above that floor from its arguments
and the target's current state; when the state cannot be read, the gate asks. A change plan
(apply_to_sim_cards) is asked about once, bound to the exact SIM cards it resolved to.
A read that would show a secret the registry says to ask about (`Operation.secrets`: PIN/PUK codes, an
eSIM activation code) is asked about the same way, and its lines in the audit log name what it reveals.
How it asks depends on the client and the policy:

- the client can elicit: the user is shown a preview of the real target and answers yes or no
  (form elicitation mid-call in protocol 2025-11-25 and older; `InputRequiredResult` plus a signed
  request state in 2026-07-28). The most dangerous calls make the user type a name or digits.
- it cannot elicit but draws MCP Apps: the call answers with a confirmation card (server/apps.py) that
  carries the very form request an elicitation would; its Confirm button sends the form's answer with the
  card's token, and the exact call runs again through this gate (`CardAnswer`), judged like an elicited
  answer. The model is given nothing to confirm with.
- it cannot, policy `elicit-or-token` (default): the call returns the preview and a single-use
  token bound to the exact call; repeating the call with the token runs it.
- it cannot, policy `elicit-only`: the call is refused.
- policy `off`: nothing is asked (automation that confirms elsewhere).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from mcp import types
from mcp.server import ServerRequestContext
from mcp.types.version import is_version_at_least

from ..tools.client import TelnyxClient
from ..tools.errors import ToolError
from ..tools.local import LocalTool
from ..tools.redact import register_secret
from ..tools.registry import Operation
from ..tools.registry.model import Secret, StateUnknown
from ..tools.words import clean
from . import metrics, scopes
from .apps import card_result, draws_apps
from .audit import AuditLog, Confirmation, Outcome, audit_for
from .confirm_token import TOKEN_ARGUMENT, ConfirmationTokens, TokenRefused, split_token
from .preview import Challenge, Preview, Reader, preview
from .state import Store, StoreUnavailable, open_store
from .settings import Settings

Policy = Literal["elicit-or-token", "elicit-only", "off"]
POLICIES: tuple[str, ...] = Policy.__args__  # type: ignore[attr-defined]

NEW_ERA = "2026-07-28"
CONFIRM_TOKEN = "confirm"  # token purposes: a confirmation token, and the state of an elicitation round trip
ELICIT_STATE = "elicit"
APP_CARD = "app-card"  # the token of a confirmation card: only confirm_from_app accepts it
ANSWER_KEY = "confirm"
MAX_REASON = 400
log = logging.getLogger("telnyx_iot_mcp.gate")
NOTHING_SENT = "Nothing was sent to Telnyx."
OFF_WARNING = ("telnyx-iot-mcp: WARNING: confirmation is off (--confirm off): destructive and billable calls "
               "run without asking anyone. Use this only for automation that confirms elsewhere.")


@dataclass
class Verdict:
    """Go ahead with `arguments` (the token removed), or answer `reply` now (a new-era elicitation).

    `kind` is the class the call was judged at: its registry class, or what an effect rule raised it to.
    `reveals`: the secret fields a person agreed to show (or policy off lets through)."""

    op: Operation | LocalTool
    arguments: dict[str, Any]
    confirmation: Confirmation
    request_id: Any = None
    reply: types.InputRequiredResult | types.CallToolResult | None = None
    kind: str = ""
    reveals: tuple[Secret, ...] = ()


@dataclass(frozen=True)
class CardAnswer:
    """What a confirmation card's Confirm sends back: its token and the content of the form it drew."""

    token: str
    content: dict[str, Any]


@dataclass
class Subject:
    """What a person is asked about: a tool, the class it is judged at, and how to show it.

    `binding` ties the confirmation to a resolved set of targets (a plan's SIM cards): a yes given for one
    set does not run another. `rebind` resolves the set again after the person answered."""

    tool: Operation | LocalTool
    kind: str
    preview: Callable[[], Awaitable[Preview]]
    binding: str | None = None
    rebind: Callable[[], Awaitable[str | None]] | None = None
    reveals: tuple[Secret, ...] = ()  # the secrets the call would show: its audit lines name them


def _form(challenge: Challenge | None) -> dict[str, Any]:
    if challenge:
        return {"type": "object", "required": [ANSWER_KEY], "properties": {ANSWER_KEY: {
            "type": "string", "title": f"Type {challenge.label} to confirm",
            "description": f"Type exactly: {challenge.expected}"}}}
    return {"type": "object", "required": [ANSWER_KEY], "properties": {ANSWER_KEY: {
        "type": "boolean", "title": "Go ahead", "description": "Check to let this call run."}}}


def form_request(seen: Preview) -> types.ElicitRequestFormParams:
    """The one question about a call, as a form: elicited (both eras) or drawn by the App's card."""
    return types.ElicitRequestFormParams(message=seen.question, requested_schema=_form(seen.challenge))


def asks_by_form(ctx: ServerRequestContext) -> bool:
    """The client declared form elicitation: `elicitation: {}` (form, before modes existed) or `{form: ...}`.

    A client that declared only URL mode refuses a form; it gets the confirmation token instead."""
    declared = ctx.session.client_capabilities
    elicitation = declared.elicitation if declared else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


class Gate:
    def __init__(self, client: TelnyxClient, *, policy: Policy = "elicit-or-token",
                 tokens: ConfirmationTokens | None = None, audit: AuditLog | None = None,
                 read_only: bool = False) -> None:
        if policy not in POLICIES:
            raise ValueError(f"confirmation policy {policy!r} is not one of {', '.join(POLICIES)}")
        self.client = client
        self.policy = policy
        self.tokens = tokens or ConfirmationTokens()
        self.audit = audit or AuditLog()
        self.read_only = read_only

    async def account(self) -> str:
        """The keyed fingerprint of the Telnyx account the current call runs under. Raises StoreUnavailable."""
        key = self.client.api_key_in_use() if hasattr(self.client, "api_key_in_use") else None
        return await self.tokens.account(key)

    async def caller(self) -> str:
        """Whom something that lasts beyond a call belongs to (an event subscription): the Telnyx account, and
        the signed-in person where there is one. Raises StoreUnavailable."""
        account = await self.account()
        person = await self.tokens.person()
        return account if person is None else f"{account}/person-{person}"

    def _unavailable(self, subject: Subject, arguments: dict[str, Any], request_id: Any,
                     why: StoreUnavailable) -> ToolError:
        return self._stop(subject, arguments, request_id, "refused", "state_unavailable",
                          f"Not run: the server cannot reach its confirmation store ({why}), so it cannot make sure "
                          f"a confirmation is used only once. {NOTHING_SENT} Try again when the store is back; "
                          "reads still work.")

    def finish(self, verdict: Verdict, outcome: Outcome, api_request_id: str | None = None,
               detail: str | None = None) -> None:
        """Audit the end of a call the gate let through (a read: when reads are recorded, or it reveals secrets)."""
        if not verdict.op.read_only or verdict.reveals or self.audit.reads:
            self.record(verdict.op.name, verdict.kind or verdict.op.kind, verdict.arguments, verdict.confirmation,
                        outcome, verdict.request_id, api_request_id, detail, reveals=verdict.reveals)
        else:
            metrics.call(verdict.op.name, verdict.op.kind, outcome, verdict.confirmation)

    def sending(self, verdict: Verdict) -> None:
        """Audit that a change is about to be sent: written before it can reach Telnyx, so it outlives a crash."""
        if not verdict.op.read_only:
            self.audit.record(event="send", tool=verdict.op.name, kind=verdict.kind or verdict.op.kind,
                              arguments=verdict.arguments, confirmation=verdict.confirmation, outcome=None,
                              request_id=verdict.request_id)

    def abandoned(self, op: Operation, arguments: dict[str, Any], request_id: Any, detail: str) -> None:
        """Audit a call that stopped (cancelled, its client gone) before the gate let it through."""
        reveals = op.reveals(arguments) if isinstance(op, Operation) else ()
        if not op.read_only or reveals:
            _, plain = split_token(arguments)
            self.record(op.name, op.kind, plain, "none", "cancelled", request_id, detail=detail, reveals=reveals)

    def record(self, tool: str, kind: str, arguments: dict[str, Any], confirmation: Confirmation, outcome: Outcome,
               request_id: Any, api_request_id: str | None = None, detail: str | None = None, *,
               reveals: tuple[Secret, ...] = ()) -> None:
        self.audit.record(tool=tool, kind=kind, arguments=arguments, confirmation=confirmation,
                          outcome=outcome, request_id=request_id, api_request_id=api_request_id, detail=detail,
                          reveals=tuple(s.what for s in reveals))

    def _stop(self, subject: Subject, arguments: dict[str, Any], request_id: Any, outcome: Outcome,
              kind: str, message: str, *, audit_detail: str | None = None, **details: Any) -> ToolError:
        self.record(subject.tool.name, subject.kind, arguments, "none", outcome, request_id,
                    detail=audit_detail or message, reveals=subject.reveals)
        return ToolError(kind, message, **details)

    def refuse_read_only(self, tool: Operation | LocalTool, arguments: dict[str, Any], request_id: Any) -> None:
        if self.read_only and not tool.read_only:
            raise self._stop(Subject(tool, tool.kind, _no_preview), arguments, request_id, "refused", "read_only",
                             f"{tool.name} is a {tool.kind} tool and this server runs read-only; it was not run. "
                             + NOTHING_SENT)

    def require_scope(self, tool: Operation | LocalTool, kind: str, arguments: dict[str, Any], request_id: Any,
                      what: str | None = None) -> None:
        """Refuses a call judged at `kind` when the signed-in person's scopes do not allow it (server/scopes.py)."""
        try:
            scopes.require(kind, what or tool.name)
        except ToolError as error:
            self.record(tool.name, kind, arguments, "none", "refused", request_id, detail=error.message)
            raise

    async def check(self, ctx: ServerRequestContext, params: types.CallToolRequestParams, op: Operation,
                    arguments: dict[str, Any], card: CardAnswer | None = None) -> Verdict:
        """Decide whether the validated call may run; raises ToolError when it may not."""
        request_id = ctx.request_id
        self.refuse_read_only(op, arguments, request_id)
        token, plain = split_token(arguments)
        reveals = op.reveals(plain)  # secrets the answer would show: asked about like a destructive call
        if not op.may_ask:
            return Verdict(op, plain, "not-needed", request_id, kind=op.kind)
        if self.policy == "off":
            return Verdict(op, plain, "policy-off", request_id, kind=op.kind, reveals=reveals)
        read = Reader(self.client)
        kind, reasons = op.kind, []
        answering = token is not None or params.request_state is not None or card is not None
        if not op.gated and not answering:  # a write: its effect rules decide whether to ask
            kind, reasons = await self.effects(op, plain, read)
            self.require_scope(op, kind, plain, request_id)
            if not reasons and not reveals:
                return Verdict(op, plain, "not-needed", request_id, kind=op.kind)

        async def shown() -> Preview:
            try:
                return await preview(read, op, plain, reasons + [s.question for s in reveals])
            except ToolError as error:
                if reasons:  # a rule already could not read the target: ask, naming what the call points at
                    what = ", ".join(f"{p.name} {clean(plain[p.name], 64)}" for p in op.params if p.location == "path")
                    return Preview(f"{op.title}: {what or '(no target)'}? {' '.join(reasons)}", None)
                error.payload["message"] = (f"Could not read what {op.name} would change, so it was not run; "
                                            f"nothing was sent to Telnyx. " + error.payload["message"])
                self.record(op.name, kind, plain, "none", "error", request_id, error.payload.get("request_id"),
                            error.payload["message"])
                raise

        verdict = await self.confirm(ctx, params, Subject(op, kind, shown, reveals=reveals), plain, token, card)
        verdict.reveals = reveals
        return verdict

    async def effects(self, op: Operation, arguments: dict[str, Any], read: Reader,
                      together: list[dict[str, Any]] | None = None) -> tuple[str, list[str]]:
        """The class `op`'s effect rules raise this call to, and their reasons (none: the class stands).
        A rule that cannot read the state it needs counts as tripped: the person is asked.
        `together`: a plan's SIM cards, judged by the rules' `together` tests (what they do as one)."""
        kinds, reasons = [], []
        for effect in op.effects:
            if not effect.applies(arguments) or (together is not None and effect.together is None):
                continue
            try:
                reason = await (effect.test(arguments, read) if together is None
                                else effect.together(arguments, together, read))
            except ToolError as error:
                reason = (f"Whether {effect.when} could not be checked (reading the current state failed: "
                          f"{clean(error.message, 160)}), so the server asks.")
            except StateUnknown as unknown:
                reason = f"Whether {effect.when} could not be checked ({unknown} could not be read), so the server asks."
            except Exception:  # a rule that breaks on odd data must not let the call through unasked
                log.exception("effect rule of %s failed", op.name)
                reason = f"Whether {effect.when} could not be checked, so the server asks."
            if reason:
                kinds.append(effect.kind)
                reasons.append(clean(reason, MAX_REASON))
        if not kinds:
            return op.kind, []
        return ("destructive" if "destructive" in kinds else kinds[0]), reasons

    async def confirm(self, ctx: ServerRequestContext, params: types.CallToolRequestParams, subject: Subject,
                      arguments: dict[str, Any], token: Any = None, card: CardAnswer | None = None) -> Verdict:
        """Ask a person about `subject` (or check the token, round-trip state or card answer that carries their
        answer). Whatever made the call need a yes, the host gets the same treatment: elicitation where it can,
        the card where it draws Apps, a token only where it can do neither."""
        request_id = ctx.request_id
        name = subject.tool.name
        if card is not None:
            return await self._from_card(subject, arguments, request_id, card)
        if self.policy == "off":
            return Verdict(subject.tool, arguments, "policy-off", request_id, kind=subject.kind)
        if asks_by_form(ctx):
            return await self._elicit(ctx, params, subject, arguments)
        if draws_apps(ctx):  # the card: the model is given no token it could confirm with
            return await self._card(subject, arguments, request_id)
        if self.policy == "elicit-only":
            raise self._stop(subject, arguments, request_id, "refused", "confirmation_unavailable",
                             f"{name} needs a person to confirm it, this client cannot ask (no elicitation "
                             f"support), and the server's policy refuses such calls. {NOTHING_SENT} Run it from "
                             "a client that supports elicitation, or change the confirmation policy.")
        try:
            account = await self.account()
            if token is not None:
                try:
                    claims = await self.tokens.redeem(str(token), CONFIRM_TOKEN, name, arguments, account=account)
                except TokenRefused as why:
                    raise self._stop(subject, arguments, request_id, "refused", "confirmation_refused",
                                     f"Not run: {why}. {NOTHING_SENT} Call {name} again without "
                                     f"{TOKEN_ARGUMENT} to get a new preview and token.") from None
                subject.kind = claims.get("kind", subject.kind)
                self._same_targets(subject, arguments, request_id, claims.get("binding"), subject.binding)
                return Verdict(subject.tool, arguments, "token", request_id, kind=subject.kind)
            seen = await subject.preview()
            raise await self._issue_token(subject, arguments, request_id, seen, account)
        except StoreUnavailable as why:
            raise self._unavailable(subject, arguments, request_id, why) from None

    def _same_targets(self, subject: Subject, arguments: dict[str, Any], request_id: Any, asked: str | None,
                      now: str | None) -> None:
        if asked != now:
            raise self._stop(subject, arguments, request_id, "refused", "targets_changed",
                             f"Not run: the SIM cards {subject.tool.name} applies to changed after the user was "
                             f"asked, and the yes was for the set they saw. {NOTHING_SENT} Call "
                             f"{subject.tool.name} again (without {TOKEN_ARGUMENT}) to show the new set and ask anew.")

    async def _issue_token(self, subject: Subject, arguments: dict[str, Any], request_id: Any, seen: Preview,
                           account: str) -> ToolError:
        name = subject.tool.name
        token, expires = await self.tokens.issue(CONFIRM_TOKEN, name, arguments, account=account,
                                                 **self._claims(subject))
        minutes = max(1, round(self.tokens.ttl_seconds / 60))
        typed = (f" Ask the user to type {seen.challenge.label} ({seen.challenge.expected}) before going on."
                 if seen.challenge else "")
        message = (f"Confirmation needed. {seen.summary} {NOTHING_SENT} "
                   f"Show this to the user and ask for a yes.{typed} If they agree, call {name} again with "
                   f"the same arguments plus {TOKEN_ARGUMENT}=\"{token}\" (valid {minutes} min, once).")
        return self._stop(subject, arguments, request_id, "awaiting_confirmation", "confirmation_required", message,
                          audit_detail=f"confirmation token issued: {seen.summary}", preview=seen.question,
                          confirmation_token=token, expires_at=datetime.fromtimestamp(expires, timezone.utc).isoformat(timespec="seconds"))

    @staticmethod
    def _claims(subject: Subject) -> dict[str, Any]:
        claims: dict[str, Any] = {"kind": subject.kind}
        if subject.binding is not None:
            claims["binding"] = subject.binding
        return claims

    async def _elicit(self, ctx: ServerRequestContext, params: types.CallToolRequestParams, subject: Subject,
                      arguments: dict[str, Any]) -> Verdict:
        request_id = ctx.request_id
        name = subject.tool.name
        if is_version_at_least(ctx.protocol_version, NEW_ERA):
            try:
                return await self._round_trip(ctx, params, subject, arguments)
            except StoreUnavailable as why:
                raise self._unavailable(subject, arguments, request_id, why) from None
        seen = await subject.preview()
        expected = seen.challenge.expected if seen.challenge else None
        self.audit.record(event="ask", tool=name, kind=subject.kind, arguments=arguments, confirmation="none",
                          outcome="awaiting_confirmation", request_id=request_id, detail=seen.question,
                          reveals=tuple(s.what for s in subject.reveals))
        try:
            ask = form_request(seen)
            answer = await ctx.session.elicit_form(ask.message, ask.requested_schema, related_request_id=request_id)
        except Exception as error:  # the client failed to ask: treat as no answer
            raise self._stop(subject, arguments, request_id, "refused", "confirmation_failed",
                             f"Could not ask the user to confirm {name} ({type(error).__name__}). "
                             + NOTHING_SENT) from None
        verdict = self._judge(subject, arguments, request_id, answer, expected)
        if subject.rebind is not None:  # the person took their time: is the set still the one they saw?
            self._same_targets(subject, arguments, request_id, subject.binding, await subject.rebind())
        return verdict

    async def _round_trip(self, ctx: ServerRequestContext, params: types.CallToolRequestParams, subject: Subject,
                          arguments: dict[str, Any]) -> Verdict:
        """2026-07-28: ask with an InputRequiredResult carrying a signed state; judge the answer it comes back with."""
        request_id = ctx.request_id
        name = subject.tool.name
        account = await self.account()
        if params.request_state is None:
            seen = await subject.preview()
            state, _ = await self.tokens.issue(ELICIT_STATE, name, arguments, account=account, **self._claims(subject),
                                               expected=seen.challenge.expected if seen.challenge else None)
            self.record(name, subject.kind, arguments, "none", "awaiting_confirmation", request_id,
                        detail=seen.question, reveals=subject.reveals)
            ask = types.ElicitRequest(params=form_request(seen))
            return Verdict(subject.tool, arguments, "none", request_id, kind=subject.kind,
                           reply=types.InputRequiredResult(input_requests={ANSWER_KEY: ask}, request_state=state))
        try:
            claims = await self.tokens.redeem(params.request_state, ELICIT_STATE, name, arguments, account=account)
        except TokenRefused as why:
            raise self._stop(subject, arguments, request_id, "refused", "confirmation_refused",
                             f"Not run: the confirmation round trip is not valid ({why}). {NOTHING_SENT} "
                             f"Call {name} again to be asked anew.") from None
        subject.kind = claims.get("kind", subject.kind)
        answer = (params.input_responses or {}).get(ANSWER_KEY)
        verdict = self._judge(subject, arguments, request_id, answer, claims.get("expected"))
        self._same_targets(subject, arguments, request_id, claims.get("binding"), subject.binding)
        return verdict

    async def _card(self, subject: Subject, arguments: dict[str, Any], request_id: Any) -> Verdict:
        name = subject.tool.name
        try:
            account = await self.account()
            seen = await subject.preview()
            token, expires = await self.tokens.issue(APP_CARD, name, arguments, account=account, **self._claims(subject),
                                                     expected=seen.challenge.expected if seen.challenge else None)
        except StoreUnavailable as why:
            raise self._unavailable(subject, arguments, request_id, why) from None
        self.record(name, subject.kind, arguments, "none", "awaiting_confirmation", request_id,
                    detail=f"confirmation card shown: {seen.summary}", reveals=subject.reveals)
        card = card_result(name, arguments, token, form_request(seen), seen.summary,
                           datetime.fromtimestamp(expires, timezone.utc).isoformat(timespec="seconds"))
        return Verdict(subject.tool, arguments, "none", request_id, kind=subject.kind, reply=card)

    async def _from_card(self, subject: Subject, arguments: dict[str, Any], request_id: Any,
                         card: CardAnswer) -> Verdict:
        """A person pressed Confirm on the card of exactly this call: check its token, spend it, and judge the
        form's answer as an elicited one; a plan must still resolve to the set the card showed."""
        name = subject.tool.name
        if self.read_only or self.policy == "off":
            raise self._stop(subject, arguments, request_id, "refused", "confirmation_refused",
                             f"{name} is not confirmed with a card on this server. {NOTHING_SENT}")
        try:
            claims = await self.tokens.redeem(card.token, APP_CARD, name, arguments, account=await self.account())
        except TokenRefused as why:
            raise self._stop(subject, arguments, request_id, "refused", "confirmation_refused",
                             f"Not run: {why}. {NOTHING_SENT} Ask for {name} again to get a new card.") from None
        except StoreUnavailable as why:
            raise self._unavailable(subject, arguments, request_id, why) from None
        subject.kind = claims.get("kind", subject.kind)
        answer = types.ElicitResult.model_construct(action="accept", content=card.content)
        verdict = self._judge(subject, arguments, request_id, answer, claims.get("expected"))
        self._same_targets(subject, arguments, request_id, claims.get("binding"), subject.binding)
        verdict.confirmation = "app-card"
        return verdict

    def _judge(self, subject: Subject, arguments: dict[str, Any], request_id: Any, answer: Any,
               expected: str | None) -> Verdict:
        name = subject.tool.name
        action = getattr(answer, "action", None)
        content = getattr(answer, "content", None) or {}
        if action == "cancel":
            raise self._stop(subject, arguments, request_id, "cancelled", "cancelled",
                             f"The user dismissed the confirmation of {name}. {NOTHING_SENT}")
        if action != "accept":
            raise self._stop(subject, arguments, request_id, "declined", "declined",
                             f"The user declined {name}. {NOTHING_SENT}")
        given = content.get(ANSWER_KEY)
        if expected is not None:
            if not isinstance(given, str) or given.strip() != expected:
                raise self._stop(subject, arguments, request_id, "refused", "confirmation_mismatch",
                                 f"The text typed to confirm {name} did not match {expected!r}. {NOTHING_SENT}")
        elif given is not True:
            raise self._stop(subject, arguments, request_id, "declined", "declined",
                             f"The user did not tick 'Go ahead' for {name}. {NOTHING_SENT}")
        return Verdict(subject.tool, arguments, "elicitation", request_id, kind=subject.kind)


async def _no_preview() -> Preview:
    raise AssertionError("a refused call shows no preview")  # pragma: no cover


def store_for(settings: Settings) -> Store:
    """The state store the settings name; stops the server at start when it cannot be opened."""
    try:
        return open_store(settings.state_url, settings.state_dir)
    except (StoreUnavailable, ValueError) as error:
        print(f"telnyx-iot-mcp: {error}. Choose another place with --state-dir, or --state-url memory to keep "
              "confirmations in this process only.", file=sys.stderr)
        raise SystemExit(2) from None


def gate_for(settings: Settings, client: TelnyxClient, store: Store | None = None,
             audit: AuditLog | None = None) -> Gate:
    """The gate the settings ask for, spending tokens in `store` (default: the settings' store) and writing
    `audit` (default: the settings' audit log); warns on stderr when confirmation is off."""
    if settings.confirm == "off" and not settings.read_only:
        print(OFF_WARNING, file=sys.stderr)
    secret = settings.confirm_secret.get_secret_value().encode() if settings.confirm_secret else None
    register_secret(settings.confirm_secret.get_secret_value() if settings.confirm_secret else None)
    tokens = ConfirmationTokens(secret, settings.confirm_ttl, store=store or store_for(settings))
    return Gate(client, policy=settings.confirm, tokens=tokens, audit=audit or audit_for(settings, store),
                read_only=settings.read_only)
