"""Name-only matching from grouped names, on SQLite and PostgreSQL (issue 11 item 2).

The name-only search reads one row per surname, not one per record
(``taxpayer_name``, v0011); these
tests prove that the facts are still those of the records: how many there are,
the OR of their flags, a single record identified only when there is exactly one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.engine import Engine

from gateway.store.bulk import refresh_taxpayer_names
from gateway.store.db import make_engine, migrate, session
from gateway.store.models import TAXPAYER
from gateway.store.names import name_key
from gateway.store.taxpayers import SubjectQuery, SubjectResolution, resolve_subject

DOB = date(1980, 5, 17)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    migrate(eng)
    people: list[dict[str, Any]] = [
        # two records spelled alike, one of them flagged
        {"first_name": "Ana", "last_name": "Quill", "confidential_informant": True},
        {"first_name": "Ana", "last_name": "Quill"},
        # one spelling, one record
        {"first_name": "Bo", "last_name": "Vance", "tax_investigation_impairment": True},
        # spellings that differ only in case and punctuation
        {"first_name": "Cara", "last_name": "O'Brien"},
        {"first_name": "CARA", "last_name": "OBRIEN"},
        # the same name twice, told apart by the date of birth
        {"first_name": "Dee", "last_name": "Marsh", "date_of_birth": date(1970, 1, 1)},
        {"first_name": "Dee", "last_name": "Marsh", "middle_name": "J"},
    ]
    rows = [
        {
            "tin": f"900-00-{i:04d}",
            "tin_type": "SSN",
            "middle_name": None,
            "date_of_birth": DOB,
            "confidential_informant": False,
            "tax_investigation_impairment": False,
            "name_key": name_key(p["last_name"]),
        }
        | p
        for i, p in enumerate(people, start=1)
    ]
    with eng.begin() as conn:
        conn.execute(insert(TAXPAYER), rows)
        refresh_taxpayer_names(conn, {r["name_key"] for r in rows})  # as seed and import do
    yield eng
    eng.dispose()


def _resolve(engine: Engine, **query: Any) -> SubjectResolution:
    with session(engine) as db:
        return resolve_subject(db, SubjectQuery(**query))


def test_records_sharing_a_spelling_are_all_candidates_and_none_is_identified(
    engine: Engine,
) -> None:
    found = _resolve(engine, first="Ana", last="Quill")
    assert found.match.candidates == 2
    assert found.match.name_score == 1.0
    assert found.taxpayer_id is None
    assert found.record_tin is None
    assert found.confidential_informant  # the OR over both records


def test_a_single_record_is_identified_with_its_own_facts(engine: Engine) -> None:
    found = _resolve(engine, first="Bo", last="Vance")
    assert found.match.candidates == 1
    assert found.record_tin == "900-00-0003"
    assert found.taxpayer_id is not None
    assert found.tax_investigation_impairment
    assert not found.confidential_informant


def test_spellings_alike_but_for_case_and_punctuation_count_each_record(engine: Engine) -> None:
    found = _resolve(engine, first="cara", last="O Brien")
    assert found.match.candidates == 2
    assert found.match.name_score == 1.0
    assert found.taxpayer_id is None


def test_a_date_of_birth_narrows_a_shared_name_to_one_record(engine: Engine) -> None:
    both = _resolve(engine, first="Dee", last="Marsh")
    one = _resolve(engine, first="Dee", middle="J", last="Marsh", date_of_birth=DOB)
    assert both.match.candidates == 2
    assert one.match.candidates == 1
    assert one.record_tin == "900-00-0007"
    assert one.match.name_score == 1.0
