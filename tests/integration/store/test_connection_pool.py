"""The PostgreSQL pool settings reach the engine: a process never holds more than
size + overflow connections, and a request beyond them waits the timeout, then fails."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.pool import QueuePool

from gateway.db import PoolOptions, make_engine
from tests.support import make_settings, prepare_home, running_gateway

pytestmark = pytest.mark.postgres


def test_a_process_holds_at_most_pool_size_plus_overflow_connections(postgres_url: str) -> None:
    engine = make_engine(postgres_url, PoolOptions(size=2, max_overflow=1, timeout_seconds=0.2))
    try:
        with ExitStack() as held:
            for _ in range(3):
                conn = held.enter_context(engine.connect())
                assert conn.execute(text("SELECT 1")).scalar_one() == 1
            with pytest.raises(PoolTimeoutError):
                engine.connect()
    finally:
        engine.dispose()


def test_the_gateway_builds_its_pool_from_the_settings(
    tmp_path: Path, postgres_url: str, opa_binary: Path
) -> None:
    settings = make_settings(
        tmp_path / "home",
        postgres_url,
        opa_binary,
        database_pool_size=3,
        database_max_overflow=4,
        database_pool_timeout_seconds=7,
    )
    prepare_home(settings)
    with running_gateway(settings) as client:
        pool = client.app.state.services.engine.pool  # type: ignore[attr-defined]
        assert isinstance(pool, QueuePool)
        assert pool.size() == 3
        assert pool._max_overflow == 4
        assert pool.timeout() == 7
        assert pool._pre_ping is True
