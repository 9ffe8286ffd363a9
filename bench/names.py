"""Subject resolution against a growing population (issue 11: p50 growth 10k → 1M).

For each ``--taxpayers`` figure: seeds a fresh SQLite store, then times
:func:`resolve_subject` for ``--queries`` name-only subjects (first and last name
of random seeded taxpayers, no TIN, no date of birth), each in its own session as
the pipeline does, for the most common surname of the population, and for the
same random people asked by TIN and name (``tin_p50_ms``). Prints the medians in
milliseconds as JSON; ``--out`` writes them too.

    uv run python bench/names.py --taxpayers 10000 1000000
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from gateway.store.db import make_engine, migrate, session
from gateway.store.models import TAXPAYER
from gateway.store.seed import seed_population
from gateway.store.taxpayers import SubjectQuery, resolve_subject


def _median_ms(engine: Engine, queries: list[SubjectQuery]) -> float:
    for query in queries[:10]:  # warm-up
        with session(engine) as db:
            resolve_subject(db, query)
    times = []
    for query in queries:
        with session(engine) as db:
            t0 = time.perf_counter()
            resolve_subject(db, query)
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def _measure(n: int, queries: int, rng: random.Random) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'store.db'}")
        migrate(engine)
        seed_population(engine, n)
        with engine.connect() as conn:
            ids = rng.sample(range(1, n + 1), queries)
            people = conn.execute(
                select(TAXPAYER.c.first_name, TAXPAYER.c.last_name, TAXPAYER.c.tin).where(
                    TAXPAYER.c.id.in_(ids)
                )
            ).all()
            common, size = conn.execute(
                select(TAXPAYER.c.last_name, func.count())
                .group_by(TAXPAYER.c.name_key)
                .order_by(func.count().desc())
                .limit(1)
            ).one()
            common_first = conn.execute(
                select(TAXPAYER.c.first_name).where(TAXPAYER.c.last_name == common).limit(1)
            ).scalar_one()
        typical = [SubjectQuery(first=f, last=last) for f, last, _ in people]
        by_tin = [SubjectQuery(tin=tin, first=f, last=last) for f, last, tin in people]
        common_query = [SubjectQuery(first=common_first, last=common)] * 50
        result = {
            "taxpayers": n,
            "name_only_p50_ms": round(_median_ms(engine, typical), 3),
            "common_surname_candidates": int(size),
            "common_surname_p50_ms": round(_median_ms(engine, common_query), 3),
            "tin_p50_ms": round(_median_ms(engine, by_tin), 3),
        }
        engine.dispose()
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--taxpayers", type=int, nargs="+", default=[10_000, 1_000_000])
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    # the same sample of people on every run: a reproducible benchmark, not a secret
    results = [_measure(n, args.queries, random.Random(2026)) for n in args.taxpayers]  # noqa: S311
    small, large = results[0]["name_only_p50_ms"], results[-1]["name_only_p50_ms"]
    tin_small, tin_large = results[0]["tin_p50_ms"], results[-1]["tin_p50_ms"]
    summary = {
        "runs": results,
        "name_only_growth_pct": round(100 * (large - small) / small, 1),
        "tin_growth_pct": round(100 * (tin_large - tin_small) / tin_small, 1),
    }
    print(json.dumps(summary, indent=2))
    if args.out:
        args.out.write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
