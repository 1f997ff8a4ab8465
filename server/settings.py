"""Settings from the environment (and CLI flags layered on top by the CLI)."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from ..tools.client import DEFAULT_BASE_URL


class Settings(BaseSettings):
    """`TELNYX_API_KEY` and `TELNYX_BASE_URL` as Telnyx's own tools name them; the rest TELNYX_IOT_MCP_*."""

    model_config = SettingsConfigDict(env_prefix="TELNYX_IOT_MCP_", extra="ignore", populate_by_name=True)

    api_key: SecretStr | None = Field(default=None, validation_alias=AliasChoices("TELNYX_API_KEY", "api_key"))
    base_url: str = Field(default=DEFAULT_BASE_URL, validation_alias=AliasChoices("TELNYX_BASE_URL", "base_url"))
    timeout: float = Field(default=30.0, gt=0, le=300)
    read_only: bool = False
    sandbox: bool = False
    sandbox_state: str | None = None
