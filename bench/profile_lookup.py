"""Where the gateway's own Python CPU goes in a single-subject lookup (issue 11's profile).

Starts ``gateway serve --workers 1`` (one process, so one profile) on a seeded
home, sends ``--warmup`` lookups, then samples that process with ``py-spy``
(only threads holding the GIL, i.e. running Python: waiting for OPA or the
disk is not counted) while it
answers ``--requests`` sequential lookups, each about another taxpayer with its
own token minted beforehand, as ``bench/lookup_bench.py`` sends them. Prints the
sequential median and the top functions by self time and by cumulative time, as
a share of all GIL-holding samples and as milliseconds per lookup.

    uv run python bench/profile_lookup.py --requests 400 --out bench/results/profile-lookup.txt
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from suite.server import LOOKUP_PATH, People, Served, check_answer, make_home


def _frame_key(frame: str) -> str:
    """``function (path/to/module.py:line)`` as ``function (module.py)``: lines merged."""
    name, _, where = frame.partition(" (")
    path = where.rsplit(":", 1)[0].rstrip(")")
    parts = path.split("/")
    for anchor in ("site-packages", "gateway", "python3.11"):
        if anchor in parts:
            parts = parts[parts.index(anchor) + (anchor != "gateway") :]
            break
    return f"{name} ({'/'.join(parts[-3:])})"


_GENERIC = (
    "threading.py",
    "typer/",
    "click/",
    "asyncio/runners.py",
    "uvicorn/server.py",
    "uvicorn/_compat.py",
    "<module> (gateway)",
    "gateway/cli.py",
    "gateway/api/server.py",
    "run_forever",
    "_run_once",
    "WorkerThread.run",
    "run_until_complete",
)
"""Frames every sample of a thread passes through: they say nothing about the cost."""

_COMPONENTS = (
    ("jwt/", "PyJWT (token decode/verify)"),
    ("cryptography/", "cryptography"),
    ("sqlalchemy/", "SQLAlchemy"),
    ("rfc8785/", "canonical JSON (rfc8785)"),
    ("structlog/", "structlog"),
    ("prometheus_client/", "prometheus_client"),
    ("pydantic", "pydantic"),
    ("fastapi/", "FastAPI (routing, dependencies)"),
    ("starlette/", "Starlette"),
    ("h11/", "uvicorn + h11 (HTTP)"),
    ("uvicorn/", "uvicorn + h11 (HTTP)"),
    ("httpx/", "httpx/httpcore (OPA client)"),
    ("httpcore/", "httpx/httpcore (OPA client)"),
    ("anyio/", "anyio (thread-pool hop)"),
    ("json/", "stdlib json"),
    ("asyncio/", "asyncio event loop"),
    ("selectors.py", "asyncio event loop"),
    ("threading.py", "threading (locks, conditions)"),
)


def _component(frames: list[str]) -> str:
    """The library (or gateway module) nearest the leaf of a sample's stack."""
    for frame in reversed(frames):
        for needle, name in _COMPONENTS:
            if needle in frame:
                return name
        if "(gateway/" in frame:
            return "gateway: " + frame.split("(gateway/", 1)[1].rstrip(")")
    return "other: " + frames[-1]


def tables(raw: Path, lookups: int, top: int) -> str:
    """Component, self and cumulative tables from py-spy's collapsed-stack output."""
    own: Counter[str] = Counter()
    cumulative: Counter[str] = Counter()
    components: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = [_frame_key(f) for f in stack.split(";")]
        frames = [f for f in frames if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        components[_component(frames)] += count
        for frame in set(frames):
            if not any(g in frame for g in _GENERIC):
                cumulative[frame] += count
    if total == 0:
        return "no samples\n"
    out = []
    for title, counter in (
        ("component (nearest the leaf)", components),
        ("self time", own),
        ("cumulative time", cumulative),
    ):
        out.append(f"top {top} by {title} ({total} GIL-holding samples)")
        out.append(f"{'%':>6} {'ms/lookup':>9}  function (module)")
        for frame, count in counter.most_common(top):
            share = count / total
            out.append(f"{share * 100:6.1f} {count * MS_PER_SAMPLE / lookups:9.3f}  {frame}")
        out.append("")
    return "\n".join(out)


def _cpu_seconds(pid: int) -> tuple[float, float]:
    """User plus system CPU of process ``pid`` (all its threads, not its children)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


RATE = 1000
MS_PER_SAMPLE = 1000 / RATE


@contextmanager
def sampling(pid: int, raw: Path) -> Iterator[None]:
    """py-spy samples ``pid`` (GIL-holding threads only) into ``raw`` for the ``with`` body."""
    pyspy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    spy = subprocess.Popen(
        [
            *(pyspy, "record", "--pid", str(pid), "--rate", str(RATE)),
            *("--format", "raw", "--output", str(raw), "--nonblocking", "--gil"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)  # py-spy attaches
    yield
    spy.send_signal(2)  # SIGINT: py-spy writes its file and exits
    spy.wait(timeout=120)


def report(text: str, raw: Path, out: Path | None, keep_raw: Path | None) -> None:
    """Print the tables, and write them (and py-spy's stacks) where the options say."""
    if keep_raw is not None:
        shutil.copyfile(raw, keep_raw)
    print(text)
    if out is not None:
        out.write_text(text)


def arguments(
    description: str | None, taxpayers: int, requests: int, warmup: int
) -> argparse.ArgumentParser:
    """The options both profilers take, with each one's defaults."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--taxpayers", type=int, default=taxpayers)
    ap.add_argument("--requests", type=int, default=requests)
    ap.add_argument("--warmup", type=int, default=warmup)
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--raw", type=Path, default=None, help="keep py-spy's collapsed stacks here")
    return ap


def main() -> None:
    args = arguments(__doc__, taxpayers=4000, requests=400, warmup=30).parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        policies = Path(tmp) / "policies"
        shutil.copytree(REPO / "policies", policies)
        home = make_home(Path(tmp) / "home", args.taxpayers, cache=True, policy_dir=policies)
        people = People(home, args.requests + args.warmup)
        warm = people.jobs(args.warmup)
        jobs = people.jobs(args.requests)
        served = Served(home, workers=1)
        raw = Path(tmp) / "profile.txt"
        samples: list[float] = []
        try:
            with httpx.Client(base_url=served.url, timeout=10) as client:
                for job in warm:
                    r = client.post(LOOKUP_PATH, content=job.body, headers=job.headers)
                    check_answer(r.status_code, r.content)
                with sampling(served._proc.pid, raw):
                    load = os.getloadavg()
                    cpu_before = _cpu_seconds(served._proc.pid)
                    for job in jobs:
                        t0 = time.perf_counter()
                        r = client.post(LOOKUP_PATH, content=job.body, headers=job.headers)
                        samples.append((time.perf_counter() - t0) * 1000)
                        check_answer(r.status_code, r.content)
                    cpu_after = _cpu_seconds(served._proc.pid)
                user, system = (a - b for a, b in zip(cpu_after, cpu_before, strict=True))
        finally:
            served.stop()
        head = (
            f"sequential single-subject lookups, gateway serve --workers 1, py-spy {RATE} Hz\n"
            f"requests={len(samples)} median_ms={statistics.median(samples):.2f} "
            f"p95_ms={sorted(samples)[int(len(samples) * 0.95) - 1]:.2f} "
            f"load_avg_1m={load[0]:.2f}\n"
            f"gateway process CPU per lookup (all threads): user {user * 1e3 / len(samples):.2f}"
            f" ms + system {system * 1e3 / len(samples):.2f} ms\n\n"
        )
        report(head + tables(raw, len(samples), args.top), raw, args.out, args.raw)


if __name__ == "__main__":
    main()
