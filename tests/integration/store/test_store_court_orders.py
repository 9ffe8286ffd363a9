"""The court-order registry's table on SQLite and PostgreSQL: versions only ever added."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from gateway.store.court_orders import (
    StoredCourtOrder,
    by_id,
    insert_order,
    latest_version,
    list_orders,
    version_at,
)
from gateway.store.db import make_engine, migrate, write_transaction
from gateway.store.models import COURT_ORDER_RECORD
from tests.schema_drift import schema_drift

T0 = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
KEY = "usdistrictcourtforthedistrictofmaryland|126mj00077"

V1 = StoredCourtOrder(
    id="order-1",
    match_key=KEY,
    version=1,
    supersedes=None,
    order_type="ex_parte_6103_i_1",
    court="U.S. District Court for the District of Maryland",
    court_type="us_district_court",
    judge="Hon. Elena M. Castellanos",
    judge_type="magistrate_judge",
    docket_number="1:26-mj-00077",
    applicant_authorizer_role="us_attorney",
    covered_tins=("900-70-2002",),
    covered_taxable_periods=(2023, 2024),
    covered_data=("last_known_address",),
    named_recipients=("Special Agent Dana Whitfield",),
    warrant_type=None,
    warrant_offense_class=None,
    issued_at=T0 - timedelta(days=50),
    expires_at=T0 + timedelta(days=120),
    verification_source="PACER ECF No. 4",
    verification_note=None,
    recorded_by="liaison-1",
    recorded_by_role="court_liaison",
    recorded_at=T0,
    log_index=7,
)
V2 = replace(
    V1,
    id="order-2",
    version=2,
    supersedes="order-1",
    expires_at=T0 + timedelta(hours=1),
    recorded_at=T0 + timedelta(days=1),
    log_index=9,
)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    migrate(eng)
    yield eng
    eng.dispose()


def _insert(engine: Engine, *orders: StoredCourtOrder) -> None:
    with write_transaction(engine) as conn:
        for order in orders:
            insert_order(conn, order)


def test_the_table_is_the_model(engine: Engine) -> None:
    assert schema_drift(engine) == []


def test_a_version_reads_back_as_it_was_written(engine: Engine) -> None:
    _insert(engine, V1)
    with engine.connect() as conn:
        assert by_id(conn, "order-1") == V1
        assert by_id(conn, "nope") is None


def test_the_version_in_force_is_the_newest_recorded_by_then(engine: Engine) -> None:
    _insert(engine, V1, V2)
    with engine.connect() as conn:
        assert version_at(conn, KEY, T0 - timedelta(seconds=1)) is None
        assert version_at(conn, KEY, T0) == V1
        assert version_at(conn, KEY, T0 + timedelta(hours=23)) == V1
        assert version_at(conn, KEY, T0 + timedelta(days=1)) == V2
        assert version_at(conn, "another|key", T0 + timedelta(days=2)) is None
        assert latest_version(conn, KEY) == V2
        assert list_orders(conn, current_only=True, limit=10) == [(V2, None)]
        assert list_orders(conn, current_only=False, limit=10) == [(V2, None), (V1, "order-2")]


@pytest.mark.parametrize(
    "rival",
    [
        pytest.param(replace(V2, id="order-3", supersedes=None), id="same_version_number"),
        pytest.param(replace(V2, id="order-3", version=3), id="second_correction_of_one_row"),
    ],
)
def test_two_writers_cannot_both_correct_one_order(engine: Engine, rival: StoredCourtOrder) -> None:
    _insert(engine, V1, V2)
    with pytest.raises(IntegrityError):
        _insert(engine, rival)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE court_order_record SET expires_at = NULL",
        "UPDATE court_order_record SET judge = 'x' WHERE id = 'none'",
        "DELETE FROM court_order_record",
    ],
)
def test_recorded_versions_refuse_every_rewrite(engine: Engine, statement: str) -> None:
    _insert(engine, V1)
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite" and "WHERE id = 'none'" in statement:
            pytest.skip("SQLite row triggers fire only for rows that match")
    with (
        pytest.raises(DBAPIError, match="court_order_record is append-only"),
        engine.begin() as conn,
    ):
        conn.execute(text(statement))
    with engine.connect() as conn:
        assert by_id(conn, "order-1") == V1


def test_postgresql_refuses_truncate(engine: Engine) -> None:
    _insert(engine, V1)
    if engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's")
    with (
        pytest.raises(DBAPIError, match="court_order_record is append-only"),
        engine.begin() as conn,
    ):
        conn.execute(text("TRUNCATE court_order_record"))
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(COURT_ORDER_RECORD)).scalar_one()
    assert count == 1
