"""Every setting of the gateway, read once from ``GATEWAY_*`` environment variables.

This is the only module that reads the environment. Defaults are the embedded
development set-up (SQLite under ``GATEWAY_HOME``, a local OPA child process);
:meth:`Settings.check_production` refuses the shortcuts that only make sense on
a developer's machine, so a production deployment cannot start with them.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class UnsafeSettingError(ValueError):
    """A development-only setting was used where production settings are required."""


class Settings(BaseSettings):
    """The gateway's configuration; see the README's settings table."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", frozen=True)

    environment: Literal["development", "production"] = "development"
    home: Path = Path(".gateway")
    database_url: str | None = None
    policy_dir: Path = Path("policies")
    opa_url: str | None = None
    opa_binary: Path = Path(".tools/bin/opa")
    opa_timeout_seconds: float = Field(default=2.0, gt=0, le=30)
    opa_start_timeout_seconds: float = Field(default=20.0, gt=0)
    policy_reload_interval_seconds: float = Field(default=2.0, ge=0)
    """How often ``policies/`` is checked for changes; 0 turns hot reload off."""
    audience: str = "taxpayer-gateway"
    token_max_lifetime_seconds: int = Field(default=600, gt=0, le=600)
    clock_skew_seconds: int = Field(default=30, ge=0, le=120)
    max_body_bytes: int = Field(default=2 * 1024 * 1024, gt=0)
    max_subjects: int = Field(default=2000, gt=0)
    log_format: Literal["console", "json"] = "console"
    log_level: str = "INFO"
    pinned_clock: datetime | None = None
    """Development and tests only: decide as if it were this instant."""
    log_origin: str = "taxpayer-gateway.example/decisions"
    """The decision log's name: first line of every checkpoint and name of its signing key."""
    checkpoint_interval_seconds: float = Field(default=1.0, gt=0, le=1.0)
    """How often a checkpoint is signed while the log has new leaves (at least every second)."""
    http_header_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    """The request line and headers must arrive within this (from connect or the last answer)."""
    http_body_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    """The whole request body must arrive within this after the request head."""
    http_keep_alive_seconds: int = Field(default=5, ge=1, le=300)
    """An idle keep-alive connection is closed after this."""
    http_max_header_bytes: int = Field(default=16 * 1024, ge=1024, le=1024 * 1024)
    """Request line and headers together; a longer head is answered 431."""
    http_max_connections: int = Field(default=1024, ge=1)
    """Open connections; beyond this a new one is answered 503 and closed."""
    http_max_pending_connections: int = Field(default=256, ge=1)
    """Connections that have not sent a complete request head (so cannot have
    authenticated); beyond this a new one is answered 503 and closed."""
    readiness_min_free_bytes: int = Field(default=64 * 1024 * 1024, ge=0)
    """``/readyz`` is false while the SQLite database's file system has less free space:
    a rolled-back probe write cannot see a full disk, the next append would. 0: no check."""
    audit_session_minutes: int = Field(default=15, gt=0, le=60)
    """Lifetime of an auditor's browser session on the ``/audit/`` pages, from sign-in."""

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file under ``home``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'gateway.db').resolve()}"

    @property
    def keys_dir(self) -> Path:
        """Where demo agency keys and the gateway's own keys live."""
        return self.home / "keys"

    def check_production(self) -> None:
        """Refuse development shortcuts when ``environment`` is production."""
        if self.environment != "production":
            return
        if self.pinned_clock is not None:
            raise UnsafeSettingError("GATEWAY_PINNED_CLOCK is for development and tests only")
        if self.database_url is None or self.database_url.startswith("sqlite"):
            raise UnsafeSettingError("production needs GATEWAY_DATABASE_URL for PostgreSQL")
        if self.opa_url is not None and not self.opa_url.startswith(("https://", "http://127.")):
            raise UnsafeSettingError("production OPA must be reached over HTTPS or loopback")
