from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy.engine import make_url

from gateway.settings import Settings, UnsafeSettingError

PG = "postgresql+psycopg://gateway@db.internal/gateway"


def test_development_defaults_are_the_embedded_set_up(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("GATEWAY_ENVIRONMENT", "GATEWAY_DATABASE_URL", "GATEWAY_OPA_URL"):
        monkeypatch.delenv(var, raising=False)
    s = Settings()
    s.check_production()  # development: nothing to refuse
    assert s.resolved_database_url.startswith("sqlite:///")
    assert s.opa_url is None


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({}, "GATEWAY_DATABASE_URL"),
        ({"database_url": "sqlite:////var/gw.db"}, "GATEWAY_DATABASE_URL"),
        ({"database_url": PG, "pinned_clock": datetime(2026, 3, 2, tzinfo=UTC)}, "PINNED_CLOCK"),
        ({"database_url": PG, "opa_url": "http://opa.internal:8181"}, "HTTPS"),
    ],
)
def test_production_refuses_development_shortcuts(
    changes: dict[str, object], complaint: str
) -> None:
    s = Settings(environment="production", **changes)  # type: ignore[arg-type]
    with pytest.raises(UnsafeSettingError, match=complaint):
        s.check_production()


def test_production_accepts_postgres_and_a_tls_or_loopback_opa() -> None:
    for url in ("https://opa.internal:8181", "http://127.0.0.1:8181", None):
        Settings(environment="production", database_url=PG, opa_url=url).check_production()


def test_settings_come_from_gateway_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_MAX_SUBJECTS", "7")
    monkeypatch.setenv("GATEWAY_OPA_TIMEOUT_SECONDS", "0.5")
    s = Settings()
    assert (s.max_subjects, s.opa_timeout_seconds) == (7, 0.5)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1.attacker.example:8181",  # a name that merely starts like loopback
        "http://opa.internal:8181",
        "ftp://127.0.0.1/",
    ],
)
def test_production_refuses_plain_http_opa_off_loopback(url: str) -> None:
    with pytest.raises(UnsafeSettingError, match="loopback"):
        Settings(environment="production", database_url=PG, opa_url=url).check_production()


def test_production_accepts_every_loopback_spelling() -> None:
    for url in ("http://127.0.0.2:8181", "http://[::1]:8181", "http://localhost:8181"):
        Settings(environment="production", database_url=PG, opa_url=url).check_production()


def test_production_refuses_metrics_without_a_token_file(tmp_path: Path) -> None:
    with pytest.raises(UnsafeSettingError, match="GATEWAY_METRICS_TOKEN_FILE"):
        Settings(environment="production", database_url=PG, metrics_enabled=True).check_production()
    Settings(
        environment="production",
        database_url=PG,
        metrics_enabled=True,
        metrics_token_file=tmp_path / "token",
    ).check_production()


def test_the_database_password_comes_from_its_file_never_the_url(tmp_path: Path) -> None:
    secret = tmp_path / "database-password"
    secret.write_text("p@ss:word/1\n")
    s = Settings(database_url=PG, database_password_file=secret)
    assert make_url(s.resolved_database_url).password == "p@ss:word/1"
    with pytest.raises(UnsafeSettingError, match="PASSWORD_FILE"):
        Settings(
            environment="production", database_url=PG.replace("gateway@", "gateway:pw@")
        ).check_production()


def test_tls_settings_must_be_complete(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="go together"):
        Settings(tls_cert_file=tmp_path / "cert.pem")
    with pytest.raises(ValidationError, match="GATEWAY_TLS_CLIENT_CA_FILE"):
        Settings(
            tls_cert_file=tmp_path / "c.pem",
            tls_key_file=tmp_path / "k.pem",
            tls_client_auth="required",
        )
