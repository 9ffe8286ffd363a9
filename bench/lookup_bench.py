"""Latency of one address lookup over HTTP, end to end (auth, datastore, OPA, log, answer).

Starts `gateway serve` on a fresh home seeded with N taxpayers, sends R
sequential F-FBI-I2 lookups (each with its own token, minted beforehand so
signing is not timed) and prints the median and p95 in milliseconds.

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
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from gateway.auth.keys import KeyStore
from gateway.auth.tokens import mint_token
from gateway.pdp.process import free_loopback_port
from tests import scenarios


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--taxpayers", type=int, default=10_000)
    ap.add_argument("--requests", type=int, default=200)
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
            for _ in range(args.requests + 5)
        ]
        port = free_loopback_port()
        proc = subprocess.Popen(
            [gateway, "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            samples = []
            with httpx.Client(base_url=url, timeout=10) as client:
                for i, tok in enumerate(tokens):
                    body = scenarios.fbi_i2()
                    # a new ask each time: the same ask again is a duplicate (GW-3b)
                    body["purpose"]["case_number"] = f"FBI-BENCH-{i}"
                    t0 = time.perf_counter()
                    r = client.post(
                        "/v1/address-lookups", json=body, headers={"Authorization": f"Bearer {tok}"}
                    )
                    elapsed = time.perf_counter() - t0
                    if r.status_code != 200 or r.json()["outcome"] != "allowed":
                        raise SystemExit(f"unexpected answer: {r.status_code} {r.text}")
                    if i >= 5:  # warm-up
                        samples.append(elapsed * 1000)
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    samples.sort()
    print(
        f"taxpayers={args.taxpayers} requests={len(samples)} "
        f"median_ms={statistics.median(samples):.2f} "
        f"p95_ms={samples[int(len(samples) * 0.95) - 1]:.2f}"
    )


if __name__ == "__main__":
    main()
