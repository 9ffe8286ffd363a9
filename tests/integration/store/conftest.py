"""PostgreSQL for the datastore's integration tests.

``postgres_url`` (tests/conftest.py) gives each test a fresh database on the
server named by ``GATEWAY_TEST_POSTGRES_URL``; without it these tests are
skipped (and fail in CI, which must provide it).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from gateway.store.db import make_engine, migrate


@pytest.fixture
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    """A migrated, empty store in its own PostgreSQL database."""
    engine = make_engine(postgres_url)
    migrate(engine)
    yield engine
    engine.dispose()
