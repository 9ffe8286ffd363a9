"""The migration: tables, their agreement with the models, and the log's append-only triggers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import delete, insert, inspect, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError

from gateway.audit import tables as log_tables
from gateway.audit.tables import LOG_ENTRY
from gateway.errors import DatastoreUnavailableError
from gateway.store.db import alembic_config, make_engine, migrate, session
from gateway.store.models import LOOKUP, SEEN_TOKEN, STORE_TABLES, SeenToken, SQLModel
from tests.schema_drift import schema_drift

NOW = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)


def _log(engine: Engine, idx: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(LOG_ENTRY).values(
                idx=idx, kind="decision", body=b"{}", leaf_hash=bytes(32), created_at=NOW
            )
        )


def test_migration_creates_every_table(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert {t.name for t in STORE_TABLES} <= tables


def test_migrations_match_every_table_model(engine: Engine) -> None:
    assert schema_drift(engine) == []


def test_the_log_tables_are_not_the_stores(engine: Engine) -> None:
    assert not {t.name for t in log_tables.LOG_TABLES} & set(SQLModel.metadata.tables)
    assert {t.name for t in log_tables.LOG_TABLES} <= set(inspect(engine).get_table_names())


def test_migrate_is_idempotent(engine: Engine) -> None:
    migrate(engine)
    migrate(engine)
    with engine.connect() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(engine: Engine) -> None:
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() > 0


def test_log_entry_accepts_appends(engine: Engine) -> None:
    _log(engine, 0)
    _log(engine, 1)
    with engine.connect() as conn:
        assert conn.execute(select(LOG_ENTRY.c.idx).order_by(LOG_ENTRY.c.idx)).scalars().all() == [
            0,
            1,
        ]


def test_log_entry_refuses_update(engine: Engine) -> None:
    _log(engine, 0)
    with pytest.raises(DBAPIError, match="log_entry is append-only"), engine.begin() as conn:
        conn.execute(update(LOG_ENTRY).values(kind="tampered"))


def test_log_entry_refuses_delete(engine: Engine) -> None:
    _log(engine, 0)
    with pytest.raises(DBAPIError, match="log_entry is append-only"), engine.begin() as conn:
        conn.execute(delete(LOG_ENTRY))
    with engine.connect() as conn:
        assert conn.execute(select(LOG_ENTRY.c.idx)).scalars().all() == [0]


def test_log_entry_refuses_a_reused_index(engine: Engine) -> None:
    _log(engine, 0)
    with pytest.raises(IntegrityError):
        _log(engine, 0)


def test_seen_token_refuses_a_replayed_jti(engine: Engine) -> None:
    with session(engine) as db:
        db.add(SeenToken(jti="abc", agency_or_issuer="DOJ-FBI", expires_at=NOW))
    with pytest.raises(IntegrityError), session(engine) as db:
        db.add(SeenToken(jti="abc", agency_or_issuer="DOJ-FBI", expires_at=NOW))


def test_a_resubmitted_request_id_is_stored_as_its_own_decision(engine: Engine) -> None:
    """GW-3 decides a resubmission again, so one request_id can own several decisions."""
    row = {
        "request_id": "r-1",
        "agency_id": "DOJ-FBI",
        "payload_sha256": "0" * 64,
        "status": "decided",
        "response_json": "{}",
        "created_at": NOW,
    }
    with engine.begin() as conn:
        conn.execute(insert(LOOKUP).values(decision_id="d-1", **row))
        conn.execute(insert(LOOKUP).values(decision_id="d-2", **row))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(LOOKUP).values(decision_id="d-1", **row))


def test_lookup_is_mutable(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(LOOKUP).values(
                decision_id="d-1",
                request_id="r-1",
                agency_id="DOJ-FBI",
                payload_sha256="0" * 64,
                status="pending_review",
                response_json="{}",
                created_at=NOW,
            )
        )
        conn.execute(update(LOOKUP).values(status="decided"))
        assert conn.execute(select(LOOKUP.c.status)).scalar_one() == "decided"


def test_timestamps_come_back_timezone_aware_in_utc(engine: Engine) -> None:
    eastern = timezone(timedelta(hours=-5))
    with engine.begin() as conn:
        conn.execute(
            insert(SEEN_TOKEN).values(
                jti="j",
                agency_or_issuer="x",
                expires_at=datetime(2026, 3, 2, 15, 0, tzinfo=eastern),
            )
        )
    with engine.connect() as conn:
        stored = conn.execute(select(SEEN_TOKEN.c.expires_at)).scalar_one()
    assert stored == NOW
    assert stored.tzinfo is not None


def test_naive_timestamps_are_refused(engine: Engine) -> None:
    with pytest.raises(StatementError, match="timezone-aware"), engine.begin() as conn:
        conn.execute(
            insert(SEEN_TOKEN).values(
                jti="j", agency_or_issuer="x", expires_at=datetime(2026, 1, 1)
            )
        )


def test_migrating_an_unreachable_database_is_a_datastore_error(tmp_path: Path) -> None:
    unreachable = make_engine(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'store.db'}")
    with pytest.raises(DatastoreUnavailableError):
        migrate(unreachable)


def test_errors_never_show_sql_parameters(engine: Engine) -> None:
    with session(engine) as db:
        db.add(SeenToken(jti="123-45-6789", agency_or_issuer="DOJ-FBI", expires_at=NOW))
    with pytest.raises(IntegrityError) as caught, session(engine) as db:
        db.add(SeenToken(jti="123-45-6789", agency_or_issuer="DOJ-FBI", expires_at=NOW))
    assert "123-45-6789" not in str(caught.value)
