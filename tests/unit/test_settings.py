from __future__ import annotations

from datetime import UTC, datetime

import pytest

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
