"""Latency of one address lookup over HTTP, end to end (auth, datastore, OPA, log, answer).

Starts `gateway serve` on a fresh home seeded with N taxpayers and sends R
sequential F-FBI-I2-shaped lookups, each about a different seeded taxpayer
(asking about the same person twice in a day is a duplicate, GW-3b) and each
with its own token, minted beforehand so that signing is not timed. Prints the
median and p95 in milliseconds, the gateway process's CPU time per lookup (user
plus system, all threads, OPA not included: less noisy than latency on a shared
machine) and the outcomes.

    uv run python bench/lookup_bench.py --taxpayers 100000 --requests 300
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from suite.server import _children
from suite.server import people as seeded_people

from gateway.auth.keys import KeyStore
from gateway.auth.tokens import mint_token
from gateway.pdp.process import free_loopback_port
from tests import scenarios


def _wait_ready(url: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("gateway did not become ready")


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU of ``gateway serve`` and its workers (all threads), OPA not counted."""
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            if Path(f"/proc/{current}/cmdline").read_bytes().split(b"\0")[0].endswith(b"opa"):
                continue
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        todo += _children(current)
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--taxpayers", type=int, default=10_000)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--workers", type=int, default=None, help="gateway serve --workers")
    args = ap.parse_args()
    gateway = str(Path(sys.executable).parent / "gateway")
    with tempfile.TemporaryDirectory() as home:
        env = dict(
            os.environ,
            GATEWAY_HOME=home,
            GATEWAY_POLICY_DIR=str(REPO / "policies"),
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
        total = args.requests + 5
        people = seeded_people(Path(home) / "gateway.db", total, exactly=True)
        keys = KeyStore(Path(home) / "keys")
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
            for _ in range(total)
        ]
        port = free_loopback_port()
        workers = [] if args.workers is None else ["--workers", str(args.workers)]
        proc = subprocess.Popen(
            [gateway, "serve", "--port", str(port), *workers],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        samples: list[float] = []
        outcomes: Counter[str] = Counter()
        cpu = 0.0
        try:
            _wait_ready(url)
            with httpx.Client(base_url=url, timeout=10) as client:
                for i, (tok, person) in enumerate(zip(tokens, people, strict=True)):
                    body = scenarios.fbi_i2()
                    body["purpose"]["case_number"] = f"FBI-BENCH-{i}"
                    body["subjects"][0].update(person)
                    t0 = time.perf_counter()
                    r = client.post(
                        "/v1/address-lookups", json=body, headers={"Authorization": f"Bearer {tok}"}
                    )
                    elapsed = time.perf_counter() - t0
                    if r.status_code != 200:
                        raise SystemExit(f"unexpected answer: {r.status_code} {r.text}")
                    outcomes[r.json()["outcome"]] += 1
                    if i == 4:  # warm-up done
                        cpu = -_cpu_seconds(proc.pid)
                    if i >= 5:
                        samples.append(elapsed * 1000)
                cpu += _cpu_seconds(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    samples.sort()
    print(
        f"taxpayers={args.taxpayers} requests={len(samples)} "
        f"median_ms={statistics.median(samples):.2f} "
        f"p95_ms={samples[int(len(samples) * 0.95) - 1]:.2f} "
        f"gateway_cpu_ms_per_lookup={cpu * 1000 / len(samples):.2f} "
        f"load_avg_1m={os.getloadavg()[0]:.2f} outcomes={dict(outcomes)}"
    )


if __name__ == "__main__":
    main()
