"""`gateway serve` and `gateway keys init` in production: one line and exit status 2.

The refusals are those of ``tests/unit/test_production_keys.py``; here they are
seen as an operator sees them, from the installed command.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gateway.audit.provisioning import audit_keys, checkpoint_signer
from gateway.auth.keys import GATEWAY_KEY_NAME, KeyStore
from gateway.settings import Settings
from tests.e2e.served import GATEWAY, gateway_env

PG = "postgresql+psycopg://gateway@db.internal/gateway"


def _refusal(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [GATEWAY, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 2, done.stderr
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, done.stderr
    return lines[0]


def _production(home: Path) -> dict[str, str]:
    env = gateway_env(home)
    env.update(GATEWAY_ENVIRONMENT="production", GATEWAY_DATABASE_URL=PG)
    return env


@pytest.mark.e2e
def test_serve_with_the_keys_a_development_start_made_is_refused(tmp_path: Path) -> None:
    dev = Settings(home=tmp_path / "home")
    KeyStore(dev.keys_dir).ensure(GATEWAY_KEY_NAME)
    checkpoint_signer(dev)
    audit_keys(dev)
    line = _refusal(_production(tmp_path / "home"), "serve", "--port", "1")
    assert line.startswith("gateway: unsafe setting:")
    assert "demo key" in line


@pytest.mark.e2e
def test_serve_without_keys_is_refused_and_creates_none(tmp_path: Path) -> None:
    line = _refusal(_production(tmp_path / "home"), "serve", "--port", "1")
    assert "GATEWAY_TOKEN_KEY_FILE" in line
    assert not (tmp_path / "home" / "keys").exists()


@pytest.mark.e2e
def test_serve_with_a_password_in_the_database_url_is_refused(tmp_path: Path) -> None:
    env = _production(tmp_path / "home")
    env["GATEWAY_DATABASE_URL"] = "postgresql+psycopg://gateway:hunter2@db.internal/gateway"
    line = _refusal(env, "serve", "--port", "1")
    assert "GATEWAY_DATABASE_PASSWORD_FILE" in line
    assert "hunter2" not in line


@pytest.mark.e2e
def test_keys_init_is_refused_in_production(tmp_path: Path) -> None:
    line = _refusal(_production(tmp_path / "home"), "keys", "init")
    assert "demo keys" in line
    assert not (tmp_path / "home" / "keys").exists()
