"""PostgreSQL itself refuses a rewrite of the log to the gateway's role (migration 0010).

A login role that is a member of ``gateway_writer`` connects for real; UPDATE,
DELETE and TRUNCATE on each log table fail with SQLSTATE 42501 (permission
denied), which the database checks before any append-only trigger could run, so
this fails if the privileges are missing even though the triggers are there.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError

from gateway.audit.log import DecisionLog
from gateway.db import make_engine, migrate

pytestmark = pytest.mark.postgres

LOG_TABLES = ("log_entry", "log_node", "log_checkpoint")
PERMISSION_DENIED = "42501"


@pytest.fixture
def migrated(postgres_url: str) -> str:
    owner = make_engine(postgres_url)
    migrate(owner)
    owner.dispose()
    return postgres_url


def _login_member_of(postgres_url: str, group: str) -> Iterator[Engine]:
    """A fresh login role in ``group``, connected; dropped afterwards (roles are cluster-wide)."""
    name = f"gw_{group.removeprefix('gateway_')}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE {name} LOGIN IN ROLE {group}"))
    engine = make_engine(make_url(postgres_url).set(username=name).render_as_string(False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f"DROP ROLE {name}"))
        admin.dispose()


@pytest.fixture
def writer(migrated: str) -> Iterator[Engine]:
    yield from _login_member_of(migrated, "gateway_writer")


@pytest.fixture
def auditor(migrated: str) -> Iterator[Engine]:
    yield from _login_member_of(migrated, "gateway_auditor")


def _sqlstate(engine: Engine, statement: str) -> str | None:
    try:
        with engine.begin() as conn:
            conn.execute(text(statement))
    except DBAPIError as exc:
        return getattr(exc.orig, "sqlstate", None)
    return None


def test_the_writer_appends_to_the_log_and_starts_the_gateway(writer: Engine) -> None:
    migrate(writer)  # at head: a no-op the gateway runs at every start
    log = DecisionLog(writer)
    first = log.append("test", b'{"n": 1}', at=datetime.now(UTC))
    second = log.append("test", b'{"n": 2}', at=datetime.now(UTC))
    assert (first, second) == (0, 1)
    log.check_writable()
    # the tables the gateway changes stay changeable
    assert _sqlstate(writer, "UPDATE review_item SET officer = officer WHERE false") is None


@pytest.mark.parametrize("table", LOG_TABLES)
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE {table} SET created_at = created_at",
        "DELETE FROM {table}",
        "TRUNCATE {table}",
    ],
)
def test_the_writer_may_not_rewrite_a_log_table(writer: Engine, table: str, statement: str) -> None:
    if table == "log_node":
        statement = statement.replace("created_at = created_at", "hash = hash")
    assert _sqlstate(writer, statement.format(table=table)) == PERMISSION_DENIED


def test_the_writer_may_not_rewrite_other_append_only_evidence(writer: Engine) -> None:
    for statement in (
        "DELETE FROM court_notice_filing",
        "TRUNCATE court_notice_filing",
        "DELETE FROM review_first_approval",
        "TRUNCATE review_first_approval",
    ):
        assert _sqlstate(writer, statement) == PERMISSION_DENIED


def test_the_auditor_reads_and_writes_nothing(migrated: str, auditor: Engine) -> None:
    owner = make_engine(migrated)
    DecisionLog(owner).append("test", b"{}", at=datetime.now(UTC))
    owner.dispose()
    with auditor.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM log_entry")).scalar_one() == 1
        assert conn.execute(text("SELECT count(*) FROM review_item")).scalar_one() == 0
    insert = "INSERT INTO log_entry VALUES (5, 'x', ''::bytea, ''::bytea, now())"
    assert _sqlstate(auditor, insert) == PERMISSION_DENIED
    assert _sqlstate(auditor, "UPDATE review_item SET officer = officer") == PERMISSION_DENIED
    assert _sqlstate(auditor, "DELETE FROM lookup") == PERMISSION_DENIED


def test_the_roles_migration_reruns_on_another_database_of_the_cluster(
    migrated: str, postgres_url: str
) -> None:
    """Roles exist already (created by this test's first database or an earlier run):
    a second database migrates all the same and grants the same privileges."""
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    other = f"gw_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{other}"'))
    try:
        url = make_url(postgres_url).set(database=other).render_as_string(False)
        engine = make_engine(url)
        migrate(engine)
        with engine.connect() as conn:
            granted = conn.execute(
                text(
                    "SELECT privilege_type FROM information_schema.table_privileges"
                    " WHERE grantee = 'gateway_writer' AND table_name = 'log_entry'"
                )
            ).scalars()
            assert sorted(granted) == ["INSERT", "SELECT"]
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{other}" WITH (FORCE)'))
        admin.dispose()
