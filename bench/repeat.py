"""Issue 11's figures as medians of several runs of ``bench/run.py``.

One run on this machine kind moves by 10-20 % with whatever else is running,
so the table in bench/README.md quotes the median of three runs, each a whole
``bench/run.py`` in a fresh process and a fresh gateway. Ratios (a lookup
against the floor) are taken within each run first and their median quoted,
because the floor and the lookup move together with the machine's load.

Each run writes ``<stem>-run<k>.json`` (and its PNG); the medians go to
``<stem>.json`` with the PNG of the run whose sequential p50 is the median one.
Any run that fails stops the whole measurement with its exit code.

    uv run python bench/repeat.py --runs 3 -- --full
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import RESULTS, _print, _targets
from suite import chart

Json = Any


def median_of(values: list[Json]) -> Json:
    """The element-wise median of several runs' results of one shape.

    Numbers become their median; dicts and lists of dicts are merged key by key
    and position by position; anything else (strings, sample lists, a list of a
    different length in one run) is taken from the first value, which the caller
    orders so that it is the median run.
    """
    first = values[0]
    if all(isinstance(v, bool) for v in values):
        return first
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        mid = statistics.median(values)
        return round(mid, 3) if isinstance(mid, float) else mid
    if all(isinstance(v, dict) for v in values):
        keys = [k for k in first if all(k in v for v in values)]
        return {k: median_of([v[k] for v in values]) for k in keys} | {
            k: first[k] for k in first if k not in keys
        }
    if (
        all(isinstance(v, list) and len(v) == len(first) for v in values)
        and first
        and all(isinstance(x, dict) for x in first)
    ):
        return [median_of([v[i] for v in values]) for i in range(len(first))]
    return first


def summary(run: dict[str, Any]) -> dict[str, Any]:
    """The figures of one run that the README's table quotes, to show the spread."""
    return {
        "date_utc": run["machine"]["date_utc"],
        "load_average_before": run["machine"]["load_average_before"],
        "load_average_after": run["machine"]["load_average_after"],
        "floor_ms": run["floor"]["total_ms"],
        "sequential_p50_ms": run["sequential"]["tin"]["p50_ms"],
        "sequential_p50_over_floor": run["ratios"]["sequential_p50_over_floor"],
        "open_loop_p99_ms": run["open_loop"]["p99_ms"],
        "best_per_second": run["throughput"]["best_per_second"],
        "history_growth_pct": run["history"]["growth_pct"],
        "bulk_s": {r["subjects"]: r["request_s"] for r in run.get("bulk", {}).get("runs", [])},
    }


def combine(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median result of ``runs``, with the run-by-run figures beside it."""
    by_p50 = sorted(runs, key=lambda r: r["sequential"]["tin"]["p50_ms"])
    middle = by_p50[(len(by_p50) - 1) // 2]
    ordered = [middle] + [r for r in runs if r is not middle]
    result: dict[str, Any] = median_of(ordered)
    rows = _targets(result)
    ratio = result["ratios"]["sequential_p50_over_floor"]  # the median of per-run ratios
    for row in rows:
        if row["figure"] == "single-subject lookup p50, sequential":
            p50 = result["sequential"]["tin"]["p50_ms"]
            row["measured"] = f"{p50:.1f} ms ({ratio:.1f}× floor, median of per-run ratios)"
            row["met"] = ratio <= 2
    result["targets"] = rows
    result["runs"] = [summary(r) for r in runs]
    result["median_of"] = len(runs)
    return result


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--runs", type=int, default=3, help="how many whole runs (default 3)")
    ap.add_argument("run_args", nargs="*", help="passed to bench/run.py (after --)")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    stem = "bench-full" if "--full" in args.run_args else "bench"
    runs: list[dict[str, Any]] = []
    for k in range(1, args.runs + 1):
        out = RESULTS / f"{stem}-run{k}.json"
        print(f"run {k} of {args.runs} -> {out}", file=sys.stderr, flush=True)
        cmd = [sys.executable, str(Path(__file__).with_name("run.py")), "--out", str(out)]
        done = subprocess.run([*cmd, *args.run_args], check=False)
        if done.returncode != 0:
            raise SystemExit(done.returncode)
        runs.append(json.loads(out.read_text()))
    result = combine(runs)
    out = RESULTS / f"{stem}.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    chart.draw(result, out.with_suffix(".png"))
    _print(result["targets"], result)
    for k, run in enumerate(result["runs"], 1):
        print(f"run {k}: {json.dumps(run)}", file=sys.stderr)
    png = out.with_suffix(".png")
    print(f"wrote {out} (median of {len(runs)} runs) and {png}", file=sys.stderr)


if __name__ == "__main__":
    main()
