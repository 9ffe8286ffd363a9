"""Subject matching and mailing addresses, against the demo fixture (ids 1-12)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from gateway.domain import normalize_tin
from gateway.errors import DatastoreUnavailableError
from gateway.store.db import make_engine, session
from gateway.store.demo import DEMO_JSON
from gateway.store.importer import import_jsonl
from gateway.store.taxpayers import (
    MailingAddress,
    SubjectQuery,
    count_taxpayers,
    last_known_address,
    mailing_address,
    resolve_subject,
)

RIVERA_DOB = date(1985, 4, 12)
ELM_ST: dict[str, Any] = {
    "line1": "1420 Elm St Apt 3",
    "city": "Baltimore",
    "state": "MD",
    "zip": "21201",
}


@pytest.fixture
def db(demo_engine: Engine) -> Iterator[Session]:
    with session(demo_engine) as s:
        yield s


def _add(engine: Engine, tmp_path: Path, *records: dict[str, Any]) -> None:
    path = tmp_path / "extra.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    import_jsonl(engine, path)


def _person(
    tin: str, first: str, last: str, addresses: list[dict[str, Any]], **flags: bool
) -> dict[str, Any]:
    return {
        "tin": tin,
        "tin_type": "SSN",
        "name": {"first": first, "middle": None, "last": last},
        "date_of_birth": "1970-01-01",
        "addresses": addresses,
        "flags": flags,
    }


def _address(line1: str, year: int, source: str, supplied: bool) -> dict[str, Any]:
    return {
        "line1": line1,
        "line2": None,
        "city": "Baltimore",
        "state": "MD",
        "zip": "21201",
        "tax_year": year,
        "source": source,
        "taxpayer_supplied": supplied,
    }


# --- TIN supplied ----------------------------------------------------------------------


def test_tin_and_full_name_match_one_record(db: Session) -> None:
    result = resolve_subject(
        db, SubjectQuery(tin="123-45-6789", first="Jordan", middle="A.", last="Rivera", **ELM_ST)
    )
    m = result.match
    assert (m.candidates, m.name_score, m.tin_match, m.dob_match, m.method) == (
        1,
        1.0,
        True,
        None,
        "TIN_NAME",
    )
    assert result.taxpayer_id == 1
    assert result.record_tin == "123-45-6789"
    assert result.address_tax_years == (2024, 2022)
    assert result.last_known_tax_year == 2024


def test_tin_match_without_the_middle_initial_still_passes(db: Session) -> None:
    result = resolve_subject(db, SubjectQuery(tin="123456789", first="Jordan", last="Rivera"))
    assert result.match.tin_match is True
    assert result.match.name_score >= 0.95


def test_date_of_birth_is_checked_against_the_tin_record(db: Session) -> None:
    same = resolve_subject(
        db, SubjectQuery(tin="123-45-6789", last="Rivera", date_of_birth=RIVERA_DOB)
    )
    other = resolve_subject(
        db, SubjectQuery(tin="123-45-6789", last="Rivera", date_of_birth=date(1985, 4, 13))
    )
    assert same.match.dob_match is True
    assert other.match.dob_match is False


def test_tin_of_someone_else_reports_a_low_name_score(db: Session) -> None:
    result = resolve_subject(db, SubjectQuery(tin="123-45-3003", first="Jordan", last="Rivera"))
    assert result.match.tin_match is True
    assert result.match.name_score < 0.85


def test_unknown_tin_is_a_tin_mismatch_with_no_candidate(db: Session) -> None:
    result = resolve_subject(db, SubjectQuery(tin="123-45-0001", first="Jordan", last="Rivera"))
    m = result.match
    assert (m.candidates, m.name_score, m.tin_match, m.dob_match, m.method) == (
        0,
        0.0,
        False,
        None,
        "TIN_NAME",
    )
    assert result.taxpayer_id is None
    assert result.record_tin is None
    assert result.address_tax_years == ()


def test_malformed_tin_matches_nothing(db: Session) -> None:
    result = resolve_subject(db, SubjectQuery(tin="12345", first="Jordan", last="Rivera"))
    assert result.match.candidates == 0
    assert result.match.tin_match is False


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("123456789", "123-45-6789"),
        (" 123-45-6789 ", "123-45-6789"),
        ("123 45 6789", "123-45-6789"),
        ("", None),
        (None, None),
        ("12-34", "12-34"),
    ],
)
def test_tins_are_normalized_before_lookup(raw: str | None, normalized: str | None) -> None:
    assert normalize_tin(raw) == normalized


# --- no TIN ----------------------------------------------------------------------------


def test_name_only_finds_every_person_with_that_name(db: Session) -> None:
    result = resolve_subject(db, SubjectQuery(first="Jordan", last="Rivera"))
    m = result.match
    assert (m.candidates, m.name_score, m.tin_match, m.dob_match, m.method) == (
        2,
        1.0,
        None,
        None,
        "NAME_ONLY",
    )
    assert result.taxpayer_id is None
    assert result.record_tin is None
    assert result.last_known_tax_year is None


def test_name_date_of_birth_and_address_narrow_to_one(db: Session) -> None:
    result = resolve_subject(
        db,
        SubjectQuery(first="Jordan", middle="A", last="RIVERA", date_of_birth=RIVERA_DOB, **ELM_ST),
    )
    m = result.match
    assert (m.candidates, m.name_score, m.tin_match, m.dob_match, m.method) == (
        1,
        1.0,
        None,
        True,
        "NAME_DOB_ADDRESS",
    )
    assert result.taxpayer_id == 1
    assert result.last_known_tax_year == 2024


def test_date_of_birth_without_an_address_is_still_name_only(db: Session) -> None:
    result = resolve_subject(
        db,
        SubjectQuery(first="Jordan", last="Rivera", date_of_birth=RIVERA_DOB, line1="1420 Elm St"),
    )
    assert result.match.method == "NAME_ONLY"
    assert result.match.candidates == 1


def test_a_different_date_of_birth_finds_no_candidate(db: Session) -> None:
    result = resolve_subject(
        db, SubjectQuery(first="Jordan", last="Rivera", date_of_birth=date(2000, 1, 1), **ELM_ST)
    )
    m = result.match
    assert (m.candidates, m.name_score, m.tin_match, m.dob_match) == (0, 0.0, None, None)


def test_an_unknown_surname_finds_no_candidate(db: Session) -> None:
    result = resolve_subject(db, SubjectQuery(first="Jordan", last="Zyxwv"))
    assert result.match.candidates == 0
    assert result.match.name_score == 0.0
    assert result.match.tin_match is None


def test_no_last_name_finds_no_candidate(db: Session) -> None:
    assert resolve_subject(db, SubjectQuery(first="Jordan")).match.candidates == 0


def test_surname_search_ignores_accents_and_punctuation(db: Session) -> None:
    nunez = resolve_subject(db, SubjectQuery(first="Ana", last="Nunez"))
    obrien = resolve_subject(db, SubjectQuery(first="kevin", last="OBRIEN"))
    assert (nunez.match.candidates, nunez.match.name_score) == (1, 1.0)
    assert (obrien.match.candidates, obrien.match.name_score) == (1, 1.0)


def test_the_best_candidate_sets_the_name_score(db: Session) -> None:
    result = resolve_subject(db, SubjectQuery(first="Elena", last="Gonzalez"))
    assert result.match.candidates == 2
    assert result.match.name_score == 1.0


# --- record flags ----------------------------------------------------------------------


def test_record_flags_are_reported_as_stored(db: Session) -> None:
    informant = resolve_subject(db, SubjectQuery(tin="123-45-4004", first="Priya", last="Raman"))
    impaired = resolve_subject(db, SubjectQuery(tin="123-45-5005", first="Daniel", last="Brooks"))
    plain = resolve_subject(db, SubjectQuery(tin="123-45-6789", first="Jordan", last="Rivera"))
    assert (informant.confidential_informant, informant.tax_investigation_impairment) == (
        True,
        False,
    )
    assert (impaired.confidential_informant, impaired.tax_investigation_impairment) == (False, True)
    assert (plain.confidential_informant, plain.tax_investigation_impairment) == (False, False)


def test_an_ambiguous_match_carries_any_candidates_flag(
    demo_engine: Engine, tmp_path: Path
) -> None:
    _add(
        demo_engine,
        tmp_path,
        _person("123-45-7777", "Prya", "Raman", [_address("1 A St", 2024, "form_1040", True)]),
    )
    with session(demo_engine) as db:
        result = resolve_subject(db, SubjectQuery(first="Priya", last="Raman"))
    assert result.match.candidates == 2
    assert result.confidential_informant is True


# --- addresses -------------------------------------------------------------------------


def test_mailing_address_of_a_given_year(db: Session) -> None:
    assert mailing_address(db, 2, 2023) == MailingAddress(
        line1="77 Ridge Ave",
        line2=None,
        city="Silver Spring",
        state="MD",
        zip="20910",
        tax_year=2023,
    )
    assert mailing_address(db, 2, 2024) is None


def test_last_known_address_is_the_newest_year(db: Session) -> None:
    address = last_known_address(db, 1)
    assert address is not None
    assert (address.line1, address.line2, address.zip, address.tax_year) == (
        "1420 Elm St",
        "Apt 3",
        "21201",
        2024,
    )
    assert resolve_subject(db, SubjectQuery(tin="900-70-2002")).address_tax_years == (2025, 2023)


def test_a_change_of_address_beats_the_return_and_the_w2_in_the_same_year(db: Session) -> None:
    address = last_known_address(db, 8)
    assert address is not None
    assert address.line1 == "19 Mill Race Rd"


def test_a_newer_third_party_address_beats_an_older_supplied_one(
    engine: Engine, tmp_path: Path
) -> None:
    _add(
        engine,
        tmp_path,
        _person(
            "123-45-7001",
            "Ada",
            "Lovelace",
            [
                _address("Old Supplied", 2023, "form_1040", True),
                _address("New W2", 2025, "form_w2", False),
            ],
        ),
    )
    with session(engine) as db:
        address = last_known_address(db, 1)
    assert address is not None
    assert (address.line1, address.tax_year) == ("New W2", 2025)


@pytest.mark.parametrize(
    ("addresses", "expected"),
    [
        ([("Supplied", "form_1040", True), ("Third party", "form_w2", False)], "Supplied"),
        ([("Third party", "form_1099", False), ("Supplied", "form_w7", True)], "Supplied"),
        ([("Change", "form_8822", True), ("Return", "form_1040", True)], "Change"),
        ([("Return", "form_1040", True), ("Change", "form_8822", True)], "Change"),
        ([("First", "form_1040", True), ("Second", "form_1040", True)], "Second"),
        ([("First", "form_w2", False), ("Second", "form_1099", False)], "Second"),
    ],
)
def test_tie_break_within_a_year(
    engine: Engine, tmp_path: Path, addresses: list[tuple[str, str, bool]], expected: str
) -> None:
    rows = [_address(line1, 2024, source, supplied) for line1, source, supplied in addresses]
    _add(engine, tmp_path, _person("123-45-7002", "Ada", "Lovelace", rows))
    with session(engine) as db:
        chosen = mailing_address(db, 1, 2024)
    assert chosen is not None
    assert chosen.line1 == expected


def test_a_taxpayer_without_addresses_has_no_last_known_one(engine: Engine, tmp_path: Path) -> None:
    _add(engine, tmp_path, _person("123-45-7003", "Ada", "Lovelace", []))
    with session(engine) as db:
        result = resolve_subject(db, SubjectQuery(tin="123-45-7003", first="Ada", last="Lovelace"))
        assert result.address_tax_years == ()
        assert result.last_known_tax_year is None
        assert last_known_address(db, 1) is None


def test_count_taxpayers(db: Session) -> None:
    assert count_taxpayers(db) == 12
    assert len(DEMO_JSON) == 8


def test_a_broken_datastore_is_reported_as_unavailable(tmp_path: Path) -> None:
    unmigrated = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with session(unmigrated) as db, pytest.raises(DatastoreUnavailableError):
        resolve_subject(db, SubjectQuery(tin="123-45-6789"))
    with session(unmigrated) as db, pytest.raises(DatastoreUnavailableError):
        count_taxpayers(db)
