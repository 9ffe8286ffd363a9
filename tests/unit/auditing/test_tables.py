"""Migration v0005 creates exactly the projection tables the audit queries use."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from gateway.auditing.tables import metadata
from gateway.db import make_engine, migrate


def _drift(url: str) -> list[Any]:
    engine = make_engine(url)
    try:
        migrate(engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()
    # Other packages' tables are compared by their own tests.
    return [
        d
        for d in diff
        if not (
            isinstance(d, tuple)
            and d[0] in ("remove_table", "remove_index")
            and (d[1].name if d[0] == "remove_table" else d[1].table.name) not in metadata.tables
        )
    ]


def test_migrations_match_the_projection_tables(database_url: str) -> None:
    assert _drift(database_url) == []
