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

Prints one JSON object and, with ``--out``, writes it there too.

    uv run python bench/history.py --history 100000
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from gateway.auth.keys import GATEWAY_KEY_NAME, KeyStore
from gateway.auth.registry import Registry
from gateway.settings import Settings
from gateway.store.db import make_engine, migrate
from gateway.store.lookups import LookupStore
from gateway.store.models import ADDRESS, LOOKUP, TAXPAYER
from gateway.store.seed import seed_population
from tests import scenarios
from tests.support import Tokens, make_settings, running_gateway

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
    rows = [
        {
            "decision_id": f"hist-{i}",
            "request_id": f"HIST-{i}",
            "agency_id": AGENCY,
            "payload_sha256": secrets.token_hex(32),
            "subjects_digest": secrets.token_hex(32),
            "status": ("allowed", "denied", "pending_review")[i % 3],
            "response_json": '{"outcome": "allowed"}',
            "created_at": now - timedelta(seconds=(i * 82_800) // max(n, 1)),
        }
        for i in range(n)
    ]
    with engine.begin() as conn:
        for start in range(0, n, 10_000):
            conn.execute(insert(LOOKUP), rows[start : start + 10_000])


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
    args = ap.parse_args()
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
