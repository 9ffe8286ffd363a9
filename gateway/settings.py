"""Every setting of the gateway, read once from ``GATEWAY_*`` environment variables.

This is the only module that reads the environment. Defaults are the embedded
development set-up (SQLite under ``GATEWAY_HOME``, a local OPA child process);
:meth:`Settings.check_production` refuses the shortcuts that only make sense on
a developer's machine, so a production deployment cannot start with them.
"""

from __future__ import annotations

from datetime import datetime
from ipaddress import ip_address
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url


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
    readiness_checkpoint_max_age_seconds: float = Field(default=60.0, gt=0)
    """``/readyz`` is false while leaves wait and the newest checkpoint is older than this."""
    database_pool_size: int = Field(default=5, ge=1, le=200)
    """PostgreSQL: connections each gateway process keeps open."""
    database_max_overflow: int = Field(default=10, ge=0, le=200)
    """PostgreSQL: connections opened beyond the pool under load, closed when returned."""
    database_pool_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    """PostgreSQL: how long a request waits for a free connection before failing closed."""
    database_pool_pre_ping: bool = True
    """PostgreSQL: test a pooled connection before use (a restarted server is survived)."""
    audit_session_minutes: int = Field(default=15, gt=0, le=60)
    """Lifetime of an auditor's browser session on the ``/audit/`` pages, from sign-in."""

    # Key files: each may be mounted on its own (a secret file); unset, it is the
    # development layout under GATEWAY_HOME/keys. Production never creates one.
    token_key_file: Path | None = None
    """The gateway's own Ed25519 key (staff tokens); default ``keys/gateway.key``."""
    agency_keys_dir: Path | None = None
    """Agencies' registered public keys, ``<agency id>.pub``; default ``keys/agencies``."""
    checkpoint_key_file: Path | None = None
    """The log's checkpoint signing key (PKCS#8 PEM); default ``keys/log-checkpoint.key``."""
    pseudonym_key_file: Path | None = None
    """The audit pseudonym (HMAC) key, 32 bytes; default ``keys/audit-pseudonym.key``."""
    sealing_key_file: Path | None = None
    """The audit sealing (AES-256-GCM) key, 32 bytes; default ``keys/audit-sealing.key``."""
    retired_keys_dir: Path | None = None
    """Pseudonym and sealing keys retired by a rotation, kept to read older leaves;
    default ``keys/retired``."""
    database_password_file: Path | None = None
    """A file holding the database password, given to the driver; never in the URL."""
    metrics_enabled: bool = False
    """Serve Prometheus metrics; production requires ``metrics_token_file``."""
    metrics_token_file: Path | None = None
    """A file holding the bearer token a metrics scraper must present."""
    tls_cert_file: Path | None = None
    """`gateway serve` speaks HTTPS with this certificate (chain) PEM file."""
    tls_key_file: Path | None = None
    """The private key of ``tls_cert_file``."""
    tls_client_ca_file: Path | None = None
    """CA certificates agencies' client certificates must chain to (mutual TLS)."""
    tls_client_auth: Literal["off", "optional", "required"] = "off"
    """Mutual TLS: ``required`` refuses a TLS handshake without a client certificate
    from ``tls_client_ca_file``; ``optional`` asks for one. Either way an agency whose
    registry entry names a certificate is refused unless the connection presented it."""
    workers: int | None = Field(default=None, ge=1, le=64)
    """Worker processes of ``gateway serve`` (its ``--workers`` flag wins); default: the
    number of CPU cores. The HTTP limits above apply to each worker."""
    worker_dir: Path | None = None
    """Set by ``gateway serve --workers N`` (N > 1) for its worker processes, never by an
    operator: the folder they share for one run (merged metrics, policy events recorded
    once). Unset, the process is the only one serving."""

    @model_validator(mode="after")
    def _tls_is_complete(self) -> Settings:
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("GATEWAY_TLS_CERT_FILE and GATEWAY_TLS_KEY_FILE go together")
        if self.tls_client_auth != "off" and (
            self.tls_cert_file is None or self.tls_client_ca_file is None
        ):
            raise ValueError(
                "GATEWAY_TLS_CLIENT_AUTH needs GATEWAY_TLS_CERT_FILE, GATEWAY_TLS_KEY_FILE"
                " and GATEWAY_TLS_CLIENT_CA_FILE"
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file under ``home``; with
        ``database_password_file``, the password read from it is set on the URL."""
        if not self.database_url:
            return f"sqlite:///{(self.home / 'gateway.db').resolve()}"
        if self.database_password_file is None:
            return self.database_url
        password = self.database_password_file.read_text("utf-8").rstrip("\r\n")
        url = make_url(self.database_url).set(password=password)
        return url.render_as_string(hide_password=False)

    @property
    def keys_dir(self) -> Path:
        """Where demo agency keys and the gateway's own keys live."""
        return self.home / "keys"

    @property
    def token_key_path(self) -> Path:
        return self.token_key_file or self.keys_dir / "gateway.key"

    @property
    def agency_keys_path(self) -> Path:
        return self.agency_keys_dir or self.keys_dir / "agencies"

    @property
    def checkpoint_key_path(self) -> Path:
        return self.checkpoint_key_file or self.keys_dir / "log-checkpoint.key"

    @property
    def pseudonym_key_path(self) -> Path:
        return self.pseudonym_key_file or self.keys_dir / "audit-pseudonym.key"

    @property
    def sealing_key_path(self) -> Path:
        return self.sealing_key_file or self.keys_dir / "audit-sealing.key"

    @property
    def retired_keys_path(self) -> Path:
        return self.retired_keys_dir or self.keys_dir / "retired"

    def check_production(self) -> None:
        """Refuse development shortcuts when ``environment`` is production.

        Only what the settings themselves say; the key files are checked where
        they are read (``gateway.audit.provisioning.check_production_keys``).
        """
        if self.environment != "production":
            return
        if self.pinned_clock is not None:
            raise UnsafeSettingError("GATEWAY_PINNED_CLOCK is for development and tests only")
        if self.database_url is None or self.database_url.startswith("sqlite"):
            raise UnsafeSettingError("production needs GATEWAY_DATABASE_URL for PostgreSQL")
        if make_url(self.database_url).password is not None:
            raise UnsafeSettingError(
                "production: put the database password in GATEWAY_DATABASE_PASSWORD_FILE,"
                " not in GATEWAY_DATABASE_URL"
            )
        if self.opa_url is not None and not _https_or_loopback(self.opa_url):
            raise UnsafeSettingError("production OPA must be reached over HTTPS or loopback")
        if self.metrics_enabled and self.metrics_token_file is None:
            raise UnsafeSettingError(
                "production metrics need GATEWAY_METRICS_TOKEN_FILE (a bearer token for the"
                " scraper), or GATEWAY_METRICS_ENABLED=false"
            )


def _https_or_loopback(url: str) -> bool:
    """HTTPS anywhere, or plain HTTP to this host's loopback interface only."""
    parsed = urlsplit(url)
    if parsed.scheme == "https":
        return True
    if parsed.scheme != "http" or parsed.hostname is None:
        return False
    if parsed.hostname == "localhost":
        return True
    try:
        return ip_address(parsed.hostname).is_loopback
    except ValueError:
        return False
