"""Lookups over HTTP against a running gateway: sequential, open loop, closed loop.

Every answer is checked (:func:`suite.server.check_answer`: 200, an outcome, a
``log_index``), every ``log_index`` must be new. Anything else (another status, a
reset connection) is not timed, is counted in its phase's ``errors`` and in
:data:`unexpected`, and makes the whole run exit non-zero once the remaining
phases are measured: a benchmark that counts errors as fast answers measures
nothing, and one that stops at the first error under load measures nothing
either.

Open loop: requests leave on a fixed schedule (``rate`` per second) whether or
not earlier ones were answered, each on whatever connection is free (new ones are
opened as needed), and latency is taken from the *scheduled* send time. A client
that waits for an answer before sending the next request (a closed loop) sends
less when the server stalls and so hides the stall from its own figures
(coordinated omission); this one does not.

Closed loop: ``clients`` concurrent clients, each sending its next lookup as soon
as the previous one is answered, for ``seconds``; the first second is not counted
(connections opening, queues filling), so the rate is answers completed in the
steady window divided by its length. The window ends early if the prepared
lookups run out (each is about a taxpayer nobody asked about yet).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from suite.server import LOOKUP_PATH, BenchFailedError, Job, check_answer

Tick = Callable[[], None] | None

unexpected: list[str] = []
"""Every unexpected answer of the run, in order (bench/run.py exits 1 if there is one)."""


@dataclass
class Answers:
    """What came back: latencies in ms, log indexes and outcomes, checked as they arrive."""

    latencies_ms: list[float] = field(default_factory=list)
    log_indexes: set[int] = field(default_factory=set)
    outcomes: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        self.errors.append(message[:300])
        unexpected.append(message[:300])

    def take(self, status: int, content: bytes, elapsed_ms: float, subjects: int = 1) -> bool:
        """Record the answer if it is a decided lookup; False (an error) if it is not."""
        try:
            answer = check_answer(status, content, subjects)
        except BenchFailedError as exc:
            self.fail(str(exc))
            return False
        index = answer["log_index"]
        if index in self.log_indexes:
            self.fail(f"log index {index} answered twice")
            return False
        self.log_indexes.add(index)
        self.outcomes[answer["outcome"]] = self.outcomes.get(answer["outcome"], 0) + 1
        self.latencies_ms.append(elapsed_ms)
        return True

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies_ms) or [float("nan")]
        n = len(self.latencies_ms)
        return {
            "requests": n,
            "p50_ms": round(statistics.median(ordered), 2),
            "p95_ms": round(ordered[max(int(n * 0.95) - 1, 0)], 2),
            "p99_ms": round(ordered[max(int(n * 0.99) - 1, 0)], 2),
            "max_ms": round(ordered[-1], 2),
            "outcomes": dict(sorted(self.outcomes.items())),
            "errors": len(self.errors),
            "error_samples": sorted(set(self.errors))[:3],
        }


KEEPALIVE_EXPIRY_SECONDS = 2.0
"""How long the benchmark keeps an idle connection for reuse: well under the gateway's
``GATEWAY_HTTP_KEEP_ALIVE_SECONDS`` (5 s by default). With both at 5 s (httpx's default),
a client slowed by a loaded machine could send on a connection in the instant the
gateway closed it as idle, and read a reset (``ReadError``) instead of an answer: the
keep-alive race every HTTP client must stay clear of, not a refusal by the gateway."""


def sequential(url: str, jobs: list[Job], warmup: int = 5, tick: Tick = None) -> Answers:
    """One client, one lookup at a time over a keep-alive connection; the first ``warmup``
    answers are checked but not timed."""
    answers, warm = Answers(), Answers()
    limits = httpx.Limits(keepalive_expiry=KEEPALIVE_EXPIRY_SECONDS)
    with httpx.Client(base_url=url, timeout=60, limits=limits) as client:
        for i, job in enumerate(jobs):
            into = warm if i < warmup else answers
            t0 = time.perf_counter()
            try:
                r = client.post(LOOKUP_PATH, content=job.body, headers=job.headers)
            except httpx.HTTPError as exc:
                into.fail(f"{type(exc).__name__}: {exc}")
                continue
            elapsed = (time.perf_counter() - t0) * 1000
            into.take(r.status_code, r.content, elapsed)
            if tick is not None:
                tick()
    answers.log_indexes |= warm.log_indexes
    answers.errors += warm.errors
    return answers


def open_loop(url: str, jobs: list[Job], rate: float, tick: Tick = None) -> Answers:
    return asyncio.run(_open_loop(url, jobs, rate, tick))


async def _open_loop(url: str, jobs: list[Job], rate: float, tick: Tick) -> Answers:
    answers = Answers()
    limits = httpx.Limits(
        max_connections=1000,
        max_keepalive_connections=1000,
        keepalive_expiry=KEEPALIVE_EXPIRY_SECONDS,
    )
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.2

        async def one(i: int, job: Job) -> None:
            scheduled = start + i / rate
            await asyncio.sleep(max(0.0, scheduled - loop.time()))
            try:
                r = await client.post(LOOKUP_PATH, content=job.body, headers=job.headers)
            except httpx.HTTPError as exc:
                answers.fail(f"{type(exc).__name__}: {exc}")
                return
            answers.take(r.status_code, r.content, (loop.time() - scheduled) * 1000)
            if tick is not None:
                tick()

        await asyncio.gather(*(one(i, job) for i, job in enumerate(jobs)))
    return answers


@dataclass
class Throughput:
    clients: int
    answers: Answers
    per_second: float
    window_s: float


def closed_loop(
    url: str, jobs: list[Job], clients: int, seconds: float, tick: Tick = None
) -> Throughput:
    return asyncio.run(_closed_loop(url, jobs, clients, seconds, tick))


async def _closed_loop(
    url: str, jobs: list[Job], clients: int, seconds: float, tick: Tick
) -> Throughput:
    answers = Answers()
    queue = iter(jobs)
    limits = httpx.Limits(
        max_connections=clients,
        max_keepalive_connections=clients,
        keepalive_expiry=KEEPALIVE_EXPIRY_SECONDS,
    )
    done_at: list[float] = []
    exhausted: list[float] = []
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        loop = asyncio.get_running_loop()
        start = loop.time()
        window_start, deadline = start + 1.0, start + seconds

        async def worker() -> None:
            while loop.time() < deadline:
                job = next(queue, None)
                if job is None:  # fewer taxpayers left than this rate needs: a shorter window
                    exhausted.append(loop.time())
                    return
                t0 = loop.time()
                try:
                    r = await client.post(LOOKUP_PATH, content=job.body, headers=job.headers)
                except httpx.HTTPError as exc:
                    answers.fail(f"{type(exc).__name__}: {exc}")
                    continue
                done = loop.time()
                if answers.take(r.status_code, r.content, (done - t0) * 1000):
                    done_at.append(done)
                if tick is not None:
                    tick()

        await asyncio.gather(*(worker() for _ in range(clients)))
    window_end = min([deadline, *exhausted])
    if window_end - window_start < 1.0:
        raise BenchFailedError(f"{clients} clients: prepared lookups ran out within 2 s; seed more")
    counted = sum(1 for t in done_at if window_start <= t <= window_end)
    window = window_end - window_start
    return Throughput(clients, answers, counted / window, window)
