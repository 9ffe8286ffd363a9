"""Issue 11's figures in one run: the floor and the gateway measured side by side.

``make bench`` (under five minutes on the project's two-core machine kind):

1. the floor (:mod:`suite.floor`): one OPA REST decision of the real policy on
   the gateway's own OPA (keep-alive) plus one durable decision-log append;
2. sequential single-subject lookups over HTTP, by TIN and by name only;
3. an open loop at ``--rate`` requests/s for ``--open-seconds`` (latency from the
   scheduled send time);
4. closed-loop throughput at each of ``--clients``; every answer must be a 200
   with a new ``log_index``, and the log must have grown by at least the number of
   answers;
5. the sequential p50 again after the load phases and after ``--history``
   earlier lookups written straight into the ``lookup`` table
   (``bench/history.py``'s rows), then the target's figure: this gateway
   against a second ``gateway serve`` on a copy of the store taken before any
   lookup (an empty history), asked in alternating batches about the same
   taxpayers (:func:`history.interleaved_p50`; medians taken minutes apart
   on a shared machine are not comparable); and on stores of
   ``--populations`` taxpayers;
6. ratios against the floor and the issue's targets.

``make bench-full`` (``--full``) adds a million taxpayers (the seeded database is
cached under ``.gateway/bench-cache``), 100,000 earlier lookups and one request
about 1,000 and one about 10,000 subjects (``bench/bulk.py``).

Writes ``bench/results/bench.json`` (or ``bench-full.json``) and the PNG beside it.
Any unexpected answer stops the run with a non-zero exit.

    uv run python bench/run.py [--full] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from history import _write_history, copy_home, interleaved_jobs, interleaved_p50
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from sqlalchemy import func, select
from suite import chart, floor, load, machine
from suite.server import (
    REPO,
    BenchFailedError,
    Home,
    People,
    Served,
    make_home,
    serve_supports_workers,
)

from gateway.store.db import make_engine
from gateway.store.models import LOOKUP

RESULTS = REPO / "bench" / "results"
console = Console(stderr=True)


class Phases:
    """A rich progress bar per phase, and how long each phase took."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.seconds: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str, total: float | None) -> Iterator[Callable[[], None]]:
        task = self.progress.add_task(name, total=total)
        started = time.perf_counter()

        def tick() -> None:
            self.progress.advance(task)

        yield tick  # on a failure the bar stays where it stopped
        self.seconds[name] = round(time.perf_counter() - started, 1)
        self.progress.update(task, completed=total if total is not None else 1, total=total or 1)


def _lookup_rows(home: Home) -> int:
    engine = make_engine(f"sqlite:///{home.db}")
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(LOOKUP)).scalar_one())
    finally:
        engine.dispose()


def _growth(before: float, after: float) -> float:
    return round(100 * (after - before) / before, 1)


def _main_gateway(args: argparse.Namespace, tmp: Path, ph: Phases, out: dict[str, Any]) -> None:
    """Everything measured on one gateway of ``--taxpayers``: floor, latency, load, history."""
    with ph.phase(f"seed {args.taxpayers:,} taxpayers", None):
        home = make_home(
            tmp / "main",
            args.taxpayers,
            cache=args.taxpayers >= args.cache_from,
            policy_dir=tmp / "policies",
        )
    # Before any lookup: the empty-history side of the history figure (step 5).
    empty_home = copy_home(home, tmp / "empty-history")
    pool = People(home, args.taxpayers)
    with ph.phase("start gateway serve", None):
        gw = Served(home, args.workers)
    try:
        warm = load.sequential(gw.url, pool.jobs(20), warmup=0)
        if not warm.log_indexes:
            raise BenchFailedError(f"no warm-up lookup was decided: {warm.errors[:3]}")
        policy_input = gw.policy_input(max(warm.log_indexes))
        out["opa_processes"] = gw.opa_count()  # one per worker of `gateway serve`

        with ph.phase("floor: OPA REST decisions", args.floor_samples + 20) as tick:
            opa = floor.opa_rest(gw.opa_url(), policy_input, args.floor_samples, tick)
        with ph.phase("floor: durable log appends", args.floor_samples + 20) as tick:
            appended = floor.log_append(tmp, args.floor_samples, tick)
        out["floor"] = {
            "opa_rest": opa,
            "log_append": appended,
            "total_ms": round(opa["p50_ms"] + appended["p50_ms"], 3),
        }

        with ph.phase("sequential lookups by TIN", args.sequential + 5) as tick:
            seq = load.sequential(gw.url, pool.jobs(args.sequential + 5), tick=tick)
        with ph.phase("sequential lookups by name only", args.name_only + 5) as tick:
            names = load.sequential(
                gw.url, pool.jobs(args.name_only + 5, name_only=True), tick=tick
            )
        out["sequential"] = {"tin": seq.summary(), "name_only": names.summary()}
        first_history = _lookup_rows(home)

        n_open = int(args.rate * args.open_seconds)
        with ph.phase(f"open loop {args.rate:g}/s for {args.open_seconds:g} s", n_open) as tick:
            opened = load.open_loop(gw.url, pool.jobs(n_open), args.rate, tick)
        out["open_loop"] = {"rate": args.rate, "seconds": args.open_seconds, **opened.summary()}

        # Side by side: twice the sequential count, as 150 a side still scatter ±15 %
        # at a load average of 4-7 on two cores (bench/README.md, history growth).
        side_lookups = 2 * args.history_lookups
        reserve = 2 * (args.history_lookups + 5) + 20 + interleaved_jobs(side_lookups, 25)
        size_before = gw.log_size()
        answered: set[int] = set()
        levels = []
        for k, clients in enumerate(args.clients):
            budget = (pool.left - reserve) // (len(args.clients) - k)
            jobs = pool.jobs(budget)
            with ph.phase(f"closed loop, {clients} clients, {args.seconds:g} s", None) as tick:
                result = load.closed_loop(gw.url, jobs, clients, args.seconds, tick)
            answered |= result.answers.log_indexes
            levels.append(
                {
                    "clients": clients,
                    "per_second": round(result.per_second, 1),
                    "window_s": round(result.window_s, 2),
                    **result.answers.summary(),
                }
            )
        size_after = gw.log_size()
        if size_after - size_before < len(answered) or not all(
            size_before <= i < size_after for i in answered
        ):
            raise BenchFailedError(
                f"log grew by {size_after - size_before} leaves for {len(answered)} answers"
            )
        best = max(levels, key=lambda lv: lv["per_second"])
        out["throughput"] = {
            "levels": levels,
            "best_per_second": best["per_second"],
            "best_clients": best["clients"],
            "answers": len(answered),
            "log_growth": size_after - size_before,
        }

        points = [{"history": first_history, "p50_ms": seq.summary()["p50_ms"]}]
        with ph.phase("sequential after the load phases", args.history_lookups + 5) as tick:
            again = load.sequential(gw.url, pool.jobs(args.history_lookups + 5), tick=tick)
        points.append({"history": _lookup_rows(home), "p50_ms": again.summary()["p50_ms"]})
        with ph.phase(f"write {args.history:,} earlier lookups", None):
            engine = make_engine(f"sqlite:///{home.db}")
            try:
                _write_history(engine, args.history, datetime.now(UTC))
            finally:
                engine.dispose()
        with ph.phase(f"sequential after {args.history:,} more", args.history_lookups + 5) as tick:
            after = load.sequential(gw.url, pool.jobs(args.history_lookups + 5), tick=tick)
        points.append({"history": _lookup_rows(home), "p50_ms": after.summary()["p50_ms"]})
        with ph.phase("start gateway serve on the empty-history copy", None):
            empty_gw = Served(empty_home, args.workers)
        try:
            empty_pool = People(empty_home, args.taxpayers)
            empty_pool.jobs(empty_pool.left - pool.left)  # skipped: the same taxpayers next
            load.sequential(empty_gw.url, empty_pool.jobs(20), warmup=0)
            pool.jobs(20)  # skipped: asked on the empty side only
            with ph.phase("empty vs full history, alternating batches", None):
                sides = [
                    ("empty", empty_gw.url, empty_pool),
                    ("history", gw.url, pool),
                ]
                both = interleaved_p50(sides, side_lookups)
        finally:
            empty_gw.stop()
        out["history"] = {
            "points": points,
            "over_time_growth_pct": _growth(points[0]["p50_ms"], points[-1]["p50_ms"]),
            "over_time_growth_pct_same_load": _growth(points[1]["p50_ms"], points[-1]["p50_ms"]),
            "interleaved": {
                "empty": {"history": 20, **both["empty"]},
                "history": {"history": points[-1]["history"], **both["history"]},
            },
            "growth_pct": _growth(both["empty"]["p50_ms"], both["history"]["p50_ms"]),
        }
        out["samples"] = {
            "sequential": [round(x, 3) for x in seq.latencies_ms],
            "open_loop": [round(x, 3) for x in opened.latencies_ms],
        }
    finally:
        gw.stop()


def _population(args: argparse.Namespace, tmp: Path, n: int, ph: Phases) -> dict[str, Any]:
    """Sequential p50 by TIN and by name only on a fresh gateway over ``n`` taxpayers."""
    cache = n >= args.cache_from
    with ph.phase(f"seed {n:,} taxpayers" + (" (cache)" if cache else ""), None):
        home = make_home(tmp / f"pop-{n}", n, cache=cache, policy_dir=tmp / "policies")
    pool = People(home, args.population_lookups + args.name_only + 40)
    with ph.phase(f"{n:,}: start gateway serve", None):
        gw = Served(home, args.workers)
    try:
        load.sequential(gw.url, pool.jobs(20), warmup=0)
        with ph.phase(f"{n:,}: by TIN", args.population_lookups + 5) as tick:
            tin = load.sequential(gw.url, pool.jobs(args.population_lookups + 5), tick=tick)
        with ph.phase(f"{n:,}: by name only", args.name_only + 5) as tick:
            names = load.sequential(
                gw.url, pool.jobs(args.name_only + 5, name_only=True), tick=tick
            )
    finally:
        gw.stop()
    shutil.rmtree(home.path)  # a million taxpayers is 0.4 GB of temporary disk
    return {
        "taxpayers": n,
        "seed_s": round(home.seed_seconds, 1),
        "seed_cached": home.cached,
        "tin_p50_ms": tin.summary()["p50_ms"],
        "name_only_p50_ms": names.summary()["p50_ms"],
        "tin": tin.summary(),
        "name_only": names.summary(),
    }


def _bulk(args: argparse.Namespace, tmp: Path, ph: Phases) -> dict[str, Any]:
    """One request about each of ``--bulk`` subjects, by ``bench/bulk.py`` (issue 11 item 3)."""
    out = tmp / "bulk.json"
    argv = [sys.executable, str(REPO / "bench" / "bulk.py"), "--subjects"]
    argv += [str(n) for n in args.bulk]
    argv += ["--taxpayers", str(args.bulk_taxpayers), "--repeat", str(args.bulk_repeat)]
    argv += ["--out", str(out)]
    with ph.phase(f"bulk requests of {', '.join(f'{n:,}' for n in args.bulk)} subjects", None):
        done = subprocess.run(argv, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchFailedError(f"bench/bulk.py failed ({done.returncode}): {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def _targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    floor_ms = r["floor"]["total_ms"]
    p50 = r["sequential"]["tin"]["p50_ms"]
    rows: list[dict[str, Any]] = [
        {
            "figure": "floor = OPA REST decision p50 + durable log append p50",
            "target": "—",
            "measured": f"{r['floor']['opa_rest']['p50_ms']:.2f} + "
            f"{r['floor']['log_append']['p50_ms']:.2f} = {floor_ms:.2f} ms",
            "met": None,
        },
        {
            "figure": "single-subject lookup p50, sequential",
            "target": "≤ 2× floor",
            "measured": f"{p50:.1f} ms ({p50 / floor_ms:.1f}× floor)",
            "met": p50 <= 2 * floor_ms,
        },
        {
            "figure": f"p99, open loop {r['open_loop']['rate']:g}/s for "
            f"{r['open_loop']['seconds']:g} s",
            "target": "≤ 15 ms",
            "measured": f"{r['open_loop']['p99_ms']:.1f} ms (p50 {r['open_loop']['p50_ms']:.1f})",
            "met": r["open_loop"]["p99_ms"] <= 15,
        },
        {
            "figure": "sustained decided lookups/s, every answer in the log",
            "target": "≥ 500",
            "measured": f"{r['throughput']['best_per_second']:.0f} (best, at "
            f"{r['throughput']['best_clients']} clients; "
            + ", ".join(
                f"{lv['per_second']:.0f} at {lv['clients']}" for lv in r["throughput"]["levels"]
            )
            + ")",
            "met": r["throughput"]["best_per_second"] >= 500,
        },
    ]
    pts = r["taxpayers"]["points"]
    if len(pts) > 1:
        a, b = pts[0], pts[-1]
        tin_g = _growth(a["tin_p50_ms"], b["tin_p50_ms"])
        name_g = _growth(a["name_only_p50_ms"], b["name_only_p50_ms"])
        rows.append(
            {
                "figure": f"p50 growth {a['taxpayers']:,} → {b['taxpayers']:,} taxpayers, "
                "TIN / name-only",
                "target": "≤ 20% / ≤ 20%" if b["taxpayers"] >= 1_000_000 else "(1M: bench-full)",
                "measured": f"{tin_g:+.0f}% / {name_g:+.0f}% ({a['tin_p50_ms']:.1f} → "
                f"{b['tin_p50_ms']:.1f} ms / {a['name_only_p50_ms']:.1f} → "
                f"{b['name_only_p50_ms']:.1f} ms)",
                "met": tin_g <= 20 and name_g <= 20 if b["taxpayers"] >= 1_000_000 else None,
            }
        )
    h = r["history"]
    side = h["interleaved"]
    rows.append(
        {
            "figure": f"p50 after {side['history']['history']:,} earlier lookups vs on an "
            "empty history (two gateways, alternating batches)",
            "target": "≤ 10%",
            "measured": f"{h['growth_pct']:+.1f}% ({side['empty']['p50_ms']:.1f} → "
            f"{side['history']['p50_ms']:.1f} ms); the same gateway over time, minutes "
            f"apart: {h['points'][0]['p50_ms']:.1f} → {h['points'][-1]['p50_ms']:.1f} ms",
            "met": h["growth_pct"] <= 10,
        }
    )
    for run in r.get("bulk", {}).get("runs", []):
        rows.append(
            {
                "figure": f"one request with {run['subjects']:,} subjects, end to end",
                "target": "≤ 2 s" if run["subjects"] == 10_000 else "—",
                "measured": f"{run['request_s']:.1f} s (datastore {run['datastore_s']:.1f} s)",
                "met": run["request_s"] <= 2 if run["subjects"] == 10_000 else None,
            }
        )
    return rows


def _print(rows: list[dict[str, Any]], r: dict[str, Any]) -> None:
    table = Table(title="Issue 11 targets (one run; see load average)")
    for col in ("figure", "target", "measured", "met"):
        table.add_column(col)
    for row in rows:
        met = {True: "yes", False: "no", None: ""}[row["met"]]
        table.add_row(row["figure"], row["target"], row["measured"], met)
    Console().print(table)
    m = r["machine"]
    Console().print(
        f"{m['nproc']} CPUs, {m['memory_gib']} GiB; load average {m['load_average_before']} "
        f"before, {m['load_average_after']} after; {r['wall_s']:.0f} s wall"
    )


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--full", action="store_true", help="add 1M taxpayers, 100k history, bulk")
    ap.add_argument("--workers", type=int, default=None, help="gateway serve --workers")
    ap.add_argument("--taxpayers", type=int, default=10_000, help="the main gateway's store")
    ap.add_argument("--populations", type=int, nargs="*", default=None)
    ap.add_argument("--floor-samples", type=int, default=500)
    ap.add_argument("--sequential", type=int, default=300)
    ap.add_argument("--name-only", type=int, default=100)
    ap.add_argument("--rate", type=float, default=50.0)
    ap.add_argument("--open-seconds", type=float, default=30.0)
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16, 64])
    ap.add_argument("--seconds", type=float, default=8.0, help="per closed-loop level")
    ap.add_argument("--history", type=int, default=None)
    ap.add_argument("--history-lookups", type=int, default=150)
    ap.add_argument("--population-lookups", type=int, default=200)
    ap.add_argument("--bulk", type=int, nargs="*", default=None)
    ap.add_argument("--bulk-repeat", type=int, default=1)
    ap.add_argument("--bulk-taxpayers", type=int, default=100_000)
    ap.add_argument("--cache-from", type=int, default=1_000_000, help="cache seeded stores ≥ this")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--chart-only", type=Path, default=None, help="redraw the PNG of a JSON")
    args = ap.parse_args(argv)
    if args.populations is None:
        args.populations = [100_000, 1_000_000] if args.full else [100_000]
    if args.history is None:
        args.history = 100_000 if args.full else 20_000
    if args.bulk is None:
        args.bulk = [1_000, 10_000] if args.full else []
    if args.out is None:
        args.out = RESULTS / ("bench-full.json" if args.full else "bench.json")
    if args.workers is not None and not serve_supports_workers():
        ap.error("this gateway serve has no --workers option")
    return args


def _measure(args: argparse.Namespace, result: dict[str, Any]) -> None:
    """All phases; ``result`` is filled as they finish, so a failure keeps what was done."""
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    # Kept when the run fails: the gateway's own log (serve.stderr in each home) says why.
    tmp = tempfile.mkdtemp(prefix="gateway-bench-")
    result["work_dir"] = tmp
    shutil.copytree(REPO / "policies", Path(tmp) / "policies")
    result["policies_copied_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    with Progress(*columns, console=console) as progress:
        ph = Phases(progress)
        result["phase_seconds"] = ph.seconds
        _main_gateway(args, Path(tmp), ph, result)
        points = [
            {
                "taxpayers": args.taxpayers,
                "tin_p50_ms": result["sequential"]["tin"]["p50_ms"],
                "name_only_p50_ms": result["sequential"]["name_only"]["p50_ms"],
            }
        ]
        points += [_population(args, Path(tmp), n, ph) for n in args.populations]
        result["taxpayers"] = {"points": points}
        if args.bulk:
            result["bulk"] = _bulk(args, Path(tmp), ph)
    if not load.unexpected:
        shutil.rmtree(tmp)
        del result["work_dir"]


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    if args.chart_only:
        chart.draw(json.loads(args.chart_only.read_text()), args.chart_only.with_suffix(".png"))
        return
    started = time.perf_counter()
    result: dict[str, Any] = {"machine": machine.describe(), "workers": args.workers}
    try:
        _measure(args, result)
    except (BenchFailedError, httpx.HTTPError) as exc:
        # What was measured before the failure is kept, beside (not over) the last good run.
        result["error"] = f"{type(exc).__name__}: {exc}"
        result["machine"]["load_average_after"] = machine.load_average()
        failed = args.out.with_name(args.out.stem + "-failed.json")
        failed.parent.mkdir(parents=True, exist_ok=True)
        failed.write_text(json.dumps(result, indent=1) + "\n")
        console.print(
            f"[bold red]benchmark failed:[/] {exc}\n(partial figures in {failed}; "
            f"the gateway's log under {result['work_dir']})"
        )
        raise SystemExit(1) from None
    result["machine"]["load_average_after"] = machine.load_average()
    result["wall_s"] = round(time.perf_counter() - started, 1)
    rows = _targets(result)
    result["targets"] = rows
    result["ratios"] = {
        "sequential_p50_over_floor": round(
            result["sequential"]["tin"]["p50_ms"] / result["floor"]["total_ms"], 2
        ),
        "name_only_p50_over_floor": round(
            result["sequential"]["name_only"]["p50_ms"] / result["floor"]["total_ms"], 2
        ),
        "open_loop_p50_over_floor": round(
            result["open_loop"]["p50_ms"] / result["floor"]["total_ms"], 2
        ),
        "opa_share_of_p50": round(
            result["floor"]["opa_rest"]["p50_ms"] / result["sequential"]["tin"]["p50_ms"], 2
        ),
    }
    out = args.out
    if load.unexpected:  # figures kept for diagnosis, beside (not over) the last good run
        result["unexpected_answers"] = len(load.unexpected)
        out = args.out.with_name(args.out.stem + "-failed.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    chart.draw(result, out.with_suffix(".png"))
    _print(rows, result)
    console.print(f"wrote {out} and {out.with_suffix('.png')}")
    if load.unexpected:
        console.print(
            f"[bold red]{len(load.unexpected)} unexpected answers[/], e.g. "
            f"{sorted(set(load.unexpected))[:3]}; the gateway's log under {result['work_dir']}"
        )
        raise SystemExit(1)


if __name__ == "__main__":
    main()
