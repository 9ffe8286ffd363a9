"""The replay memory on SQLite and PostgreSQL: a token's first use is recorded once and
judges every later use; rows from before migration 0006 count as spent."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from gateway.auth.tokens import TokenUse
from gateway.clock import UnsafePinnedClock
from gateway.store.db import alembic_config, make_engine, migrate, write_transaction
from gateway.store.models import SEEN_TOKEN
from gateway.store.token_uses import SqlTokenUses, TokenSweeper

NOW = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
EXPIRES = NOW + timedelta(minutes=5)


@pytest.fixture
def any_engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def uses(any_engine: Engine) -> SqlTokenUses:
    migrate(any_engine)
    return SqlTokenUses(any_engine)


@pytest.mark.parametrize("use", ["read", "write"])
def test_the_first_use_is_recorded_and_every_later_use_sees_it(
    uses: SqlTokenUses, use: TokenUse
) -> None:
    assert uses.first_use("j-1", "DOJ-FBI", EXPIRES, use) is None
    assert uses.first_use("j-1", "DOJ-FBI", EXPIRES, "read") == use
    assert uses.first_use("j-1", "DOJ-FBI", EXPIRES, "write") == use


def test_tokens_do_not_share_their_first_use(uses: SqlTokenUses) -> None:
    assert uses.first_use("j-read", "DOJ-FBI", EXPIRES, "read") is None
    assert uses.first_use("j-write", "DOJ-FBI", EXPIRES, "write") is None
    assert uses.first_use("j-read", "DOJ-FBI", EXPIRES, "write") == "read"


def test_of_concurrent_first_uses_exactly_one_wins(uses: SqlTokenUses) -> None:
    wanted: list[TokenUse] = ["read", "write"] * 4
    with ThreadPoolExecutor(max_workers=8) as pool:
        seen = list(pool.map(lambda u: uses.first_use("j-race", "DOJ-FBI", EXPIRES, u), wanted))
    winners = [i for i, first in enumerate(seen) if first is None]
    assert len(winners) == 1
    winner = wanted[winners[0]]
    assert all(first == winner for first in seen if first is not None)


def test_expired_tokens_are_forgotten_and_live_ones_kept(uses: SqlTokenUses) -> None:
    uses.first_use("j-old", "DOJ-FBI", NOW - timedelta(minutes=10), "write")
    uses.first_use("j-live", "DOJ-FBI", EXPIRES, "read")
    assert uses.forget_expired(NOW) == 1
    assert uses.first_use("j-live", "DOJ-FBI", EXPIRES, "write") == "read"


def test_tokens_recorded_before_migration_0006_count_as_spent(any_engine: Engine) -> None:
    config = alembic_config()
    with write_transaction(any_engine) as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0005")
        # the columns revision 0005 knows; first_use is not named, so not sent
        conn.execute(
            insert(SEEN_TOKEN).values(jti="j-before", agency_or_issuer="x", expires_at=EXPIRES)
        )
    migrate(any_engine)
    with any_engine.connect() as conn:
        first = conn.execute(select(SEEN_TOKEN.c.first_use)).scalar_one()
    assert first == "write"
    assert SqlTokenUses(any_engine).first_use("j-before", "x", EXPIRES, "read") == "write"


def _known(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(SEEN_TOKEN.c.jti)).scalars())


def test_the_sweeper_forgets_expired_tokens_while_it_runs(
    uses: SqlTokenUses, any_engine: Engine
) -> None:
    uses.first_use("j-old", "DOJ-FBI", NOW - timedelta(minutes=10), "write")
    uses.first_use("j-live", "DOJ-FBI", EXPIRES, "read")
    sweeper = TokenSweeper(uses, UnsafePinnedClock(NOW), interval=0.02)
    sweeper.start()
    try:
        deadline = time.monotonic() + 10
        while "j-old" in _known(any_engine) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert sweeper.running
    finally:
        sweeper.stop()
    assert _known(any_engine) == {"j-live"}
    assert not sweeper.running


def test_a_failed_sweep_is_survived_and_the_next_one_runs(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'missing' / 'store.db'}")
    sweeper = TokenSweeper(SqlTokenUses(engine), UnsafePinnedClock(NOW), interval=60)
    assert sweeper.sweep() is None  # no database: logged, not raised
    (tmp_path / "missing").mkdir()
    migrate(engine)
    SqlTokenUses(engine).first_use("j-old", "DOJ-FBI", NOW - timedelta(minutes=10), "write")
    assert sweeper.sweep() == 1
    engine.dispose()
