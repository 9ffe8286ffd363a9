"""The same datastore on PostgreSQL: schema, append-only log, seed, import and matching."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, insert, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from gateway.audit.tables import LOG_ENTRY
from gateway.store.db import migrate, session
from gateway.store.errors import ImportFileError
from gateway.store.importer import import_jsonl
from gateway.store.models import SEEN_TOKEN, STORE_TABLES, TAXPAYER
from gateway.store.seed import seed_population
from gateway.store.taxpayers import SubjectQuery, last_known_address, resolve_subject
from tests.conftest import DEMO_JSONL

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)


def _append(engine: Engine, idx: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(LOG_ENTRY).values(
                idx=idx, kind="decision", body=b"{}", leaf_hash=bytes(32), created_at=NOW
            )
        )


def test_migration_creates_every_table_and_is_idempotent(postgres_engine: Engine) -> None:
    migrate(postgres_engine)
    assert {t.name for t in STORE_TABLES} <= set(inspect(postgres_engine).get_table_names())


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE log_entry SET kind = 'tampered'",
        "DELETE FROM log_entry",
        "TRUNCATE log_entry",
        "UPDATE log_entry SET kind = 'x' WHERE idx = -1",
    ],
)
def test_log_entry_refuses_every_rewrite(postgres_engine: Engine, statement: str) -> None:
    _append(postgres_engine, 0)
    with (
        pytest.raises(DBAPIError, match="log_entry is append-only"),
        postgres_engine.begin() as conn,
    ):
        conn.execute(text(statement))
    with postgres_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(LOG_ENTRY)).scalar_one() == 1


def test_seen_token_refuses_a_replayed_jti(postgres_engine: Engine) -> None:
    row = {"jti": "abc", "agency_or_issuer": "DOJ-FBI", "expires_at": NOW}
    with postgres_engine.begin() as conn:
        conn.execute(insert(SEEN_TOKEN).values(**row))
    with pytest.raises(IntegrityError), postgres_engine.begin() as conn:
        conn.execute(insert(SEEN_TOKEN).values(**row))


def test_seed_then_match_then_insert_without_an_id(postgres_engine: Engine) -> None:
    summary = seed_population(postgres_engine, 3_000)
    assert summary.taxpayers == 3_000
    with session(postgres_engine) as db:
        result = resolve_subject(
            db,
            SubjectQuery(
                first="Jordan",
                last="Rivera",
                date_of_birth=date(1985, 4, 12),
                line1="1420 Elm St Apt 3",
                zip="21201",
            ),
        )
        assert (result.match.candidates, result.taxpayer_id) == (1, 1)
        address = last_known_address(db, 1)
        assert address is not None
        assert address.line1 == "1420 Elm St"
    # The sequences were moved past the seeded ids: the database may pick the next one.
    with postgres_engine.begin() as conn:
        new_id = conn.execute(
            insert(TAXPAYER)
            .values(
                tin="123-45-0042",
                tin_type="SSN",
                first_name="New",
                last_name="Person",
                name_key="person",
                date_of_birth=date(1990, 1, 1),
                confidential_informant=False,
                tax_investigation_impairment=False,
            )
            .returning(TAXPAYER.c.id)
        ).scalar_one()
    assert new_id == 3_001


def test_import_is_all_or_nothing(postgres_engine: Engine, tmp_path: Path) -> None:
    assert import_jsonl(postgres_engine, DEMO_JSONL) == 12
    bad = tmp_path / "bad.jsonl"
    lines = DEMO_JSONL.read_text(encoding="utf-8").splitlines()
    bad.write_text(lines[0].replace("123-45-6789", "123-45-0007") + "\n{oops\n", encoding="utf-8")
    with pytest.raises(ImportFileError) as caught:
        import_jsonl(postgres_engine, bad)
    assert caught.value.line == 2
    with postgres_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(TAXPAYER)).scalar_one() == 12
