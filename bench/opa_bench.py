"""OPA decision cost, old policy against new, in one run (issue 11 items 4 and 6).

    uv run python bench/opa_bench.py [--old-ref fb362e1] [--rest 500] [--sizes 1,100,1000,10000]

Measures, for the policy at ``--old-ref`` (extracted with ``git archive``) and
for ``policies/`` as it stands:

(a) ``opa bench`` of one single-subject decision: ms and allocations per op;
(b) ``opa eval --metrics`` of one decision about 1, 100, 1,000 and 10,000
    subjects (best of ``--count`` runs): ms in all and per subject;
(c) one decision over OPA's REST API through the gateway's PDP client
    (``gateway.pdp.opa.OpaPolicyEngine``, keep-alive connections): median ms
    over ``--rest`` decisions, single subject, and the median of three at the
    largest size. "Old" runs the client of ``--old-ref`` too.

Both policies are measured on the input as the gateway's client sends it
(``schema_checked``: the client validated the input schema; each policy's own
digest) and as a replay sends it (OPA validates the schema itself). The inputs are a logged S01–S34
input that ALLOWs (from the equivalence corpus) repeated with their own refs
and TINs. Writes ``bench/results/opa.json``. Not part of the test suite; the
figures depend on the machine and its load (printed).
"""

from __future__ import annotations

import argparse
import copy
import gzip
import importlib.util
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gateway.errors import PolicyEngineUnavailableError
from gateway.pdp.opa import SCHEMA_CHECKED_KEY, OpaPolicyEngine
from gateway.pdp.process import LocalOpa
from tests.assets.policy_corpus.build import CORPUS, scaled

OPA = REPO / ".tools" / "bin" / "opa"
QUERY = "data.gateway.decision"
REST_TIMEOUT_SECONDS = 120.0


def extract_policies(ref: str, into: Path) -> Path:
    """``policies/`` and ``gateway/pdp/opa.py`` as they were at ``ref``."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref, "policies", "gateway/pdp/opa.py"],  # noqa: S607
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def old_client_module(root: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("old_opa_client", root / "gateway/pdp/opa.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def base_input() -> dict[str, Any]:
    """A logged single-subject input that the policy ALLOWs, with the replay memory cleared."""
    with gzip.open(CORPUS, "rt", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            doc = row["input"]
            if (
                row["source"] == "logged"
                and row["decision"]["outcome"] == "ALLOW"
                and len(doc["taxpayers"]) == 1
            ):
                doc = copy.deepcopy(doc)
                doc["duplicate_of"] = None
                doc["replay"] = {"nonce_seen": False, "request_id_seen": False}
                return dict(doc)
    raise LookupError("no logged ALLOW in the corpus")


def opa_json(*args: str) -> Any:
    out = subprocess.run([str(OPA), *args], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def schema_digest(policy_dir: Path) -> str:
    """The digest the policy names its input schema by ("" for a policy without one)."""
    out = opa_json("eval", "--data", str(policy_dir), "data.gateway.rules.gw.schema_digest")
    if not out.get("result"):
        return ""
    digest: str = out["result"][0]["expressions"][0]["value"]
    return digest


def opa_bench(policy_dir: Path, input_file: Path) -> dict[str, float]:
    out = opa_json(
        "bench", "--data", str(policy_dir), "--input", str(input_file), "--format", "json", QUERY
    )
    return {
        "ms_per_op": round(out["T"] / out["N"] / 1e6, 3),
        "allocs_per_op": round(out["MemAllocs"] / out["N"]),
        "ops": out["N"],
    }


def opa_eval_ms(policy_dir: Path, input_file: Path, count: int) -> float:
    out = opa_json(
        "eval",
        "--data",
        str(policy_dir),
        "--input",
        str(input_file),
        "--metrics",
        "--count",
        str(count),
        "--format",
        "json",
        QUERY,
    )
    if "aggregated_metrics" in out:
        return round(float(out["aggregated_metrics"]["timer_rego_query_eval_ns"]["min"]) / 1e6, 2)
    return round(float(out["metrics"]["timer_rego_query_eval_ns"]) / 1e6, 2)


def rest_ms(engine: Any, doc: dict[str, Any], runs: int) -> float | None:
    """Median ms of ``runs`` decisions after a warm-up; ``None`` when one is refused (late)."""
    try:
        engine.decide(doc)  # warm: connection open, schema read (new client)
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            engine.decide(doc)
            samples.append(time.perf_counter() - started)
    except PolicyEngineUnavailableError as exc:
        print(f"    refused: {exc}")
        return None
    return round(statistics.median(samples) * 1000, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description="OPA decision cost, old against new")
    parser.add_argument("--old-ref", default="fb362e1")
    parser.add_argument("--rest", type=int, default=500)
    parser.add_argument("--sizes", default="1,100,1000,10000")
    parser.add_argument("--count", type=int, default=3)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "opa.json")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    load_before = os.getloadavg()
    print(f"load average {load_before[0]:.2f}, {os.cpu_count()} cores")

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        old_root = extract_policies(args.old_ref, tmp / "old")
        dirs = {"old": old_root / "policies", "new": REPO / "policies"}
        # each policy's own digest: the client names the schema of the OPA it talks to
        digests = {policy: schema_digest(d) for policy, d in dirs.items()}
        base = base_input()
        files: dict[tuple[str, str, int], Path] = {}
        for n in sizes:
            doc = scaled(base, n)
            for policy, digest in digests.items():
                files[policy, "replay", n] = tmp / f"in{n}.json"
                files[policy, "replay", n].write_text(json.dumps(doc))
                files[policy, "client", n] = tmp / f"in{n}-{policy}-checked.json"
                files[policy, "client", n].write_text(
                    json.dumps({**doc, SCHEMA_CHECKED_KEY: digest})
                )
        runs = [("old", "replay"), ("new", "replay"), ("old", "client"), ("new", "client")]
        results: dict[str, Any] = {"old_ref": args.old_ref, "sizes": sizes}

        bench = {}
        for policy, how in runs:
            bench[f"{policy}/{how}"] = r = opa_bench(dirs[policy], files[policy, how, sizes[0]])
            print(
                f"(a) opa bench {policy:>3} {how:<6} {r['ms_per_op']:7.3f} ms "
                f"{r['allocs_per_op']:6d} allocs"
            )
        results["opa_bench_single"] = bench

        evals: dict[str, dict[int, dict[str, float]]] = {}
        for policy, how in runs:
            evals[f"{policy}/{how}"] = per = {}
            for n in sizes:
                # best of --count (one run at 10,000 subjects: seconds each on the old policy)
                count = args.count if n < 10_000 else 1
                ms = opa_eval_ms(dirs[policy], files[policy, how, n], count)
                per[n] = {"ms": ms, "ms_per_subject": round(ms / n, 4)}
                print(
                    f"(b) opa eval  {policy:>3} {how:<6} {n:6d} subjects {ms:10.2f} ms "
                    f"{ms / n:8.4f} ms/subject"
                )
        results["opa_eval"] = evals

        old_client = old_client_module(old_root)
        rest: dict[str, dict[str, float | None]] = {}
        for policy, make in [("old", old_client.OpaPolicyEngine), ("new", OpaPolicyEngine)]:
            with LocalOpa(OPA, dirs[policy], log_path=tmp / f"opa-{policy}.log") as opa:
                engine = make(opa.url, timeout_seconds=REST_TIMEOUT_SECONDS)
                try:
                    single = rest_ms(engine, scaled(base, 1), args.rest)
                    largest = rest_ms(engine, scaled(base, sizes[-1]), 3)
                finally:
                    engine.close()
            rest[policy] = {"single_ms": single, f"subjects_{sizes[-1]}_ms": largest}
            print(
                f"(c) REST      {policy:>3} client {single} ms single, {largest} ms at {sizes[-1]}"
            )
        results["rest_decision_median"] = rest

    results["load_average"] = {
        "before": round(load_before[0], 2),
        "after": round(os.getloadavg()[0], 2),
    }
    results["cores"] = os.cpu_count()
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"load average after {results['load_average']['after']}; wrote {args.out}")


if __name__ == "__main__":
    main()
