"""JSON Lines import: strict records, line-numbered errors without data, all or nothing."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from gateway.store.db import session
from gateway.store.demo import DEMO_JSON, fixture_lines
from gateway.store.errors import ImportFileError
from gateway.store.importer import MAX_LINE_BYTES, import_jsonl
from gateway.store.models import ADDRESS, TAX_RETURN, TAXPAYER
from gateway.store.records import check_tin
from gateway.store.taxpayers import SubjectQuery, SubjectResolution, resolve_subject
from tests.conftest import DEMO_JSONL

GOOD = DEMO_JSON[0]
SECRETS = ("123-45-6789", "Jordan", "Rivera", "1420 Elm", "Baltimore", "1985-04-12")


def _counts(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (TAXPAYER, ADDRESS, TAX_RETURN)
        )


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "taxpayers.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _changed(**changes: Any) -> str:
    record = copy.deepcopy(GOOD)
    for dotted, value in changes.items():
        target: Any = record
        *parents, leaf = dotted.split("__")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is _DELETE:
            del target[leaf]
        else:
            target[leaf] = value
    return json.dumps(record)


_DELETE = object()
OTHER = json.dumps(DEMO_JSON[1])
THIRD = json.dumps(DEMO_JSON[2])


def test_the_demo_fixture_loads(engine: Engine) -> None:
    assert import_jsonl(engine, DEMO_JSONL) == 12
    assert _counts(engine) == (12, 18, 13)


def test_the_fixture_file_is_what_the_demo_module_builds() -> None:
    assert DEMO_JSONL.read_text(encoding="utf-8").splitlines(keepends=True) == fixture_lines()


def test_blank_lines_are_skipped(engine: Engine, tmp_path: Path) -> None:
    path = _write(tmp_path, ["", OTHER, "   ", THIRD, ""])
    progress: list[int] = []
    assert import_jsonl(engine, path, on_progress=progress.append) == 2
    assert progress == [2]


def test_imports_add_to_an_existing_store(demo_engine: Engine, tmp_path: Path) -> None:
    fresh = _changed(tin="123-45-1111")
    assert import_jsonl(demo_engine, _write(tmp_path, [fresh])) == 1
    with demo_engine.connect() as conn:
        assert conn.execute(select(func.max(TAXPAYER.c.id))).scalar_one() == 13


BAD_LINES = {
    "bad JSON": ('{"tin": "123-45-6789",', "invalid JSON"),
    "not an object": ("[1, 2, 3]", "Input should be an object"),
    "unknown key": (_changed(nickname="JR"), "nickname: unknown key"),
    "unknown nested key": (_changed(name__suffix="Jr"), "name.suffix: unknown key"),
    "malformed TIN": (_changed(tin="123456789"), "tin: String should match pattern"),
    "TIN in Arabic-Indic digits": (
        _changed(tin="\u0661\u0662\u0663-\u0664\u0665-\u0666\u0667\u0668\u0669"),
        "tin: String should match pattern",
    ),
    "SSN in the ITIN range": (_changed(tin="912-70-1234"), "tin is not in the SSN number ranges"),
    "ITIN outside the ITIN range": (
        _changed(tin="912-12-1234", tin_type="ITIN"),
        "tin is not in the ITIN number ranges",
    ),
    "unknown TIN type": (_changed(tin_type="EIN"), "tin_type: Input should be 'SSN' or 'ITIN'"),
    "bad date": (
        _changed(date_of_birth="1985-13-12"),
        "date_of_birth: Input should be a valid date",
    ),
    "future birth": (_changed(date_of_birth="2999-01-01"), "date_of_birth: date of birth is"),
    "missing field": (_changed(date_of_birth=_DELETE), "date_of_birth: Field required"),
    "missing name part": (_changed(name__last=_DELETE), "name.last: Field required"),
    "empty first name": (_changed(name__first="  "), "name.first: String should have at least"),
    "lowercase state": (_changed(addresses__0__state="md"), "addresses[0].state"),
    "unknown state": (_changed(addresses__0__state="XX"), "not a USPS state"),
    "bad ZIP": (_changed(addresses__1__zip="2120"), "addresses[1].zip"),
    "ZIP in fullwidth digits": (
        _changed(addresses__1__zip="\uff12\uff11\uff12\uff10\uff11"),
        "addresses[1].zip",
    ),
    "unknown source": (_changed(addresses__0__source="form_w4"), "addresses[0].source"),
    "tax year as string": (_changed(addresses__0__tax_year="2024"), "addresses[0].tax_year"),
    "tax year too old": (_changed(returns__0__tax_year=1970), "returns[0].tax_year"),
    "future tax year": (_changed(returns__0__tax_year=2999), "tax year is in the future"),
    "float AGI": (_changed(returns__0__agi=52000.5), "returns[0].agi"),
    "flag as string": (
        _changed(flags__confidential_informant="no"),
        "flags.confidential_informant",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_LINES))
def test_a_bad_line_is_reported_with_its_number_and_nothing_is_imported(
    engine: Engine, tmp_path: Path, case: str
) -> None:
    bad, reason = BAD_LINES[case]
    path = _write(tmp_path, [OTHER, "", bad, THIRD])
    with pytest.raises(ImportFileError) as caught:
        import_jsonl(engine, path)
    error = caught.value
    assert error.line == 3
    assert reason in error.reason
    assert str(error).startswith("line 3: ")
    assert _counts(engine) == (0, 0, 0)
    for secret in SECRETS:
        assert secret not in str(error)


def test_a_tin_repeated_in_the_file_is_reported_on_its_second_line(
    engine: Engine, tmp_path: Path
) -> None:
    path = _write(tmp_path, [json.dumps(GOOD), OTHER, _changed(name__first="Jordy")])
    with pytest.raises(ImportFileError, match=r"^line 3: tin duplicates the one on line 1$"):
        import_jsonl(engine, path)
    assert _counts(engine) == (0, 0, 0)


def test_a_tin_already_in_the_store_is_refused(demo_engine: Engine, tmp_path: Path) -> None:
    before = _counts(demo_engine)
    path = _write(tmp_path, [_changed(tin="123-45-1111"), _changed(tin="123-45-6006")])
    with pytest.raises(ImportFileError, match=r"^line 2: tin is already in the store$"):
        import_jsonl(demo_engine, path)
    assert _counts(demo_engine) == before


def test_a_late_bad_line_rolls_back_earlier_batches(engine: Engine, tmp_path: Path) -> None:
    lines = [_changed(tin=f"123-{i // 10_000 + 10:02d}-{i % 10_000 + 1:04d}") for i in range(2_500)]
    lines.append("{")
    with pytest.raises(ImportFileError) as caught:
        import_jsonl(engine, _write(tmp_path, lines))
    assert caught.value.line == 2_501
    assert _counts(engine) == (0, 0, 0)


def test_an_overlong_line_is_refused_without_reading_it_whole(
    engine: Engine, tmp_path: Path
) -> None:
    path = _write(tmp_path, [OTHER, "x" * (MAX_LINE_BYTES + 10)])
    with pytest.raises(ImportFileError, match=r"^line 2: line is longer than"):
        import_jsonl(engine, path)


def test_an_unexpected_key_that_looks_like_data_is_not_echoed(
    engine: Engine, tmp_path: Path
) -> None:
    record = dict(GOOD)
    record["Jordan Rivera 123-45-6789"] = True
    with pytest.raises(ImportFileError) as caught:
        import_jsonl(engine, _write(tmp_path, [json.dumps(record)]))
    assert caught.value.reason == "<key>: unknown key"


def test_invalid_utf8_is_a_bad_line(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(json.dumps(GOOD).replace("Jordan", "J\\u00f6rdan").encode() + b"\n\xff\xfe\n")
    with pytest.raises(ImportFileError) as caught:
        import_jsonl(engine, path)
    assert caught.value.line == 2


@pytest.mark.parametrize(
    ("tin", "tin_type"),
    [
        ("123-45-6789", "SSN"),
        ("899-99-9999", "SSN"),
        ("900-70-0000", "ITIN"),
        ("999-99-9999", "ITIN"),
    ],
)
def test_well_formed_tins_are_accepted(tin: str, tin_type: str) -> None:
    check_tin(tin, tin_type)


@pytest.mark.parametrize(
    ("tin", "tin_type"),
    [
        ("000-12-3456", "SSN"),
        ("666-12-3456", "SSN"),
        ("123-00-4567", "SSN"),
        ("123-45-0000", "SSN"),
        ("900-70-1234", "SSN"),
        ("123-45-6789", "ITIN"),
        ("900-93-1234", "ITIN"),
        ("900-12-1234", "ITIN"),
        ("12-345-6789", "SSN"),
        ("\u0661\u0662\u0663-\u0664\u0665-\u0666\u0667\u0668\u0669", "SSN"),
        ("123-45-6789\n", "SSN"),
    ],
)
def test_malformed_tins_are_refused_without_echoing_them(tin: str, tin_type: str) -> None:
    with pytest.raises(ValueError, match="tin") as caught:
        check_tin(tin, tin_type)
    assert tin not in str(caught.value)


def test_a_name_only_search_finds_a_record_imported_later_under_a_surname_on_file(
    engine: Engine, tmp_path: Path
) -> None:
    """Name-only search reads ``taxpayer_name`` (v0011); an import must bring it up to date."""
    import_jsonl(engine, _write(tmp_path, [json.dumps(GOOD)]))
    before = _name_only(engine, GOOD["name"]["first"], GOOD["name"]["last"])
    namesake = _changed(tin="123-45-0077", name__middle="Q")
    import_jsonl(engine, _write(tmp_path, [namesake]))
    after = _name_only(engine, GOOD["name"]["first"], GOOD["name"]["last"])
    assert (before.match.candidates, after.match.candidates) == (1, 2)
    assert before.taxpayer_id is not None
    assert after.taxpayer_id is None


def _name_only(engine: Engine, first: str, last: str) -> SubjectResolution:
    with session(engine) as db:
        return resolve_subject(db, SubjectQuery(first=first, last=last))
