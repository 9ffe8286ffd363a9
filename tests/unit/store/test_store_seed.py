"""The synthetic population: deterministic, realistic enough to exercise matching, and refusing."""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from gateway.store import seed as seed_module
from gateway.store.db import make_engine, migrate, session
from gateway.store.demo import DEMO_RECORDS
from gateway.store.errors import StoreNotEmptyError
from gateway.store.models import ADDRESS, TAX_RETURN, TAXPAYER
from gateway.store.seed import seed_population
from gateway.store.taxpayers import SubjectQuery, count_taxpayers, resolve_subject


def _dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            t.name: [tuple(r) for r in conn.execute(select(t).order_by(t.c.id))]
            for t in (TAXPAYER, ADDRESS, TAX_RETURN)
        }


def _fresh(tmp_path: Path, name: str) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / name}")
    migrate(engine)
    return engine


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """20,000 seeded taxpayers, shared by the read-only tests of this module."""
    engine = _fresh(tmp_path_factory.mktemp("seed"), "population.db")
    seed_population(engine, 20_000)
    return engine


def test_same_seed_gives_identical_rows(tmp_path: Path) -> None:
    a, b = _fresh(tmp_path, "a.db"), _fresh(tmp_path, "b.db")
    seed_population(a, 1_500, seed=7)
    seed_population(b, 1_500, seed=7)
    assert _dump(a) == _dump(b)


def test_rows_do_not_depend_on_the_batch_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = _fresh(tmp_path, "a.db"), _fresh(tmp_path, "b.db")
    seed_population(a, 1_500, seed=7)
    monkeypatch.setattr(seed_module, "BATCH_SIZE", 97)
    progress: list[int] = []
    seed_population(b, 1_500, seed=7, on_progress=progress.append)
    assert _dump(a) == _dump(b)
    assert len(progress) > 10
    assert progress[-1] == 1_500


def test_a_different_seed_gives_different_people(tmp_path: Path) -> None:
    a, b = _fresh(tmp_path, "a.db"), _fresh(tmp_path, "b.db")
    seed_population(a, 500, seed=1)
    seed_population(b, 500, seed=2)
    synthetic_a, synthetic_b = _dump(a)["taxpayer"][8:], _dump(b)["taxpayer"][8:]
    assert synthetic_a != synthetic_b
    assert {row[1] for row in synthetic_a}.isdisjoint({row[1] for row in synthetic_b})


def test_the_demo_taxpayers_come_first(population: Engine) -> None:
    with population.connect() as conn:
        rows = conn.execute(
            select(TAXPAYER.c.id, TAXPAYER.c.tin).order_by(TAXPAYER.c.id).limit(len(DEMO_RECORDS))
        ).all()
    assert [tuple(r) for r in rows] == [(i + 1, r.tin) for i, r in enumerate(DEMO_RECORDS)]


def test_seeding_writes_exactly_n_taxpayers(population: Engine) -> None:
    with session(population) as db:
        assert count_taxpayers(db) == 20_000


def test_about_eight_percent_hold_itins_in_the_itin_ranges(population: Engine) -> None:
    with population.connect() as conn:
        itins = conn.execute(select(TAXPAYER.c.tin).where(TAXPAYER.c.tin_type == "ITIN")).scalars()
        tins = list(itins)
    assert 0.07 < len(tins) / 20_000 < 0.09
    synthetic = [t for t in tins if not t.startswith("900-")]
    assert all(re.fullmatch(r"9\d\d-7\d-\d{4}", t) for t in synthetic)


def test_tins_are_unique_and_avoid_the_demo_ranges(population: Engine) -> None:
    with population.connect() as conn:
        rows = conn.execute(select(TAXPAYER.c.id, TAXPAYER.c.tin, TAXPAYER.c.tin_type)).all()
    assert len({r.tin for r in rows}) == len(rows)
    for row in rows:
        if row.id > len(DEMO_RECORDS):
            assert not row.tin.startswith(("123-", "900-", "666-", "000-"))
            assert row.tin.startswith("9") == (row.tin_type == "ITIN")


def test_the_tin_permutations_are_bijections() -> None:
    assert math.gcd(seed_module._SSN_STRIDE, seed_module._SSN_SPACE) == 1
    assert math.gcd(seed_module._ITIN_STRIDE, seed_module._ITIN_SPACE) == 1


def test_households_share_an_address(population: Engine) -> None:
    with population.connect() as conn:
        sizes = conn.execute(
            select(func.count(func.distinct(ADDRESS.c.taxpayer_id))).group_by(
                ADDRESS.c.line1, ADDRESS.c.line2, ADDRESS.c.zip, ADDRESS.c.tax_year
            )
        ).scalars()
        histogram = Counter(sizes)
    assert sum(n for size, n in histogram.items() if size >= 2) > 1_000
    assert max(histogram) >= 4


def test_common_surnames_give_name_only_searches_several_candidates(population: Engine) -> None:
    with session(population) as db:
        result = resolve_subject(db, SubjectQuery(first="Maria", last="Smith"))
    assert result.match.method == "NAME_ONLY"
    assert result.match.candidates > 50
    assert result.taxpayer_id is None


def test_every_taxpayer_has_one_to_three_addresses_and_returns(population: Engine) -> None:
    with population.connect() as conn:
        for table in (ADDRESS, TAX_RETURN):
            per_taxpayer = Counter(
                conn.execute(
                    select(func.count()).select_from(table).group_by(table.c.taxpayer_id)
                ).scalars()
            )
            assert set(per_taxpayer) <= {1, 2, 3}
            assert sum(per_taxpayer.values()) == 20_000
        years = set(conn.execute(select(ADDRESS.c.tax_year).distinct()).scalars())
    assert years == {2021, 2022, 2023, 2024, 2025}


def test_taxpayer_supplied_follows_the_form(population: Engine) -> None:
    with population.connect() as conn:
        pairs = set(
            conn.execute(select(ADDRESS.c.source, ADDRESS.c.taxpayer_supplied).distinct()).all()
        )
    assert {(s, bool(f)) for s, f in pairs} == {
        ("form_1040", True),
        ("form_8822", True),
        ("form_w7", True),
        ("form_w2", False),
        ("form_1099", False),
    }


def test_record_flags_are_rare_but_present(population: Engine) -> None:
    with population.connect() as conn:
        informants = conn.execute(
            select(func.count()).where(TAXPAYER.c.confidential_informant)
        ).scalar_one()
        impaired = conn.execute(
            select(func.count()).where(TAXPAYER.c.tax_investigation_impairment)
        ).scalar_one()
    assert 1 <= informants < 100
    assert 1 <= impaired < 150


def test_a_demo_taxpayer_is_unique_by_name_and_date_of_birth(population: Engine) -> None:
    jordan = DEMO_RECORDS[0]
    with session(population) as db:
        result = resolve_subject(
            db,
            SubjectQuery(
                first="Jordan",
                last="Rivera",
                date_of_birth=jordan.date_of_birth,
                line1="1420 Elm St Apt 3",
                zip="21201",
            ),
        )
    assert result.match.candidates == 1
    assert result.taxpayer_id == 1


def test_seeding_a_store_that_has_taxpayers_is_refused(population: Engine) -> None:
    with pytest.raises(StoreNotEmptyError):
        seed_population(population, 100)
    with session(population) as db:
        assert count_taxpayers(db) == 20_000


def test_fewer_taxpayers_than_the_demo_set_is_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="at least"):
        seed_population(engine, len(DEMO_RECORDS) - 1)


def test_seeding_keeps_the_indexes(tmp_path: Path) -> None:
    engine = _fresh(tmp_path, "indexes.db")
    with engine.connect() as conn:
        before = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_stat%' ORDER BY name"
        ).all()
    seed_population(engine, 100)
    with engine.connect() as conn:
        after = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_stat%' ORDER BY name"
        ).all()
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
    assert after == before


def test_seeding_leaves_planner_statistics(population: Engine) -> None:
    with population.connect() as conn:
        indexed = set(conn.exec_driver_sql("SELECT idx FROM sqlite_stat1").scalars())
    assert {"ix_taxpayer_name_key", "ix_taxpayer_date_of_birth"} <= indexed
