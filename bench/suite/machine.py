"""What a run was measured on, and how busy it was: figures from a shared two-core
machine mean little without the load average beside them."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from suite.server import OPA_BINARY, REPO


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args],  # noqa: S607 - the developer's git, as make uses it
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def describe() -> dict[str, Any]:
    opa = subprocess.run(
        [str(OPA_BINARY), "version"], capture_output=True, text=True, check=False
    ).stdout.splitlines()
    return {
        "date_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "nproc": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "cpu_model": next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        ),
        "python": platform.python_version(),
        "opa": opa[0] if opa else "unknown",
        "load_average_before": load_average(),
    }
