"""Failures a tool call can end in, each written for the model or person who must act on it."""

from __future__ import annotations

from typing import Any

from .redact import cut, redact, redact_value

HINTS = {
    400: "The API rejected the request as malformed; check the arguments against the tool's schema.",
    401: "The Telnyx API key was refused: set a valid key in TELNYX_API_KEY (Mission Control > API Keys).",
    403: "The API key is valid but may not do this: check the key's permissions and the account's IoT access.",
    404: "Nothing has this id: look the id up with the matching list_ tool and try again.",
    408: "Telnyx timed out; try again shortly.",
    409: "The resource is busy or changed meanwhile: read it again, then retry.",
    422: "Telnyx refused a value: fix the field named in the error (pointer) and call again.",
    429: "Rate-limited by Telnyx: wait a little (see retry_after), then call again; narrow list calls with filters.",
}
SERVER_HINT = "Telnyx had an internal problem; try again in a minute. If it persists, check status.telnyx.com."


class ToolError(Exception):
    """A tool call that cannot produce a result; `payload` is what the model is shown. `may_have_happened`: a
    change was sent and may have taken effect although no good answer came back."""

    may_have_happened = False

    def __init__(self, kind: str, message: str, **details: Any) -> None:
        message = redact(message)
        super().__init__(message)
        self.payload: dict[str, Any] = {
            "kind": kind, "message": message, **{k: redact_value(v) for k, v in details.items() if v is not None},
        }

    @property
    def message(self) -> str:
        return self.payload["message"]


def invalid_arguments(tool: str, problems: list[str]) -> ToolError:
    return ToolError(
        "invalid_arguments",
        f"Invalid arguments for {tool} (nothing was sent): " + "; ".join(problems),
        problems=problems,
    )


def _error_items(body: Any) -> list[dict[str, Any]]:
    """The `errors[]` envelope, or the bare error object some 404 responses use."""
    if isinstance(body, dict):
        items = body.get("errors")
        if isinstance(items, list):
            return [i for i in items if isinstance(i, dict)]
        if "code" in body or "title" in body or "detail" in body:
            return [body]
    return []


def _compact(item: dict[str, Any]) -> dict[str, Any]:
    source = item.get("source") if isinstance(item.get("source"), dict) else {}
    out = {
        "code": item.get("code"),
        "title": item.get("title"),
        "detail": item.get("detail"),
        "pointer": source.get("pointer"),
        "parameter": source.get("parameter"),
    }
    return {k: cut(str(v), 500) for k, v in out.items() if v not in (None, "")}


def partial_errors(body: Any) -> list[dict[str, Any]] | None:
    """The `errors[]` a successful answer carries beside its `data` (some items done, some refused)."""
    items = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return None
    return [_compact(i) for i in items if isinstance(i, dict)][:50] or None


def upstream_error(status: int, body: Any, *, request_id: str | None = None,
                   retry_after: str | None = None, may_have_happened: str | None = None) -> ToolError:
    errors = [_compact(i) for i in _error_items(body)][:20]
    hint = HINTS.get(status) or (SERVER_HINT if status >= 500 else "See the error detail.")
    if may_have_happened:
        hint = may_have_happened
    summary = "; ".join(
        " ".join(filter(None, [e.get("title"), f"({e['code']})" if e.get("code") else None]))
        + (f": {e['detail']}" if e.get("detail") else "")
        + (f" [at {e.get('pointer') or e.get('parameter')}]" if e.get("pointer") or e.get("parameter") else "")
        for e in errors
    ) or "no error details in the response"
    error = ToolError(
        "upstream", f"Telnyx API answered {status}: {summary}", status=status, errors=errors or None,
        hint=hint, request_id=request_id, retry_after=retry_after,
    )
    error.may_have_happened = bool(may_have_happened)
    return error


def bad_response(status: int, reason: str, *, request_id: str | None = None,
                 may_have_happened: str | None = None) -> ToolError:
    error = ToolError(
        "bad_response", f"Telnyx API answered {status} with a body that is not usable JSON ({reason}).",
        status=status, request_id=request_id,
        hint=may_have_happened or "The API or a proxy in between returned something unexpected; try again shortly.",
    )
    error.may_have_happened = bool(may_have_happened)
    return error


def transport_error(what: str, *, may_have_happened: str | None = None) -> ToolError:
    error = ToolError(
        "network", f"Could not complete the request to Telnyx: {what}.",
        hint=may_have_happened or "Check the network and TELNYX_BASE_URL, then try again.",
    )
    error.may_have_happened = bool(may_have_happened)
    return error


MAY_HAVE_HAPPENED = "may have reached Telnyx"


def may_have_happened(tool: str, check_with: str | None) -> str:
    """The hint for a change that may have reached Telnyx although no answer came back."""
    check = (f"Call {check_with} to see whether it did" if check_with
             else "Check the account in the Telnyx portal to see whether it did")
    return (f"The {tool} request {MAY_HAVE_HAPPENED} and taken effect. It was not repeated, so nothing was "
            f"done twice. {check} before calling {tool} again.")


def too_large(size: int, limit: int, *, narrow: str) -> ToolError:
    return ToolError(
        "too_large", f"The answer from Telnyx is larger than this server passes on ({size} bytes or more; "
                     f"the limit is {limit}).",
        limit=limit, hint=narrow,
    )
