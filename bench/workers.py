"""Worker processes (issue 11 item 5): lookups with `gateway serve --workers 1, 2, 4`.

One home seeded with N taxpayers (SQLite, real OPA beside each worker). For each
worker count, `gateway serve --workers W` is started, and once every worker
serves (``gateway_worker_started_seconds`` in ``/metrics``):

* **sequential**: R lookups one after another on one connection: the median
  and p95 latency (one connection is served by one worker, so this is the cost
  of one lookup, plus whatever the other workers' idle threads cost);
* **16 clients**: 16 threads, each on its own connection, send C lookups in
  all as fast as they are answered: lookups per second over the wall time, and
  the median latency under that load.

Every lookup is about a different seeded taxpayer (asking twice is a GW-3b
duplicate) with its own token, minted beforehand. All workers append to one
decision log: the database's write lock sequences them (SQLite ``BEGIN
IMMEDIATE``), and each process groups its concurrent appends into one commit.

    uv run python bench/workers.py --taxpayers 5000 --requests 60 --concurrent 240

The default order 1, 2, 4, 4, 2, 1 shows drift of the machine's load within a run.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from suite.server import people as seeded_people

from gateway.auth.keys import KeyStore
from gateway.auth.tokens import mint_token
from gateway.pdp.process import free_loopback_port
from tests import scenarios

CLIENTS = 16


def _started_workers(url: str) -> int:
    body = httpx.get(f"{url}/metrics", timeout=10).text
    found = re.findall(r"^gateway_worker_started_seconds(?:\{[^}]*\})? ([0-9.e+]+)$", body, re.M)
    return sum(1 for since in found if float(since) > 0)


def _wait_ready(url: str, workers: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("gateway serve exited")
        try:
            if _started_workers(url) >= workers:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("gateway did not become ready")


class Asks:
    """Bodies and tokens, each used once."""

    def __init__(self, home: Path, people: list[dict[str, Any]]) -> None:
        keys = KeyStore(home / "keys")
        now = datetime.now(UTC)
        self._lock = threading.Lock()
        self._items: list[tuple[dict[str, Any], str]] = []
        for i, person in enumerate(people):
            body = scenarios.fbi_i2()
            body["purpose"]["case_number"] = f"FBI-WORKERS-{i}"
            body["subjects"][0].update(person)
            token = mint_token(
                keys,
                issuer="DOJ-FBI",
                subject="fbi-director",
                audience="taxpayer-gateway",
                now=now,
                lifetime=timedelta(minutes=10),
            )
            self._items.append((body, token))

    def take(self) -> tuple[dict[str, Any], str] | None:
        with self._lock:
            return self._items.pop() if self._items else None


def _ask(client: httpx.Client, body: dict[str, Any], token: str, outcomes: Counter[str]) -> float:
    t0 = time.perf_counter()
    r = client.post("/v1/address-lookups", json=body, headers={"Authorization": f"Bearer {token}"})
    elapsed = time.perf_counter() - t0
    if r.status_code != 200:
        raise SystemExit(f"unexpected answer: {r.status_code} {r.text}")
    outcomes[r.json()["outcome"]] += 1
    return elapsed * 1000


def _sequential(url: str, asks: Asks, n: int, outcomes: Counter[str]) -> list[float]:
    samples = []
    with httpx.Client(base_url=url, timeout=30) as client:
        for i in range(n + 5):
            item = asks.take()
            assert item is not None
            elapsed = _ask(client, *item, outcomes)
            if i >= 5:  # warm-up
                samples.append(elapsed)
    return sorted(samples)


def _concurrent(url: str, asks: Asks, outcomes: Counter[str]) -> tuple[float, list[float]]:
    samples: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(CLIENTS + 1)

    def client_thread() -> None:
        mine: list[float] = []
        with httpx.Client(base_url=url, timeout=60) as client:
            client.get("/healthz")
            barrier.wait()
            while (item := asks.take()) is not None:
                mine.append(_ask(client, *item, outcomes))
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=client_thread) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, sorted(samples)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--taxpayers", type=int, default=5_000)
    ap.add_argument("--requests", type=int, default=150, help="sequential lookups per run")
    ap.add_argument("--concurrent", type=int, default=600, help="lookups by 16 clients per run")
    ap.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2, 4, 4, 2, 1], help="one run each, in order"
    )
    args = ap.parse_args()
    gateway = str(Path(sys.executable).parent / "gateway")
    print(f"load average before: {os.getloadavg()[0]:.2f} (cores: {os.cpu_count()})")
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        env = dict(
            os.environ,
            GATEWAY_HOME=str(home),
            GATEWAY_POLICY_DIR=str(REPO / "policies"),
            GATEWAY_OPA_BINARY=str(REPO / ".tools" / "bin" / "opa"),
            GATEWAY_LOG_LEVEL="WARNING",
            GATEWAY_METRICS_ENABLED="true",
            GATEWAY_OPA_TIMEOUT_SECONDS="10",
        )
        subprocess.run([gateway, "keys", "init"], env=env, check=True, capture_output=True)
        subprocess.run(
            [gateway, "seed", "--taxpayers", str(args.taxpayers)],
            env=env,
            check=True,
            capture_output=True,
        )
        per_run = args.requests + 5 + args.concurrent
        people = seeded_people(home / "gateway.db", per_run * len(args.workers), exactly=True)
        for run, workers in enumerate(args.workers):
            mine = people[run * per_run : (run + 1) * per_run]
            sequential_asks = Asks(home, mine[: args.requests + 5])
            concurrent_asks = Asks(home, mine[args.requests + 5 :])
            port = free_loopback_port()
            proc = subprocess.Popen(
                [gateway, "serve", "--port", str(port), "--workers", str(workers)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            url = f"http://127.0.0.1:{port}"
            outcomes: Counter[str] = Counter()
            try:
                _wait_ready(url, workers, proc)
                load = os.getloadavg()[0]
                seq = _sequential(url, sequential_asks, args.requests, outcomes)
                wall, conc = _concurrent(url, concurrent_asks, outcomes)
            finally:
                proc.send_signal(signal.SIGINT)
                proc.wait(timeout=60)
            print(
                f"workers={workers} load={load:.2f} "
                f"sequential_p50_ms={statistics.median(seq):.2f} "
                f"sequential_p95_ms={seq[int(len(seq) * 0.95) - 1]:.2f} "
                f"clients={CLIENTS} lookups_per_s={len(conc) / wall:.1f} "
                f"concurrent_p50_ms={statistics.median(conc):.2f} "
                f"outcomes={dict(outcomes)}",
                flush=True,
            )


if __name__ == "__main__":
    main()
