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

    api_key: SecretStr | None = Field(default=None, validation_alias=AliasChoices("TELNYX_API_KEY", "api_key"))
    base_url: str = Field(default=DEFAULT_BASE_URL, validation_alias=AliasChoices("TELNYX_BASE_URL", "base_url"))
    api_key_file: str | None = Field(default=None, validation_alias=AliasChoices("TELNYX_API_KEY_FILE", "api_key_file"))
    timeout: float = Field(default=30.0, gt=0, le=300)  # one attempt, first byte to last
    connect_timeout: float = Field(default=5.0, gt=0, le=60)
    retry_budget: float = Field(default=60.0, gt=0, le=600)  # a whole call, retries and waits included
    max_attempts: int = Field(default=4, ge=1, le=10)
    max_concurrency: int = Field(default=8, ge=1, le=256)  # requests in flight to Telnyx at once
    rate_limit: float | None = Field(default=None, gt=0, le=10_000)  # requests started per second, at most
    max_result_bytes: int = Field(default=200_000, ge=1_000)  # JSON text handed to the model per call
    max_response_bytes: int = Field(default=8_000_000, ge=1_000)  # body read from Telnyx per request
    read_only: bool = False
    # Confirmation gate (server/gate.py): who says yes before destructive or billable calls.
    confirm: Literal["elicit-or-token", "elicit-only", "off"] = "elicit-or-token"
    confirm_secret: SecretStr | None = Field(default=None, min_length=16)  # HMAC key of tokens: same on every replica
    confirm_ttl: float = Field(default=300.0, ge=10, le=3600)  # seconds a confirmation token stays valid
    # What outlives a call (server/state.py): unset = SQLite in state_dir; "memory"; "redis://host:port/db".
    state_url: str | None = None
    state_dir: str | None = None  # default $XDG_STATE_HOME/telnyx-iot-mcp, else ~/.local/state/telnyx-iot-mcp
    audit_log: str | None = None  # file to append the audit log to (JSON lines)
    audit_reads: bool = True  # a line for every read too, not only changes, reveals and refusals
    # Tool selection: comma-separated names in the environment (TELNYX_IOT_MCP_TOOLSETS=sim_cards,actions).
    toolsets: Annotated[list[str], NoDecode] = []  # empty: every toolset
    tools: Annotated[list[str], NoDecode] = []  # added to the toolsets' tools
    exclude_tools: Annotated[list[str], NoDecode] = []
    tools_mode: Literal["static", "dynamic"] = "static"
    sandbox: bool = False
    sandbox_state: str | None = None
    # Streamable HTTP (`--transport http`); see server/http.py.
    transport: Literal["stdio", "http"] = "stdio"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    stateless: bool = False  # no sessions: any replica behind a load balancer can answer any request
    http_token: SecretStr | None = None  # bearer token MCP clients must send (required beyond loopback)
    http_token_file: str | None = None  # or a file holding it
    allowed_hosts: Annotated[list[str], NoDecode] = []  # Host header values to accept besides the bound address
    max_body_bytes: int = Field(default=1_048_576, gt=0)
    allow_client_api_key: bool = False  # accept a per-request Telnyx key in the X-Telnyx-Api-Key header
    # Sign-in for a team (server/auth.py, server/guard.py): tokens of this issuer, for this server's URL.
    auth_issuer: str | None = None  # the authorization server's issuer URL
    resource_url: str | None = None  # this server's MCP endpoint as clients reach it, e.g. https://iot.example.com/mcp
    auth_client_id: str | None = None  # this server's own client at the issuer, to introspect opaque tokens
    auth_client_secret: SecretStr | None = None
    person_calls_per_minute: int = Field(default=120, ge=0)  # tool calls per signed-in person (0: no limit)
    metrics: bool = False  # Prometheus metrics at /metrics (server/metrics.py)
    # Fleet events (server/event_methods.py): how often the fleet is polled, and webhook targets.
    watch_interval: float = Field(default=300.0, ge=1, le=86_400)  # seconds between polls of the fleet
    allow_private_webhooks: bool = False  # webhook URLs on private or loopback addresses (tests, on-premises)

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
