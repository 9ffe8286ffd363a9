"""Bulk writes shared by the seeder and the importer: explicit ids, batched executemany.

Rows are plain tuples in the column order of :data:`TAXPAYER_COLUMNS`,
:data:`ADDRESS_COLUMNS` and :data:`RETURN_COLUMNS`. The SQL is always a
SQLAlchemy Core ``insert()`` compiled for the connection's dialect; how the
rows reach the driver differs:

* SQLite: the compiled statement goes to the driver's ``executemany`` with
  the tuples as they are. SQLAlchemy's per-row parameter processing costs
  more than SQLite's insert itself (measured: ~3 µs of ~7 µs a row), and the
  tuples already hold what SQLite stores (dates as ISO text, see
  :func:`dates_as_text`; bools are ints to sqlite3).
* PostgreSQL: ordinary Core executemany (psycopg batches it as
  "insertmanyvalues"), with ``date`` objects.

Both writers assign primary keys themselves (``max(id) + 1`` onward, read
inside their write transaction) so that an address row can name its
taxpayer without a round trip per row. On PostgreSQL the ``SERIAL``
sequences are then moved past the new ids, so that a later insert that lets
the database choose an id cannot collide.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.engine import Connection

from gateway.store.models import ADDRESS, TAX_RETURN, TAXPAYER, TAXPAYER_NAME
from gateway.store.names import first_name_entries

TAXPAYER_COLUMNS = (
    "id",
    "tin",
    "tin_type",
    "first_name",
    "middle_name",
    "last_name",
    "name_key",
    "date_of_birth",
    "confidential_informant",
    "tax_investigation_impairment",
)
ADDRESS_COLUMNS = (
    "id",
    "taxpayer_id",
    "line1",
    "line2",
    "city",
    "state",
    "zip",
    "tax_year",
    "source",
    "taxpayer_supplied",
)
RETURN_COLUMNS = (
    "id",
    "taxpayer_id",
    "tax_year",
    "filing_status",
    "agi",
    "employer",
    "bank_account",
)

TAXPAYER_NAME_COLUMNS = (
    "name_key",
    "records",
    "confidential_informant",
    "tax_investigation_impairment",
    "taxpayer_id",
    "first_names",
)

Row = tuple[Any, ...]
_ID_TABLES = (TAXPAYER, ADDRESS, TAX_RETURN)


@dataclass
class NextIds:
    """The next free primary key of each taxpayer table."""

    taxpayer: int
    address: int
    tax_return: int


def dates_as_text(conn: Connection) -> bool:
    """Whether rows for this connection carry dates as ISO text (SQLite) or ``date`` objects."""
    return conn.dialect.name == "sqlite"


def lock_taxpayer_tables(conn: Connection) -> None:
    """Keep other writers of the taxpayer tables out until this transaction ends.

    SQLite needs nothing: :func:`gateway.store.db.write_transaction` already
    holds the database's write lock. PostgreSQL readers are not blocked.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE taxpayer, address, tax_return IN SHARE ROW EXCLUSIVE MODE")


def next_ids(conn: Connection) -> NextIds:
    """Read the next free ids; call inside the write transaction that will use them."""
    values = [
        int(conn.execute(select(func.coalesce(func.max(t.c.id), 0))).scalar_one()) + 1
        for t in _ID_TABLES
    ]
    return NextIds(*values)


def _insert(conn: Connection, table: Table, columns: tuple[str, ...], rows: Sequence[Row]) -> None:
    if not rows:
        return
    statement = insert(table)
    if conn.dialect.name == "sqlite":
        compiled = statement.compile(dialect=conn.dialect, column_keys=list(columns))
        if tuple(compiled.positiontup or ()) != columns:
            raise RuntimeError(f"unexpected parameter order for {table.name}")
        conn.exec_driver_sql(str(compiled), list(rows))
    else:
        conn.execute(statement, [dict(zip(columns, row, strict=True)) for row in rows])


def insert_rows(
    conn: Connection,
    taxpayers: Sequence[Row],
    addresses: Sequence[Row],
    returns: Sequence[Row],
) -> None:
    """One executemany per table, parents first (foreign keys are enforced)."""
    _insert(conn, TAXPAYER, TAXPAYER_COLUMNS, taxpayers)
    _insert(conn, ADDRESS, ADDRESS_COLUMNS, addresses)
    _insert(conn, TAX_RETURN, RETURN_COLUMNS, returns)


@contextmanager
def indexes_rebuilt_after(conn: Connection) -> Iterator[None]:
    """Drop the secondary indexes of the taxpayer tables, and build them again on the way out.

    For loading an empty store: building an index over a million rows at once
    is several times cheaper than a million random index insertions. The
    indexes are the ones the models declare (which the migration creates; a
    test compares them). Uniqueness constraints stay in force throughout.
    Use inside a transaction: on failure the rollback restores the indexes.
    """
    indexes = [index for table in _ID_TABLES for index in sorted(table.indexes, key=_index_name)]
    for index in indexes:
        index.drop(conn)
    yield
    for index in indexes:
        index.create(conn)


def _index_name(index: Any) -> str:
    return str(index.name)


def advance_sequences(conn: Connection) -> None:
    """Move PostgreSQL's id sequences past the explicitly assigned ids (no-op elsewhere)."""
    if conn.dialect.name != "postgresql":
        return
    for table in _ID_TABLES:
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608 - fixed table names
            f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"
        )


def refresh_statistics(conn: Connection) -> None:
    """Update the query planner's statistics after a bulk load.

    Without them SQLite answers a name + date-of-birth search through the
    name index and walks every holder of a common surname (10 ms on a million
    taxpayers) instead of the few people born that day (under 1 ms).
    ``analysis_limit`` keeps SQLite's ANALYZE to milliseconds (sampled).
    """
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA analysis_limit = 1000")
        conn.exec_driver_sql("ANALYZE")
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE taxpayer, address, tax_return")


_KEYS_PER_STATEMENT = 500


def refresh_taxpayer_names(conn: Connection, name_keys: Collection[str] | None = None) -> None:
    """Derive ``taxpayer_name`` again from ``taxpayer``, for ``name_keys`` or for every surname.

    Call in the transaction that wrote the taxpayers (seed, import), after the
    last of them: a name-only search reads only ``taxpayer_name``, so a record
    missing there would be a candidate nobody finds. Rewriting whole surnames
    (delete, then insert what the records say now) keeps it exact without any
    incremental bookkeeping; the normalisation is :func:`normalize_part`, the
    one the search applies to the supplied name.
    """
    columns = (
        TAXPAYER.c.name_key,
        TAXPAYER.c.first_name,
        TAXPAYER.c.middle_name,
        TAXPAYER.c.confidential_informant,
        TAXPAYER.c.tax_investigation_impairment,
        TAXPAYER.c.id,
    )
    if name_keys is None:
        conn.execute(delete(TAXPAYER_NAME))
        _insert_names(conn, conn.execute(select(*columns)))
        return
    keys = sorted(set(name_keys))
    for start in range(0, len(keys), _KEYS_PER_STATEMENT):
        part = keys[start : start + _KEYS_PER_STATEMENT]
        conn.execute(delete(TAXPAYER_NAME).where(TAXPAYER_NAME.c.name_key.in_(part)))
        _insert_names(conn, conn.execute(select(*columns).where(TAXPAYER.c.name_key.in_(part))))


def _insert_names(conn: Connection, records: Any) -> None:
    # name_key -> [records, informant, impairment, smallest id, [(first, middle), ...]]
    surnames: dict[str, list[Any]] = {}
    for key, first, middle, informant, impairment, taxpayer_id in records:
        entry = surnames.get(key)
        if entry is None:
            surnames[key] = [1, bool(informant), bool(impairment), taxpayer_id, [(first, middle)]]
            continue
        entry[0] += 1
        entry[1] = entry[1] or bool(informant)
        entry[2] = entry[2] or bool(impairment)
        entry[3] = min(entry[3], taxpayer_id)
        entry[4].append((first, middle))
    rows = [
        (key, n, informant, impairment, taxpayer_id, first_name_entries(names))
        for key, (n, informant, impairment, taxpayer_id, names) in surnames.items()
    ]
    for start in range(0, len(rows), 50_000):
        _insert(conn, TAXPAYER_NAME, TAXPAYER_NAME_COLUMNS, rows[start : start + 50_000])
