"""Many subjects resolved together: a few statements per chunk, each by index (issue 11 item 3).

A request about thousands of subjects must not send one query per subject;
:func:`resolve_subjects` sends a fixed handful per chunk of :data:`CHUNK`
subjects, whatever they find, and the facts are those one subject at a time
would get. Every statement is then explained by SQLite (``EXPLAIN QUERY
PLAN``): a search that reads the whole taxpayer table would make a chunk's
cost grow with the population.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from gateway.store.db import session
from gateway.store.models import TAXPAYER
from gateway.store.seed import seed_population
from gateway.store.taxpayers import (
    CHUNK,
    SubjectQuery,
    SubjectResolution,
    resolve_subject,
    resolve_subjects,
)


@contextmanager
def _recording(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def record(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool
    ) -> None:
        statements.append((statement, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _subjects(engine: Engine, n: int) -> list[SubjectQuery]:
    """Seeded people asked about in the three ways: TIN, name and birth date, name alone."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                TAXPAYER.c.tin,
                TAXPAYER.c.first_name,
                TAXPAYER.c.last_name,
                TAXPAYER.c.date_of_birth,
            )
            .order_by(TAXPAYER.c.id)
            .limit(n)
        ).all()
    kinds = [
        lambda r: SubjectQuery(tin=r.tin, first=r.first_name, last=r.last_name),
        lambda r: SubjectQuery(first=r.first_name, last=r.last_name, date_of_birth=r.date_of_birth),
        lambda r: SubjectQuery(first=r.first_name, last=r.last_name),
    ]
    asked = [kinds[i % 3](r) for i, r in enumerate(rows)]
    # and people nobody has on file, in each of the three ways
    asked += [
        SubjectQuery(tin="123-45-0001", first="Harold", last="Pemberton"),
        SubjectQuery(first="Harold", last="Pemberton", date_of_birth=date(1961, 4, 2)),
        SubjectQuery(first="Harold", last="Pemberton"),
    ]
    return asked


def _resolve_all(engine: Engine, queries: list[SubjectQuery]) -> list[SubjectResolution]:
    with session(engine) as db:
        return resolve_subjects(db, queries)


def test_a_chunk_sends_one_statement_per_kind_of_search_and_one_for_the_records(
    engine: Engine,
) -> None:
    seed_population(engine, 2_000)
    queries = _subjects(engine, 600)
    with session(engine) as db:
        db.connection()
        with _recording(engine) as statements:
            together = resolve_subjects(db, queries)
    assert 200 <= CHUNK <= 1_000  # "a few hundred" subjects per chunk
    chunks = -(-len(queries) // CHUNK)
    # TIN search (with addresses), name + birth date search, name search, records by id
    assert len(statements) == 4 * chunks
    one_by_one = []
    for query in queries:
        with session(engine) as db:
            one_by_one.append(resolve_subject(db, query))
    assert together == one_by_one
    assert sum(r.taxpayer_id is not None for r in together) > len(queries) // 2


def test_every_statement_of_a_chunk_searches_by_index(engine: Engine) -> None:
    seed_population(engine, 2_000)
    queries = _subjects(engine, 60)
    with session(engine) as db:
        db.connection()
        with _recording(engine) as statements:
            resolve_subjects(db, queries)
    assert statements
    with engine.connect() as conn:
        for statement, params in statements:
            plan = [
                row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
            ]
            # a table read whole; a scan of the statement's own constants is not one
            scans = [s for s in plan if s.startswith("SCAN ") and "CONSTANT ROW" not in s]
            assert not scans, (statement, plan)
