"""PostgreSQL for the datastore's integration tests: one throw-away schema per test.

Set ``GATEWAY_TEST_POSTGRES_URL`` (any ``postgresql://`` or
``postgresql+psycopg://`` URL whose role may create schemas) to run them;
without it they are skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine, make_url

from gateway.store.db import make_engine, migrate

POSTGRES_URL_VARIABLE = "GATEWAY_TEST_POSTGRES_URL"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose connections land in a fresh, empty schema (dropped afterwards)."""
    base = os.environ.get(POSTGRES_URL_VARIABLE)
    if not base:
        pytest.skip(f"{POSTGRES_URL_VARIABLE} is not set")
    schema = f"store_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    """A migrated, empty store in its own PostgreSQL schema."""
    engine = make_engine(postgres_url)
    migrate(engine)
    yield engine
    engine.dispose()
