"""The run's PNG: four panels from the JSON the run writes (so a chart can be redrawn
from an old ``bench.json`` with ``python bench/run.py --chart-only FILE``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on the machine; set before pyplot is imported

import matplotlib.pyplot as plt


def _cdf(ax: Any, samples: list[float], label: str) -> None:
    ordered = sorted(samples)
    n = len(ordered)
    ax.plot(ordered, [(i + 1) / n for i in range(n)], label=f"{label} (n={n})")


def draw(result: dict[str, Any], out: Path) -> None:
    samples: dict[str, list[float]] = result["samples"]
    floor = result["floor"]["total_ms"]
    fig, axes = plt.subplots(2, 2, figsize=(12, 9))
    (dist, thr), (pop, hist) = axes

    for key, label in (
        ("sequential", "sequential, one client"),
        ("open_loop", f"open loop {result['open_loop']['rate']:g}/s"),
    ):
        if samples.get(key):
            _cdf(dist, samples[key], label)
    dist.axvline(floor, color="grey", linestyle=":", label=f"floor {floor:.1f} ms")
    dist.axvline(2 * floor, color="grey", linestyle="--", label="2 × floor")
    dist.set_xscale("log")
    dist.set_xlabel("latency, ms (open loop: from the scheduled send)")
    dist.set_ylabel("fraction of lookups")
    dist.set_title("Latency distribution, single-subject lookup")
    dist.legend(fontsize=8)
    dist.grid(alpha=0.3)

    levels = result["throughput"]["levels"]
    thr.plot([lv["clients"] for lv in levels], [lv["per_second"] for lv in levels], marker="o")
    thr.axhline(500, color="grey", linestyle="--", label="target 500/s")
    thr.set_xscale("log", base=2)
    thr.set_xlabel("concurrent clients (closed loop)")
    thr.set_ylabel("decided lookups/s, every answer in the log")
    thr.set_title("Throughput against clients")
    thr.legend(fontsize=8)
    thr.grid(alpha=0.3)

    points = result["taxpayers"]["points"]
    xs = [p["taxpayers"] for p in points]
    pop.plot(xs, [p["tin_p50_ms"] for p in points], marker="o", label="TIN, p50")
    pop.plot(xs, [p["name_only_p50_ms"] for p in points], marker="s", label="name only, p50")
    pop.axhline(floor, color="grey", linestyle=":", label="floor")
    pop.set_xscale("log")
    pop.set_xlabel("taxpayers in the datastore")
    pop.set_ylabel("ms")
    pop.set_title("Sequential lookup p50 against taxpayers")
    pop.legend(fontsize=8)
    pop.grid(alpha=0.3)

    hpoints = result["history"]["points"]
    hist.plot(
        [max(p["history"], 1) for p in hpoints],
        [p["p50_ms"] for p in hpoints],
        marker="o",
        label="TIN lookup, p50",
    )
    hist.axhline(floor, color="grey", linestyle=":", label="floor")
    hist.set_xscale("log")
    hist.set_xlabel("earlier lookups of the agency in the duplicate window")
    hist.set_ylabel("ms")
    hist.set_title("Sequential lookup p50 against history size")
    hist.legend(fontsize=8)
    hist.grid(alpha=0.3)

    m = result["machine"]
    fig.suptitle(
        f"make bench {m['date_utc']} · {m['git_commit'][:8]} · {m['nproc']} CPUs · load "
        f"{m['load_average_before'][0]} → {m['load_average_after'][0]}",
        fontsize=10,
    )
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
