"""Schema drift: the migrations against the table definitions the code queries."""

from __future__ import annotations

import warnings
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SAWarning

from gateway.audit import tables as log_tables
from gateway.store.models import SQLModel


def schema_drift(engine: Engine, *sources: MetaData) -> list[Any]:
    """What the migrations create that the given table definitions disagree with.

    By default the datastore's models and the log's tables. Tables none of the sources
    defines (another package's, compared by that package's own test) are left out; for
    every other table, any difference at all is drift.
    """
    ours = MetaData()
    for source in sources or (SQLModel.metadata, log_tables.metadata):
        for table in source.tables.values():
            table.to_metadata(ours)
    with engine.connect() as conn, warnings.catch_warnings():
        # SQLite cannot reflect an index on an expression (ix_address_household);
        # PostgreSQL can, so the comparison there still covers it.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression", SAWarning)
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression")
        diff = compare_metadata(MigrationContext.configure(conn), ours)

    def elsewhere(d: Any) -> bool:
        if not isinstance(d, tuple):
            return False
        if d[0] == "remove_table":
            return d[1].name not in ours.tables
        if d[0] == "remove_index":
            return d[1].table.name not in ours.tables
        return False

    return [d for d in diff if not elsewhere(d)]
