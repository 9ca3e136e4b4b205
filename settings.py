"""Tavla's one settings object: read once from the environment at start and passed down.

Nothing else in the project reads ``os.environ``. Bot Framework names are kept as Azure sets them.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent
DEFAULT_SQLITE = PROJECT_ROOT / "data" / "tavla.sqlite3"


class Settings(BaseSettings):
    """Configuration of one Tavla process (server, CLI or console chat)."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", populate_by_name=True, frozen=True)

    app_id: str = Field("", validation_alias=AliasChoices("MicrosoftAppId", "app_id"))
    app_password: SecretStr = Field(SecretStr(""), validation_alias=AliasChoices("MicrosoftAppPassword", "app_password"))
    app_type: str = Field("SingleTenant", validation_alias=AliasChoices("MicrosoftAppType", "app_type"))
    app_tenant_id: str = Field("", validation_alias=AliasChoices("MicrosoftAppTenantId", "app_tenant_id"))
    database_url: str = Field("", validation_alias=AliasChoices("DATABASE_URL", "database_url"))
    host: str = Field("127.0.0.1", validation_alias=AliasChoices("HOST", "host"))
    port: int = Field(3978, validation_alias=AliasChoices("PORT", "port"))
    as_of: date | None = Field(None, validation_alias=AliasChoices("TAVLA_AS_OF", "as_of"))
    timezone: str = Field("Europe/Stockholm", validation_alias=AliasChoices("TAVLA_TIMEZONE", "timezone"))
    demo: bool = Field(False, validation_alias=AliasChoices("TAVLA_DEMO", "demo"))
    allowed_tenant_ids: str = Field("", validation_alias=AliasChoices("ALLOWED_TENANT_IDS", "allowed_tenant_ids"))
    log_json: bool = Field(False, validation_alias=AliasChoices("TAVLA_LOG_JSON", "log_json"))
    log_level: str = Field("INFO", validation_alias=AliasChoices("TAVLA_LOG_LEVEL", "log_level"))
    # PostgreSQL connections per process, a pool of that fixed size (storage.db.make_engine)
    db_pool_size: int = Field(10, ge=1, le=500, validation_alias=AliasChoices("TAVLA_DB_POOL_SIZE", "db_pool_size"))
    public_domain: str = Field("", validation_alias=AliasChoices("TAVLA_PUBLIC_DOMAIN", "public_domain"))
    scheduler: bool = Field(True, validation_alias=AliasChoices("TAVLA_SCHEDULER", "scheduler"))
    reminder_days: int = Field(7, validation_alias=AliasChoices("TAVLA_REMINDER_DAYS", "reminder_days"))
    # Extra Bot Framework configuration the SDK reads by name (e.g. the OpenID metadata URL in tests).
    to_bot_from_channel_openid_metadata_url: str = Field(
        "", validation_alias=AliasChoices("TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL", "to_bot_from_channel_openid_metadata_url")
    )
    to_bot_from_channel_token_issuer: str = Field(
        "", validation_alias=AliasChoices("TO_BOT_FROM_CHANNEL_TOKEN_ISSUER", "to_bot_from_channel_token_issuer")
    )

    @field_validator("as_of", mode="before")
    @classmethod
    def _empty_as_none(cls, value: object) -> object:
        return None if value in ("", None) else value

    @property
    def local_mode(self) -> bool:
        """No app id: no authentication, as for the Bot Framework Emulator — loopback only."""
        return not self.app_id

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{DEFAULT_SQLITE}"

    @property
    def tenant_allowlist(self) -> frozenset[str]:
        return frozenset(t.strip() for t in self.allowed_tenant_ids.split(",") if t.strip())

    # Outbound path (bot/adapter.py, bot/outbound.py): the app registration's certificate instead of a secret,
    # per-send timeouts, and the Teams rate limiter (off only for benchmarks against a local connector).
    app_certificate_path: str = Field("", validation_alias=AliasChoices("MicrosoftAppCertificatePath", "app_certificate_path"))
    app_certificate_thumbprint: str = Field("", validation_alias=AliasChoices("MicrosoftAppCertificateThumbprint", "app_certificate_thumbprint"))
    app_certificate_password: SecretStr = Field(SecretStr(""), validation_alias=AliasChoices("MicrosoftAppCertificatePassword", "app_certificate_password"))
    outbound_timeout_s: float = Field(8.0, validation_alias=AliasChoices("TAVLA_OUTBOUND_TIMEOUT_S", "outbound_timeout_s"))
    outbound_budget_s: float = Field(12.0, validation_alias=AliasChoices("TAVLA_OUTBOUND_BUDGET_S", "outbound_budget_s"))
    outbound_rate_limit: bool = Field(True, validation_alias=AliasChoices("TAVLA_OUTBOUND_RATE_LIMIT", "outbound_rate_limit"))


def load_settings(**overrides: object) -> Settings:
    """Read the environment once (tests pass overrides instead of touching the environment)."""
    return Settings(**overrides)
