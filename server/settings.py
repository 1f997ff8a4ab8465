"""Settings from the environment (and CLI flags layered on top by the CLI)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from ..tools.client import DEFAULT_BASE_URL


class Settings(BaseSettings):
    """`TELNYX_API_KEY` and `TELNYX_BASE_URL` as Telnyx's own tools name them; the rest TELNYX_IOT_MCP_*."""

    model_config = SettingsConfigDict(env_prefix="TELNYX_IOT_MCP_", extra="ignore", populate_by_name=True,
                                      hide_input_in_errors=True)  # an error must not print the key

    # Each field's description is its line on the settings page (docs/settings.md, scripts/update_generated.py).
    api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("TELNYX_API_KEY", "api_key"),
        description="Your Telnyx API key (required unless --sandbox); never on the command line.")
    base_url: str = Field(
        default=DEFAULT_BASE_URL, validation_alias=AliasChoices("TELNYX_BASE_URL", "base_url"),
        description="API base URL (point it at `telnyx-iot-mcp sandbox` or a test server).")
    api_key_file: str | None = Field(
        default=None, validation_alias=AliasChoices("TELNYX_API_KEY_FILE", "api_key_file"),
        description="Read the key from this file instead.")
    timeout: float = Field(default=30.0, gt=0, le=300,
                           description="Seconds one request to Telnyx may take (one attempt), first byte to last.")
    connect_timeout: float = Field(default=5.0, gt=0, le=60, description="Seconds to open a connection.")
    retry_budget: float = Field(default=60.0, gt=0, le=600,
                                description="Seconds a whole tool call may take, retries and waits included.")
    max_attempts: int = Field(default=4, ge=1, le=10, description="Attempts per request, the first included.")
    max_concurrency: int = Field(
        default=8, ge=1, le=256,
        description="Requests in flight to Telnyx at once; further calls wait (within their budget).")
    rate_limit: float | None = Field(
        default=None, gt=0, le=10_000,
        description="Requests started per second to Telnyx, at most; shared by all replicas with a Redis store.")
    max_result_bytes: int = Field(
        default=200_000, ge=1_000,
        description="Largest result (JSON text) handed to the model per call; longer lists are cut, with a note.")
    max_response_bytes: int = Field(default=8_000_000, ge=1_000,
                                    description="Largest response body read from Telnyx per request.")
    read_only: bool = Field(default=False, description="Offer only tools that read.")
    # Confirmation gate (server/gate.py): who says yes before destructive or billable calls.
    confirm: Literal["elicit-or-token", "elicit-only", "off"] = Field(
        default="elicit-or-token",
        description="Before destructive or billable calls: ask the user (elicitation), else return a single-use "
                    "token; elicit-only refuses when the client cannot ask; off asks nothing.")
    confirm_secret: SecretStr | None = Field(
        default=None, min_length=16,
        description="HMAC key of confirmation tokens (16+ characters), the same on every replica. Unset, the "
                    "state store makes one once and keeps it.")
    confirm_ttl: float = Field(default=300.0, ge=10, le=3600,
                               description="Seconds a confirmation token stays valid.")
    # What outlives a call (server/state.py).
    state_url: str | None = Field(
        default=None,
        description="memory, sqlite:///PATH or redis://HOST:PORT/DB (the [redis] extra) to share confirmations "
                    "and one request budget between replicas. Unset: SQLite in the state directory.")
    state_dir: str | None = Field(
        default=None,
        description="Where the SQLite store keeps spent confirmations and the secret. Unset: "
                    "$XDG_STATE_HOME/telnyx-iot-mcp, else ~/.local/state/telnyx-iot-mcp.")
    audit_log: str | None = Field(default=None, description="Append the audit log to this file as JSON lines.")
    change_retention_days: float = Field(default=30.0, gt=0, le=3650,
                                         description="Days the change journal keeps each change (for undo and resume).")
    audit_reads: bool = Field(
        default=True, description="A line in the audit log for every read too, not only changes, reveals and refusals.")
    # Tool selection: comma-separated names in the environment (TELNYX_IOT_MCP_TOOLSETS=sim_cards,actions).
    toolsets: Annotated[list[str], NoDecode] = Field(default=[], description="Toolsets to offer; empty: all.")
    tools: Annotated[list[str], NoDecode] = Field(
        default=[], description="Tools to offer (alone, or on top of the toolsets).")
    exclude_tools: Annotated[list[str], NoDecode] = Field(default=[], description="Tools never to offer.")
    tools_mode: Literal["static", "dynamic"] = Field(
        default="static", description="static: a tool per operation; dynamic: three tools (search, describe, call).")
    sandbox: bool = Field(default=False,
                          description="Serve an offline demo fleet instead of the real API (no key needed).")
    sandbox_state: str | None = Field(default=None,
                                      description="Keep the sandbox fleet in this SQLite file between runs.")
    # Streamable HTTP (`--transport http`); see server/http.py.
    transport: Literal["stdio", "http"] = Field(default="stdio", description="stdio, or http for Streamable HTTP.")
    host: str = Field(default="127.0.0.1", description="The address to bind over HTTP.")
    port: int = Field(default=8000, ge=0, le=65535,
                      description="The port to bind over HTTP; 0 picks a free one (printed on stderr).")
    stateless: bool = Field(default=False, description="No sessions over HTTP: any replica can answer any request.")
    http_token: SecretStr | None = Field(
        default=None,
        description="The bearer token MCP clients must send over HTTP (16+ characters; required beyond loopback); "
                    "never a flag.")
    http_token_file: str | None = Field(default=None, description="A file holding that token.")
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default=[], description="Host header values to accept besides the bound address.")
    max_body_bytes: int = Field(default=1_048_576, gt=0, description="Largest HTTP request body; larger ones get 413.")
    allow_client_api_key: bool = Field(
        default=False, description="Each HTTP request may carry its own Telnyx key in the X-Telnyx-Api-Key header.")
    # Sign-in for a team (server/auth.py, server/guard.py): tokens of this issuer, for this server's URL.
    auth_issuer: str | None = Field(
        default=None,
        description="People sign in: only access tokens of this OAuth issuer are accepted "
                    "([One server for a team](team.md)).")
    resource_url: str | None = Field(
        default=None,
        description="This server's MCP URL as clients reach it (e.g. https://iot.example.com/mcp), the audience "
                    "tokens must be issued for (with TELNYX_IOT_MCP_AUTH_ISSUER).")
    auth_client_id: str | None = Field(
        default=None, description="This server's own client at the issuer, to check opaque tokens by introspection.")
    auth_client_secret: SecretStr | None = Field(default=None, description="Its secret; never a flag.")
    person_calls_per_minute: int = Field(
        default=120, ge=0,
        description="Tool calls per signed-in person per minute (0: no limit); over it, 429 with Retry-After.")
    metrics: bool = Field(default=False, description="Serve Prometheus metrics at /metrics (keep the path private).")
    # Fleet events (server/event_methods.py): how often the fleet is polled, and webhook targets.
    watch_interval: float = Field(default=300.0, ge=1, le=86_400,
                                  description="Seconds between polls of the fleet for events.")
    allow_private_webhooks: bool = Field(
        default=False, description="Accept webhook URLs on private or loopback addresses (tests, on-premises).")

    def client_limits(self) -> dict[str, float | int]:
        """Timeouts, retry budget and size limits as TelnyxClient keyword arguments."""
        return {name: getattr(self, name) for name in (
            "timeout", "connect_timeout", "retry_budget", "max_attempts", "max_concurrency",
            "max_result_bytes", "max_response_bytes")}

    @model_validator(mode="after")
    def _key_from_file(self) -> Settings:
        if self.api_key_file is None:
            return self
        if self.api_key is not None:
            raise ValueError("set TELNYX_API_KEY or TELNYX_API_KEY_FILE, not both")
        try:
            key = Path(self.api_key_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ValueError(f"TELNYX_API_KEY_FILE {self.api_key_file!r} cannot be read: {exc.strerror}") from None
        if not key:
            raise ValueError(f"TELNYX_API_KEY_FILE {self.api_key_file!r} is empty")
        self.api_key = SecretStr(key)
        return self

    @model_validator(mode="after")
    def _sign_in_complete(self) -> Settings:
        if self.auth_issuer and not self.resource_url:
            raise ValueError("TELNYX_IOT_MCP_AUTH_ISSUER needs TELNYX_IOT_MCP_RESOURCE_URL (--resource-url): this "
                             "server's MCP URL as clients reach it, which the tokens must be issued for")
        if self.resource_url and not self.auth_issuer:
            raise ValueError("TELNYX_IOT_MCP_RESOURCE_URL is only used with TELNYX_IOT_MCP_AUTH_ISSUER (--auth-issuer)")
        for name in ("auth_issuer", "resource_url"):
            value = getattr(self, name)
            if value and not value.startswith(("https://", "http://")):
                raise ValueError(f"{name}: {value!r} is not an http(s) URL")
        if bool(self.auth_client_id) != bool(self.auth_client_secret):
            raise ValueError("set TELNYX_IOT_MCP_AUTH_CLIENT_ID and TELNYX_IOT_MCP_AUTH_CLIENT_SECRET together")
        return self

    @field_validator("confirm_secret")
    @classmethod
    def _secret_not_blank(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().strip()) < 16:
            raise ValueError("use at least 16 characters that are not spaces (e.g. `openssl rand -hex 32`)")
        return value

    @field_validator("toolsets", "tools", "exclude_tools", "allowed_hosts", mode="before")
    @classmethod
    def _split_names(cls, value: object) -> object:
        if isinstance(value, str):
            return [name.strip() for name in value.split(",") if name.strip()]
        return value
