"""Resolution asks the datastore the same things whoever the subject is (GW-11, issue 8).

A denied person on file gets the same answer as a person who is not on file;
if resolving the first ran more statements, the time to answer would tell them
apart. These tests record every statement a resolution sends to the database
(SQLAlchemy's ``before_cursor_execute``) and compare the lists; the timing
itself is measured by ``bench/oracle.py``, never here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from gateway.store.db import session
from gateway.store.taxpayers import SubjectQuery, SubjectResolution, resolve_subject

RIVERA_TIN = "123-45-6789"
RAMAN_TIN = "123-45-4004"  # flagged as a confidential informant
UNUSED_TIN = "123-45-0001"


@contextmanager
def _recording(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool
    ) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _resolve(engine: Engine, query: SubjectQuery) -> tuple[SubjectResolution, list[str]]:
    with session(engine) as db:
        db.connection()  # the transaction's own statements are not the resolution's
        with _recording(engine) as statements:
            resolution = resolve_subject(db, query)
    return resolution, statements


def test_a_tin_on_file_and_a_tin_not_on_file_run_the_same_statements(
    demo_engine: Engine,
) -> None:
    wrong_name, wrong_name_sql = _resolve(
        demo_engine, SubjectQuery(tin=RIVERA_TIN, first="Harold", last="Pemberton")
    )
    flagged, flagged_sql = _resolve(
        demo_engine, SubjectQuery(tin=RAMAN_TIN, first="Priya", last="Raman")
    )
    stranger, stranger_sql = _resolve(
        demo_engine, SubjectQuery(tin=UNUSED_TIN, first="Harold", last="Pemberton")
    )
    malformed, malformed_sql = _resolve(
        demo_engine, SubjectQuery(tin="12345", first="Harold", last="Pemberton")
    )

    # the cases are what they claim to be
    assert wrong_name.taxpayer_id is not None
    assert wrong_name.address_tax_years
    assert flagged.confidential_informant
    assert flagged.address_tax_years
    assert stranger.match.candidates == 0
    assert malformed.match.candidates == 0
    # one statement, which reads the addresses and households for the stranger too
    assert len(stranger_sql) == 1
    assert "FROM address" in stranger_sql[0]
    assert wrong_name_sql == stranger_sql
    assert flagged_sql == stranger_sql
    assert malformed_sql == stranger_sql


def test_one_several_or_no_name_candidates_run_the_same_statements(
    demo_engine: Engine,
) -> None:
    one, one_sql = _resolve(demo_engine, SubjectQuery(first="Samuel", last="Okafor"))
    several, several_sql = _resolve(demo_engine, SubjectQuery(first="Maria", last="Gonzalez"))
    none, none_sql = _resolve(demo_engine, SubjectQuery(first="Harold", last="Pemberton"))

    assert one.match.candidates == 1
    assert one.taxpayer_id is not None
    assert several.match.candidates > 1
    assert several.taxpayer_id is None
    assert none.match.candidates == 0
    assert one_sql == several_sql == none_sql


def test_a_subject_without_a_single_match_learns_nothing_from_the_placeholder_work(
    demo_engine: Engine,
) -> None:
    """The statements run for nobody; their results must not leak into the facts."""
    stranger, _ = _resolve(
        demo_engine, SubjectQuery(tin=UNUSED_TIN, first="Placeholder", last="Placeholder")
    )
    several, _ = _resolve(demo_engine, SubjectQuery(first="Maria", last="Gonzalez"))

    for resolution in (stranger, several):
        assert resolution.taxpayer_id is None
        assert resolution.record_tin is None
        assert resolution.address_tax_years == ()
        assert resolution.last_known_tax_year is None
        assert resolution.household_members == 0
    assert stranger.match.name_score == 0.0
