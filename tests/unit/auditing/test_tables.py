"""Migration v0005 creates exactly the projection tables the audit queries use."""

from __future__ import annotations

from typing import Any

from gateway.auditing.tables import metadata
from gateway.db import make_engine, migrate
from tests.schema_drift import schema_drift


def _drift(url: str) -> list[Any]:
    engine = make_engine(url)
    try:
        migrate(engine)
        return schema_drift(engine, metadata)
    finally:
        engine.dispose()


def test_migrations_match_the_projection_tables(database_url: str) -> None:
    assert _drift(database_url) == []
