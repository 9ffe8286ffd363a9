"""Shared fixtures: real OPA, real databases (SQLite always, PostgreSQL when CI starts it).

Nothing here stands in for OPA or the database: the OPA binary is the one
`make setup` built, and a test that needs PostgreSQL gets a fresh database on
the server that `.ci/run` started (GATEWAY_TEST_POSTGRES_URL).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

pytest.register_assert_rewrite("tests.scenarios", "tests.support")

REPO = Path(__file__).resolve().parent.parent
POLICY_DIR = REPO / "policies"
DEMO_JSONL = REPO / "tests" / "assets" / "taxpayers" / "demo.jsonl"


def opa_binary_path() -> Path:
    path = Path(os.environ.get("GATEWAY_OPA_BINARY", REPO / ".tools" / "bin" / "opa"))
    if not path.is_file():
        pytest.fail(f"OPA binary not found at {path}: run `make setup` first")
    return path


@pytest.fixture(scope="session")
def opa_binary() -> Path:
    return opa_binary_path()


def _postgres_url() -> str | None:
    url = os.environ.get("GATEWAY_TEST_POSTGRES_URL")
    if url is None and os.environ.get("CI"):
        pytest.fail("CI must provide GATEWAY_TEST_POSTGRES_URL (see .ci/run)")
    return url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    base = _postgres_url()
    if base is None:
        pytest.skip("GATEWAY_TEST_POSTGRES_URL is not set (CI sets it)")
    with fresh_postgres_database(base) as url:
        yield url


@contextmanager
def fresh_postgres_database(base: str) -> Iterator[str]:
    """A new, empty database on the server of ``base``, dropped (forcibly) on the way out."""
    name = f"gw_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test using this runs on SQLite and on PostgreSQL: the same code path."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'gateway.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url
