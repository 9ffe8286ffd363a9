"""Alembic environment: migrations run on the connection :func:`gateway.store.db.migrate` passes.

There is no offline (SQL script) mode and no URL here: the caller owns the
engine and the transaction, so a migration runs exactly where and how the
gateway itself connects.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection


def _run() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("run migrations through gateway.store.db.migrate(engine)")
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()


_run()
