"""bench/repeat.py quotes medians of whole runs, ratios taken within each run first."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))

from repeat import combine, median_of


def _run(p50: float, floor: float, samples: list[float]) -> dict[str, Any]:
    return {
        "machine": {
            "date_utc": "2026-12-01",
            "load_average_before": [1.0],
            "load_average_after": [1.0],
        },
        "wall_s": 100.0,
        "floor": {
            "total_ms": floor,
            "opa_rest": {"p50_ms": floor - 1},
            "log_append": {"p50_ms": 1.0},
        },
        "sequential": {"tin": {"p50_ms": p50}, "name_only": {"p50_ms": p50}},
        "open_loop": {"rate": 50.0, "seconds": 30.0, "p50_ms": p50, "p99_ms": 3 * p50},
        "throughput": {"best_per_second": 1000 / p50, "best_clients": 4, "levels": []},
        "history": {
            "points": [{"history": n, "p50_ms": p50} for n in (10, 20, 30)],
            "interleaved": {
                "empty": {"p50_ms": p50},
                "history": {"history": 30, "p50_ms": p50},
            },
            "growth_pct": 1.0,
        },
        "taxpayers": {"points": []},
        "ratios": {"sequential_p50_over_floor": round(p50 / floor, 2)},
        "samples": {"sequential": samples},
    }


def test_numbers_are_medians_and_lists_of_samples_come_from_the_median_run() -> None:
    runs = [_run(10.0, 4.0, [1.0]), _run(30.0, 5.0, [3.0]), _run(20.0, 10.0, [2.0])]
    result = combine(runs)
    assert result["sequential"]["tin"]["p50_ms"] == 20.0
    assert result["floor"]["total_ms"] == 5.0
    assert result["samples"]["sequential"] == [2.0]  # the run whose p50 is the median
    assert result["median_of"] == 3
    assert [r["sequential_p50_ms"] for r in result["runs"]] == [10.0, 30.0, 20.0]


def test_the_ratio_to_the_floor_is_the_median_of_per_run_ratios() -> None:
    # Per-run ratios 2.5, 6.0, 2.0: median 2.5, while median p50 / median floor is 4.0.
    runs = [_run(10.0, 4.0, []), _run(30.0, 5.0, []), _run(20.0, 10.0, [])]
    result = combine(runs)
    assert result["ratios"]["sequential_p50_over_floor"] == 2.5
    row = next(r for r in result["targets"] if r["figure"].startswith("single-subject"))
    assert "2.5× floor" in row["measured"]
    assert row["met"] is False


def test_booleans_and_strings_are_not_averaged() -> None:
    assert median_of([True, False, False]) is True
    assert median_of(["a", "b", "c"]) == "a"
    assert median_of([1, 3, 2]) == 2
    assert median_of([[{"x": 1.0}], [{"x": 3.0}], [{"x": 2.0}]]) == [{"x": 2.0}]
