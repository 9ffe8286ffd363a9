"""Where one 10,000-subject lookup spends its time outside OPA and the datastore (issue 11).

Starts ``gateway serve --workers 1`` on a seeded home (subject and body limits
raised for the one big request), sends ``--warmup`` lookups of ``--subjects``
taxpayers, then samples the worker with ``py-spy`` (``--gil``: only threads
running Python; waiting for OPA's answer or the disk is not counted) while it
answers ``--requests`` more, each about other people. Prints the wall time of
each sampled request and the top functions by cumulative and self time, as
seconds per request. Reuses ``profile_lookup``'s stack folding.

    uv run python bench/profile_bulk.py --out bench/results/profile-10k-subjects.txt
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from profile_lookup import MS_PER_SAMPLE, RATE, arguments, report, sampling, tables
from suite.server import LOOKUP_PATH, People, Served, check_answer, make_home


def main() -> None:
    ap = arguments(__doc__, taxpayers=40_000, requests=1, warmup=1)
    ap.add_argument("--subjects", type=int, default=10_000)
    args = ap.parse_args()
    limits = {
        "GATEWAY_MAX_SUBJECTS": str(args.subjects),
        "GATEWAY_MAX_BODY_BYTES": str(64 * 1024 * 1024),
        "GATEWAY_OPA_TIMEOUT_SECONDS": "30",
    }
    with tempfile.TemporaryDirectory() as tmp:
        policies = Path(tmp) / "policies"
        shutil.copytree(REPO / "policies", policies)
        home = make_home(
            Path(tmp) / "home", args.taxpayers, cache=True, policy_dir=policies, extra_env=limits
        )
        people = People(home, (args.requests + args.warmup) * args.subjects)
        warm = people.jobs(args.warmup, subjects=args.subjects)
        jobs = people.jobs(args.requests, subjects=args.subjects)
        served = Served(home, workers=1)
        raw = Path(tmp) / "profile.txt"
        walls: list[float] = []
        try:
            with httpx.Client(base_url=served.url, timeout=300) as client:
                for job in warm:
                    r = client.post(LOOKUP_PATH, content=job.body, headers=job.headers)
                    check_answer(r.status_code, r.content, args.subjects)
                with sampling(served._proc.pid, raw):
                    load = os.getloadavg()
                    for job in jobs:
                        t0 = time.perf_counter()
                        r = client.post(LOOKUP_PATH, content=job.body, headers=job.headers)
                        walls.append(time.perf_counter() - t0)
                        check_answer(r.status_code, r.content, args.subjects)
        finally:
            served.stop()
        head = (
            f"{args.requests} lookup(s) of {args.subjects} subjects each (FBI I2 body),"
            f" gateway serve --workers 1, py-spy {RATE} Hz --gil\n"
            f"wall_s={[round(w, 2) for w in walls]} load_avg_1m={load[0]:.2f}\n"
            f"columns: share of GIL-holding samples, then ms per request"
            f" ({MS_PER_SAMPLE:g} ms per sample)\n\n"
        )
        report(head + tables(raw, len(walls), args.top), raw, args.out, args.raw)


if __name__ == "__main__":
    main()
