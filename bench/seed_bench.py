"""Seed N synthetic taxpayers into a throw-away SQLite database and print the rate.

    uv run python bench/seed_bench.py 100000
    uv run python bench/seed_bench.py 1000000 --keep /tmp/million.db

The target is at least 30,000 taxpayers/s on SQLite on a 2-core machine
(gateway/store/seed.py). Seeding is single-threaded, so other work on the
machine slows the wall-clock rate; the per-CPU-second rate shows the cost of
the seeder alone. The database lives in a temporary directory unless
``--keep`` names a file to leave behind (for timing queries against it).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from gateway.store.db import make_engine, migrate, session
from gateway.store.seed import seed_population
from gateway.store.taxpayers import SubjectQuery, count_taxpayers, resolve_subject


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("taxpayers", type=int, nargs="?", default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", type=Path, help="write the database here and keep it")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        path = args.keep or Path(scratch) / "bench.db"
        if path.exists():
            parser.error(f"{path} exists; give a new file")
        engine = make_engine(f"sqlite:///{path}")
        migrate(engine)
        cpu_started = time.process_time()
        summary = seed_population(engine, args.taxpayers, seed=args.seed)
        cpu = time.process_time() - cpu_started
        print(
            f"seeded {summary.taxpayers:,} taxpayers ({summary.addresses:,} addresses, "
            f"{summary.returns:,} returns) in {summary.seconds:.2f} s: "
            f"{summary.taxpayers / summary.seconds:,.0f} taxpayers/s "
            f"({summary.taxpayers / cpu:,.0f} per CPU second of this process)"
        )
        print(f"database {os.path.getsize(path) / 2**20:,.0f} MiB, cpus {os.cpu_count()}")
        with session(engine) as db:
            started = time.perf_counter()
            result = resolve_subject(db, SubjectQuery(first="Maria", last="Smith"))
            elapsed = (time.perf_counter() - started) * 1000
            print(
                f"name-only search for a common surname: {result.match.candidates:,} candidates "
                f"in {elapsed:.1f} ms; store holds {count_taxpayers(db):,}"
            )
        engine.dispose()


if __name__ == "__main__":
    main()
