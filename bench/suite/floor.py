"""The floor: what one decided lookup cannot be faster than.

A lookup is answered only after OPA decided it and its decision leaf is durable,
so its latency is at least one decision of the real policy over OPA's REST API
plus one append to the decision log. Both are measured here, in the same run as
the gateway, so the lookup's p50 can be quoted as a multiple of the floor.

* OPA: ``POST /v1/data/gateway/decision`` on the very OPA the running gateway
  started, over one keep-alive connection, with a policy input the gateway
  itself sent (unsealed from a decision leaf of a warm-up lookup). The body is
  encoded beforehand; parsing the answer is timed, as the gateway must do it.
* Log: :meth:`DecisionLog.append` of one ~1 KiB leaf (``log_bench.record``) on a
  fresh SQLite file (WAL, ``synchronous=FULL``: every commit is fsync'd), one
  thread, one leaf per call: a single client's append, with no group commit to
  share the fsync.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from log_bench import fresh_log, record

from suite.server import DECISION_PATH, BenchFailedError


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 3),
        "samples": len(ordered),
    }


def opa_rest(
    opa_url: str, policy_input: dict[str, Any], n: int, tick: Any = None
) -> dict[str, Any]:
    """Median (and p95) of ``n`` decisions after 20 unmeasured ones."""
    body = orjson.dumps({"input": policy_input})
    headers = {"Content-Type": "application/json"}
    samples = []
    with httpx.Client(base_url=opa_url, timeout=10) as client:
        for i in range(n + 20):
            t0 = time.perf_counter()
            r = client.post(DECISION_PATH, content=body, headers=headers)
            result = orjson.loads(r.content).get("result")
            elapsed = time.perf_counter() - t0
            if r.status_code != 200 or not isinstance(result, dict) or not result.get("subjects"):
                raise BenchFailedError(f"OPA answered {r.status_code}: {r.content[:300]!r}")
            if i >= 20:
                samples.append(elapsed * 1000)
            if tick is not None:
                tick()
    return {**_summary(samples), "input_bytes": len(body)}


def log_append(directory: Path, n: int, tick: Any = None) -> dict[str, Any]:
    """Median (and p95) of ``n`` sequential one-leaf appends after 20 unmeasured ones."""
    log = fresh_log(directory, "floor-log.db")
    at = datetime.now(UTC)
    samples = []
    try:
        for i in range(n + 20):
            leaf = record(i)
            t0 = time.perf_counter()
            log.append("decision", leaf, at=at)
            elapsed = time.perf_counter() - t0
            if i >= 20:
                samples.append(elapsed * 1000)
            if tick is not None:
                tick()
        if log.size() != n + 20:
            raise BenchFailedError(f"log holds {log.size()} leaves after {n + 20} appends")
    finally:
        log.engine.dispose()
    return {**_summary(samples), "leaf_bytes": len(record(0))}
