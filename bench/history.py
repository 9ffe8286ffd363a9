"""Does a lookup get slower as the agency's history of earlier lookups grows? (issue 11)

One in-process gateway (real OPA, SQLite file) on a home seeded with
``--taxpayers`` people. Three figures, each the median of ``--samples`` calls,
first on an empty history, then again after ``--history`` earlier lookups of the
same agency were written straight into the ``lookup`` table (one bulk insert,
all inside the duplicate window, none a duplicate of what is asked next):

* ``duplicate_check_ms``: :meth:`LookupStore.recent_duplicate` alone, for an ask
  that has no duplicate (the case where a scan has to look at everything);
* ``request_id_ms``: :meth:`LookupStore.by_request_id` for an unused request id;
* ``lookup_ms``: a whole ``POST /v1/address-lookups`` through the ASGI app (token
  minted beforehand), each about a different seeded taxpayer so that none is a
  duplicate of another.

With ``--served`` it measures what issue 11's target names instead, over
HTTP on real ``gateway serve`` processes: two homes with the same seeded
taxpayers and keys, one left with an empty history and one given ``--history``
earlier lookups while it serves, both running at once and asked in alternating
batches about the same taxpayers (:func:`interleaved_p50`). Two medians taken
one after the other on a shared two-core machine differ by 10-30 % with no
change at all (other work comes and goes, see bench/README.md "History growth:
cause and fix"); alternating batches give both sides the same load.

Prints one JSON object and, with ``--out``, writes it there too.

    uv run python bench/history.py --history 100000
    uv run python bench/history.py --served --history 100000 --taxpayers 10000
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from sqlalchemy import select
from sqlalchemy.engine import Engine
from suite import load
from suite.server import Home, People, Served, make_home

from gateway.auth.keys import GATEWAY_KEY_NAME, KeyStore
from gateway.auth.registry import Registry
from gateway.settings import Settings
from gateway.store.db import make_engine, migrate
from gateway.store.lookups import LookupStore
from gateway.store.models import ADDRESS, TAXPAYER
from gateway.store.seed import seed_population
from tests import scenarios
from tests.support import Tokens, make_settings, running_gateway, write_lookup_history

AGENCY = "DOJ-FBI"


def _median_ms(call: Callable[[], object], samples: int) -> float:
    for _ in range(min(20, samples)):  # warm-up: caches, prepared plans
        call()
    times = []
    for _ in range(samples):
        t0 = time.perf_counter()
        call()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def seeded_people(engine: Engine, n: int, skip: int) -> list[dict[str, Any]]:
    """TIN, name and newest address of ``n`` seeded (not demo) taxpayers after ``skip``."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                TAXPAYER.c.tin,
                TAXPAYER.c.first_name,
                TAXPAYER.c.last_name,
                ADDRESS.c.line1,
                ADDRESS.c.city,
                ADDRESS.c.state,
                ADDRESS.c.zip,
            )
            .join(ADDRESS, ADDRESS.c.taxpayer_id == TAXPAYER.c.id)
            .where(TAXPAYER.c.id > 8 + skip)
            .group_by(TAXPAYER.c.id)
            .order_by(TAXPAYER.c.id)
            .limit(n)
        ).all()
    if len(rows) < n:
        raise SystemExit(f"seed more taxpayers: need {n + skip}")
    return [
        {
            "tin": tin,
            "name": {"first": first, "middle": None, "last": last},
            "address": {"line1": l1, "line2": None, "city": city, "state": st, "zip": zc},
        }
        for tin, first, last, l1, city, st, zc in rows
    ]


def _write_history(engine: Engine, n: int, now: datetime) -> None:
    """``n`` answered lookups of AGENCY in the last 23 hours, each with its own digests."""
    write_lookup_history(engine, n, now, AGENCY)


def copy_home(home: Home, dest: Path) -> Home:
    """A second home with ``home``'s keys and a consistent copy of its database."""
    dest.mkdir(parents=True)
    shutil.copytree(home.path / "keys", dest / "keys")
    copy = Home(dest, home.taxpayers, 0.0, home.cached, dict(home.extra_env), home.policy_dir)
    with sqlite3.connect(home.db) as src, sqlite3.connect(copy.db) as dst:
        src.backup(dst)  # the backup API copies what the WAL holds too
    return copy


def interleaved_jobs(lookups: int, batch: int) -> int:
    """Lookups :func:`interleaved_p50` takes from each side's pool (untimed ones included)."""
    return math.ceil(lookups / batch) * (batch + 2)


def interleaved_p50(
    sides: Sequence[tuple[str, str, People]], lookups: int, batch: int = 25
) -> dict[str, dict[str, Any]]:
    """Sequential lookups on each ``(name, url, pool)`` gateway in alternating batches.

    Every side answers ``lookups`` timed lookups about the same taxpayers in the
    same order (each pool is over its own copy of one seeded store and hands out
    people in id order, so side and taxpayer mix are equal), a batch of ``batch``
    on one side and then one on the next, the order reversed every round. Load
    from other work on the machine then falls on both sides alike; two medians
    taken one after the other do not have that property. The first two lookups of
    each batch are answered and checked but not timed (the keep-alive connection
    opening).
    """
    timed: dict[str, list[float]] = {name: [] for name, _, _ in sides}
    outcomes: dict[str, dict[str, int]] = {name: {} for name, _, _ in sides}
    for r in range(math.ceil(lookups / batch)):
        for name, url, pool in sides if r % 2 == 0 else list(reversed(sides)):
            answers = load.sequential(url, pool.jobs(batch + 2), warmup=2)
            timed[name] += answers.latencies_ms
            for k, v in answers.outcomes.items():
                outcomes[name][k] = outcomes[name].get(k, 0) + v
    return {
        name: {
            "requests": len(timed[name]),
            "p50_ms": round(statistics.median(timed[name]), 2),
            "outcomes": dict(sorted(outcomes[name].items())),
        }
        for name, _, _ in sides
    }


def served(args: argparse.Namespace) -> dict[str, Any]:
    """Empty history against ``--history`` earlier lookups, two ``gateway serve`` at once."""
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        shutil.copytree(REPO / "policies", tmp / "policies")
        empty = make_home(tmp / "empty", args.taxpayers, cache=False, policy_dir=tmp / "policies")
        full = copy_home(empty, tmp / "history")
        need = 20 + interleaved_jobs(args.lookups, args.batch)
        pools = {"empty": People(empty, need), "history": People(full, need)}
        if pools["empty"].left < need:
            raise SystemExit(f"seed more taxpayers: need {need}")
        gateways = {"empty": Served(empty, args.workers)}
        try:
            gateways["history"] = Served(full, args.workers)
            for name, gw in gateways.items():
                load.sequential(gw.url, pools[name].jobs(20), warmup=0)
            # Written while both serve, as in make bench-full: the WAL, the
            # checkpoint and the servers' page caches see it as they would live.
            engine = make_engine(f"sqlite:///{full.db}")
            t0 = time.perf_counter()
            try:
                _write_history(engine, args.history, datetime.now(UTC))
            finally:
                engine.dispose()
            written_s = time.perf_counter() - t0
            load_before = os.getloadavg()
            sides = [(name, gateways[name].url, pools[name]) for name in ("empty", "history")]
            medians = interleaved_p50(sides, args.lookups, args.batch)
            load_after = os.getloadavg()
        finally:
            for gw in gateways.values():
                gw.stop()
    e, h = medians["empty"]["p50_ms"], medians["history"]["p50_ms"]
    return {
        "mode": "served, interleaved",
        "history": args.history,
        "taxpayers": args.taxpayers,
        "workers": args.workers,
        "history_insert_s": round(written_s, 1),
        "empty": medians["empty"],
        "after_history": medians["history"],
        "growth_pct": round(100 * (h - e) / e, 1),
        "load_average": {"before": load_before, "after": load_after},
    }


def _measure(
    settings: Settings, engine: Engine, people: list[dict[str, Any]], samples: int
) -> dict[str, float]:
    store = LookupStore(engine)
    since = datetime.now(UTC) - timedelta(hours=24)

    def duplicate() -> object:
        return store.recent_duplicate(
            AGENCY, secrets.token_hex(32), secrets.token_hex(32), "NEW", since
        )

    def request_id() -> object:
        return store.by_request_id(AGENCY, f"NEW-{secrets.token_hex(8)}")

    tokens = Tokens(settings)
    headers = [tokens.agency(AGENCY, "FBI_DIRECTOR") for _ in people]
    bodies = []
    for i, person in enumerate(people):
        body = scenarios.fbi_i2()
        body["purpose"]["case_number"] = f"FBI-BENCH-{i}"
        body["subjects"][0].update(person)
        bodies.append(body)
    with running_gateway(settings) as client:
        sent = iter(zip(headers, bodies, strict=True))

        def lookup() -> object:
            h, b = next(sent)
            r = client.post("/v1/address-lookups", json=b, headers=h)
            if r.status_code != 200:
                raise SystemExit(f"unexpected answer: {r.status_code} {r.text}")
            return r

        lookup_ms = _median_ms(lookup, len(people) - 20)
    return {
        "duplicate_check_ms": round(_median_ms(duplicate, samples), 3),
        "request_id_ms": round(_median_ms(request_id, samples), 3),
        "lookup_ms": round(lookup_ms, 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--history", type=int, default=100_000)
    ap.add_argument("--taxpayers", type=int, default=2_000)
    ap.add_argument("--samples", type=int, default=500, help="calls per store figure")
    ap.add_argument("--lookups", type=int, default=200, help="HTTP lookups per figure")
    ap.add_argument("--opa", type=Path, default=REPO / ".tools" / "bin" / "opa")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--served", action="store_true", help="two gateway serve, interleaved")
    ap.add_argument("--workers", type=int, default=2, help="gateway serve --workers (--served)")
    ap.add_argument("--batch", type=int, default=25, help="lookups per batch (--served)")
    args = ap.parse_args()
    if args.served:
        result = served(args)
        print(json.dumps(result, indent=2))
        if args.out:
            args.out.write_text(json.dumps(result, indent=2) + "\n")
        return
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        settings = make_settings(
            home, f"sqlite:///{home / 'gateway.db'}", args.opa, log_level="WARNING"
        )
        home.mkdir()
        keys = KeyStore(settings.keys_dir)
        for issuer in [GATEWAY_KEY_NAME, *Registry.load(settings.policy_dir).agencies]:
            keys.ensure(issuer)
        engine = make_engine(settings.resolved_database_url)
        migrate(engine)
        seed_population(engine, args.taxpayers)
        per_run = args.lookups + 20
        empty = _measure(settings, engine, seeded_people(engine, per_run, 0), args.samples)
        t0 = time.perf_counter()
        _write_history(engine, args.history, datetime.now(UTC))
        written_s = time.perf_counter() - t0
        full = _measure(settings, engine, seeded_people(engine, per_run, per_run), args.samples)
        engine.dispose()
    result = {
        "history": args.history,
        "taxpayers": args.taxpayers,
        "history_insert_s": round(written_s, 1),
        "empty": empty,
        "after_history": full,
        "growth_pct": {
            k: round(100 * (full[k] - empty[k]) / empty[k], 1) for k in empty if empty[k]
        },
    }
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
