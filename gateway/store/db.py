"""The datastore's database plumbing, which lives in :mod:`gateway.db`.

Engines, migration and transactions are shared with the decision log
(``gateway.audit``), which must not import the store; so they live one layer
down, in :mod:`gateway.db`. This module keeps the store's own modules' import
path working; new code imports :mod:`gateway.db`.
"""

from gateway.db import (
    SQLITE_BUSY_TIMEOUT_MS,
    alembic_config,
    datastore_errors,
    make_engine,
    migrate,
    rolled_back_write,
    session,
    write_transaction,
)

__all__ = [
    "SQLITE_BUSY_TIMEOUT_MS",
    "alembic_config",
    "datastore_errors",
    "make_engine",
    "migrate",
    "rolled_back_write",
    "session",
    "write_transaction",
]
