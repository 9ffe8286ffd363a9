"""Existence oracle by timing: is a denied person on file slower to answer than a stranger?

GW-11 makes the two answers byte-identical (apart from ids and the time), so
the only way left to tell them apart is how long the gateway takes. This
starts `gateway serve` (real OPA, SQLite, a fresh home seeded with N
taxpayers) and sends, over HTTP and interleaved in a shuffled order, R lookups
of each kind:

* ``on_file``: the TIN of a seeded taxpayer with another seeded person's name
  (name score below the floor): denied by 6103-I2-10, a datastore fact;
* ``not_on_file``: a well-formed TIN that no seeded taxpayer has, with the same
  kind of name and address: denied by 6103-I2-10 too.

Each request asks about a different TIN (the same person twice would be a
duplicate, GW-3b) and has its own token, minted beforehand so that signing is
not timed. Every answer is checked: 200, denied, and the same body for both
kinds once ``decision_id``, ``log_index`` and ``decided_at`` are left out.
Printed per run: the median of each kind in milliseconds, their difference and
the Mann–Whitney U statistic's z (normal approximation with tie correction,
:func:`mann_whitney_z`). Target (issue 8): |z| < 2 and medians within 0.3 ms.

    uv run python bench/oracle.py --taxpayers 10000 --requests 300 --runs 3
"""

from __future__ import annotations

import argparse
import math
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from gateway.auth.keys import KeyStore
from gateway.auth.tokens import mint_token
from gateway.pdp.process import free_loopback_port
from gateway.store.names import name_score
from tests import scenarios

ON_FILE = "on_file"
NOT_ON_FILE = "not_on_file"
WARM_UP = 20
VOLATILE = ("decision_id", "log_index", "decided_at")
"""What may differ between two denials: everything else must be byte-identical."""


def mann_whitney_z(a: Sequence[float], b: Sequence[float]) -> float:
    """z of the Mann–Whitney U statistic of ``a`` against ``b`` (negative: ``a`` ranks lower).

    Ranks the pooled samples (ties get their average rank), takes
    U = R_a - n_a(n_a + 1)/2, and standardises it with the mean n_a n_b / 2 and the
    tie-corrected variance n_a n_b / 12 * ((n + 1) - sum(t^3 - t) / (n (n - 1))).
    No continuity correction, so that the sign and size read directly.
    """
    n_a, n_b = len(a), len(b)
    n = n_a + n_b
    pooled = sorted([(x, 0) for x in a] + [(x, 1) for x in b])
    rank_sum_a = 0.0
    tie_term = 0.0
    i = 0
    while i < n:
        j = i
        while j + 1 < n and pooled[j + 1][0] == pooled[i][0]:
            j += 1
        average_rank = (i + j) / 2 + 1  # ranks are 1-based
        group = j - i + 1
        tie_term += group**3 - group
        rank_sum_a += average_rank * sum(1 for _, which in pooled[i : j + 1] if which == 0)
        i = j + 1
    u_a = rank_sum_a - n_a * (n_a + 1) / 2
    variance = n_a * n_b / 12 * ((n + 1) - tie_term / (n * (n - 1)))
    return (u_a - n_a * n_b / 2) / math.sqrt(variance)


@dataclass(frozen=True)
class Person:
    tin: str
    first: str
    last: str
    address: dict[str, Any]


def _people(db: Path) -> list[Person]:
    """Every seeded taxpayer but the named demo ones, with their last known address."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            """SELECT t.tin, t.first_name, t.last_name, a.line1, a.line2, a.city, a.state, a.zip
               FROM taxpayer t JOIN address a ON a.taxpayer_id = t.id
               WHERE t.id > 8 AND a.tax_year = (SELECT max(tax_year) FROM address
                                                WHERE taxpayer_id = t.id)
               GROUP BY t.id ORDER BY t.id"""
        ).fetchall()
        return [
            Person(
                tin,
                first,
                last,
                {"line1": l1, "line2": l2, "city": city, "state": st, "zip": zc},
            )
            for tin, first, last, l1, l2, city, st, zc in rows
        ]


def _all_tins(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {tin for (tin,) in conn.execute("SELECT tin FROM taxpayer")}


def _unused_tins(taken: set[str], n: int, rng: random.Random) -> list[str]:
    """Well-formed SSN-shaped TINs that no taxpayer on file has."""
    found: list[str] = []
    while len(found) < n:
        tin = f"{rng.randint(1, 665):03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"
        if tin not in taken and tin not in found:
            found.append(tin)
    return found


def _bodies(db: Path, n: int, rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    """n bodies of each kind; the supplied names and addresses are drawn from the same
    seeded people for both kinds, so that only the TIN differs."""
    people = _people(db)
    if len(people) < 3 * n:
        raise SystemExit(f"seed more taxpayers: need {3 * n}, found {len(people)}")
    rng.shuffle(people)
    owners, described = people[:n], people[n:]
    strangers = _unused_tins(_all_tins(db), n, rng)
    bodies: dict[str, list[dict[str, Any]]] = {ON_FILE: [], NOT_ON_FILE: []}
    for k in range(2 * n):
        kind = ON_FILE if k % 2 == 0 else NOT_ON_FILE
        owner = owners[k // 2]
        # another seeded person, far from the TIN owner's name (6103-I2-10 for both kinds)
        someone = next(
            p
            for p in described[k:] + described[:k]
            if name_score(p.first, None, p.last, owner.first, None, owner.last) < 0.5
        )
        body = scenarios.fbi_i2()
        body["purpose"]["case_number"] = f"FBI-ORACLE-{k}"
        body["subjects"][0].update(
            {
                "tin": owner.tin if kind == ON_FILE else strangers[k // 2],
                "name": {"first": someone.first, "middle": None, "last": someone.last},
                "address": someone.address,
            }
        )
        bodies[kind].append(body)
    return bodies


def _plans(
    bodies: dict[str, list[dict[str, Any]]], requests: int, runs: int, rng: random.Random
) -> list[list[tuple[str, dict[str, Any]]]]:
    """Per run: WARM_UP requests (half of each kind), then ``requests`` of each kind,
    shuffled together. Every run asks about new people: a TIN asked twice is GW-3b."""
    per_kind = requests + WARM_UP // 2
    plans = []
    for run in range(runs):
        chunk = {kind: b[run * per_kind : (run + 1) * per_kind] for kind, b in bodies.items()}
        warm = [(kind, chunk[kind][i]) for i in range(WARM_UP // 2) for kind in chunk]
        timed = [(kind, body) for kind in chunk for body in chunk[kind][WARM_UP // 2 :]]
        rng.shuffle(timed)
        plans.append(warm + timed)
    return plans


def _wait_ready(url: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("gateway did not become ready")


def _stable(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k not in VOLATILE}


def _run(
    url: str, tokens: list[str], plan: list[tuple[str, dict[str, Any]]]
) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {ON_FILE: [], NOT_ON_FILE: []}
    seen_bodies: dict[str, dict[str, Any]] = {}
    with httpx.Client(base_url=url, timeout=10) as client:
        for i, (token, (kind, body)) in enumerate(zip(tokens, plan, strict=True)):
            t0 = time.perf_counter()
            r = client.post(
                "/v1/address-lookups", json=body, headers={"Authorization": f"Bearer {token}"}
            )
            elapsed = time.perf_counter() - t0
            if r.status_code != 200 or r.json()["outcome"] != "denied":
                raise SystemExit(f"unexpected answer for {kind}: {r.status_code} {r.text}")
            stable = _stable(r.json())
            first = seen_bodies.setdefault(kind, stable)
            if stable != first or any(stable != other for other in seen_bodies.values()):
                raise SystemExit(f"answers differ: {first} / {stable}")
            if i >= WARM_UP:
                samples[kind].append(elapsed * 1000)
    return samples


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--taxpayers", type=int, default=10_000)
    ap.add_argument("--requests", type=int, default=300, help="per kind, per run")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=6103)
    args = ap.parse_args()
    gateway = str(Path(sys.executable).parent / "gateway")
    rng = random.Random(args.seed)  # noqa: S311 - benchmark order, not a secret
    with tempfile.TemporaryDirectory() as home:
        # A copy: the gateway reloads its policy directory when it changes, and an edit in
        # the working tree during a run would change policy_revision halfway through.
        policies = shutil.copytree(REPO / "policies", Path(home) / "policies")
        env = dict(
            os.environ,
            GATEWAY_HOME=home,
            GATEWAY_POLICY_DIR=str(policies),
            GATEWAY_OPA_BINARY=str(REPO / ".tools" / "bin" / "opa"),
            GATEWAY_LOG_LEVEL="WARNING",
        )
        subprocess.run([gateway, "keys", "init"], env=env, check=True, capture_output=True)
        subprocess.run(
            [gateway, "seed", "--taxpayers", str(args.taxpayers)],
            env=env,
            check=True,
            capture_output=True,
        )
        db = Path(home) / "gateway.db"
        keys = KeyStore(Path(home) / "keys")
        port = free_loopback_port()
        server_log = (Path(home) / "serve.log").open("wb")
        proc = subprocess.Popen(
            [gateway, "serve", "--port", str(port)],
            env=env,
            stdout=server_log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(url)
            per_kind = (args.requests + WARM_UP // 2) * args.runs
            plans = _plans(_bodies(db, per_kind, rng), args.requests, args.runs, rng)
            for run, plan in enumerate(plans):
                now = datetime.now(UTC)
                tokens = [
                    mint_token(
                        keys,
                        issuer="DOJ-FBI",
                        subject="fbi-director",
                        audience="taxpayer-gateway",
                        now=now,
                        lifetime=timedelta(minutes=10),
                    )
                    for _ in plan
                ]
                samples = _run(url, tokens, plan)
                on, off = samples[ON_FILE], samples[NOT_ON_FILE]
                m_on, m_off = statistics.median(on), statistics.median(off)
                print(
                    f"run={run + 1} taxpayers={args.taxpayers} "
                    f"n_on_file={len(on)} n_not_on_file={len(off)} "
                    f"median_on_file_ms={m_on:.3f} median_not_on_file_ms={m_off:.3f} "
                    f"difference_ms={m_on - m_off:+.3f} "
                    f"mann_whitney_z={mann_whitney_z(off, on):+.2f}",
                    flush=True,
                )
        except SystemExit:
            print((Path(home) / "serve.log").read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            proc.terminate()
            proc.wait(timeout=20)
            server_log.close()


if __name__ == "__main__":
    main()
