"""The one HTTP client that talks to Telnyx (or the sandbox): auth, timeouts, JSON in and out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from .. import __version__
from .errors import ToolError, bad_response, transport_error, upstream_error
from .request import ApiRequest

DEFAULT_BASE_URL = "https://api.telnyx.com/v2"


@dataclass(frozen=True)
class ApiResponse:
    status: int
    body: dict[str, Any]
    request_id: str | None


class TelnyxClient:
    def __init__(self, *, base_url: str = DEFAULT_BASE_URL, api_key: str | None = None,
                 timeout: float = 30.0, transport: httpx.AsyncBaseTransport | None = None) -> None:
        headers = {"Accept": "application/json", "User-Agent": f"telnyx-iot-mcp/{__version__}"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), headers=headers, transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)), follow_redirects=False,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send(self, request: ApiRequest) -> ApiResponse:
        try:
            response = await self._http.request(
                request.method, request.path, params=request.params or None, json=request.json,
            )
        except httpx.TimeoutException:
            raise transport_error("the request timed out") from None
        except httpx.HTTPError as exc:
            raise transport_error(type(exc).__name__) from None
        return _parse(response)


def _parse(response: httpx.Response) -> ApiResponse:
    request_id = response.headers.get("x-request-id")
    try:
        body: Any = json.loads(response.content) if response.content else {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if response.is_success:
        if not isinstance(body, dict):
            raise bad_response(response.status_code, "not a JSON object", request_id=request_id)
        return ApiResponse(response.status_code, body, request_id)
    raise upstream_error(response.status_code, body, request_id=request_id,
                         retry_after=response.headers.get("retry-after"))


__all__ = ["ApiResponse", "TelnyxClient", "ToolError", "DEFAULT_BASE_URL"]
