"""Prometheus metrics: what an operator watches to know the gateway decides, logs and keeps up.

Two kinds, both rendered by ``GET /metrics`` (:mod:`gateway.api.metrics`):

* **Events**, counted where they happen, in this process's own registry
  (:data:`REGISTRY`, not prometheus-client's global one, so nothing a library
  registers leaks in): decisions, rule firings, OPA latency, failures and
  restarts, log commits and their batch sizes, policy activations and
  rejections, HTTP requests. The code that sees an event calls one function or
  counter here, one line, so instrumentation never changes control flow.
* **State**, read from the database at scrape time through a
  :class:`StateCollector` (checkpoint age, leaves not yet covered by a
  checkpoint, review backlog): a number computed when asked cannot go stale in a
  process that did not do the work itself (several gateways share one log).

**Several worker processes** (``gateway serve --workers N``): each worker counts
in files of a folder the supervisor empties at start (prometheus-client's
multiprocess mode, ``PROMETHEUS_MULTIPROC_DIR``), and a scrape, whichever worker
answers it, merges them: counters and histograms are the sum over all workers,
dead ones included, so a total never drops when a worker is replaced.
``gateway_worker_http_requests`` and ``gateway_worker_started_seconds`` are the
per-process series (a ``pid`` label, live workers only): how the kernel spreads
connections over the workers, and which workers serve (and since when).

No label carries personal data: labels are agency ids, outcomes, rule ids,
route templates, methods, status codes and fixed failure texts. Never a TIN, a
name, an address, a decision id or anything a caller typed.

This module sits at the bottom of the layers (``pyproject.toml``): every layer
may call it, it imports nothing of the gateway.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

P = ParamSpec("P")
T = TypeVar("T")

REGISTRY = CollectorRegistry(auto_describe=True)

DECISIONS = Counter(
    "gateway_decisions",
    "Lookups decided and logged, by agency and request outcome.",
    ["agency", "outcome"],
    registry=REGISTRY,
)
RULE_FIRINGS = Counter(
    "gateway_rule_firings",
    "Policy findings in logged decisions, by agency and rule id (request and subject level).",
    ["agency", "rule"],
    registry=REGISTRY,
)
DECISION_FAILURES = Counter(
    "gateway_decision_failures",
    "Lookups refused with a 503 and a decision_failure leaf, by stage (decide, record).",
    ["stage"],
    registry=REGISTRY,
)
DECISION_RETRIES = Counter(
    "gateway_decision_retries",
    "Lookups decided again because an identical request committed first (GW-3/GW-3b facts).",
    registry=REGISTRY,
)
OPA_SECONDS = Histogram(
    "gateway_opa_decision_seconds",
    "Time OPA took to answer a decision the gateway could use.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
    registry=REGISTRY,
)
OPA_FAILURES = Counter(
    "gateway_opa_failures",
    "Decisions OPA did not give (timeout, error, malformed answer), by the gateway's reason.",
    ["reason"],
    registry=REGISTRY,
)
OPA_RESTARTS = Counter(
    "gateway_opa_restarts",
    "Times the supervisor replaced a local OPA that had died.",
    registry=REGISTRY,
)
POLICY_ACTIVATIONS = Counter(
    "gateway_policy_activations",
    "Policy revisions activated by a hot reload.",
    registry=REGISTRY,
)
POLICY_REJECTIONS = Counter(
    "gateway_policy_rejections",
    "Policy changes refused by the checks (opa check/test, ranges, smoke decisions).",
    registry=REGISTRY,
)
LOG_COMMIT_SECONDS = Histogram(
    "gateway_log_commit_seconds",
    "Time to write one batch of leaves to the decision log (one transaction, one fsync).",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
    registry=REGISTRY,
)
LOG_BATCH_LEAVES = Histogram(
    "gateway_log_batch_leaves",
    "Leaves submitted per log commit (group commit batches concurrent appends).",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
    registry=REGISTRY,
)
HTTP_REQUESTS = Counter(
    "gateway_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_SECONDS = Histogram(
    "gateway_http_request_seconds",
    "Time from request to the end of its answer, by route template.",
    ["route"],
    registry=REGISTRY,
)

WORKER_REQUESTS = Gauge(
    "gateway_worker_http_requests",
    "HTTP requests answered by this worker process (a pid label when several serve).",
    multiprocess_mode="liveall",
    registry=REGISTRY,
)
WORKER_STARTED = Gauge(
    "gateway_worker_started_seconds",
    "When this worker process began to serve (Unix time; 0 while it starts; a pid label"
    " when several serve).",
    multiprocess_mode="liveall",
    registry=REGISTRY,
)


_CHILDREN: dict[tuple[object, tuple[str, ...]], Any] = {}


def _child(metric: Counter | Histogram, *values: str) -> Any:
    """``metric.labels(*values)`` (values in the metric's label order), kept once made.

    ``labels()`` checks and looks its arguments up under a lock, about 9 us each, and a
    lookup makes seven or more of them; the children are the same objects
    prometheus_client keeps itself, so the cache is bounded by the (bounded) label space.
    """
    key = (metric, values)
    child = _CHILDREN.get(key)
    if child is None:
        child = _CHILDREN[key] = metric.labels(*values)
    return child


def record_decision(agency: str, outcome: str, rules: Iterable[str]) -> None:
    """Count one logged decision and every rule that fired in it."""
    _child(DECISIONS, agency, outcome).inc()
    for rule in rules:
        _child(RULE_FIRINGS, agency, rule).inc()


def timed_opa_decision(fn: Callable[P, T]) -> Callable[P, T]:
    """Time a decision call; on an exception count it by its fixed ``detail`` text.

    The engine's failure texts are written in the code (``"policy engine answered
    HTTP 500"``), never derived from the input, so they are safe label values.
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        started = time.perf_counter()
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            OPA_FAILURES.labels(reason=str(getattr(exc, "detail", type(exc).__name__))).inc()
            raise
        OPA_SECONDS.observe(time.perf_counter() - started)
        return result

    return wrapper


def timed_log_commit(commit: Callable[[list[T]], None], batch: list[T]) -> None:
    """Run one log commit of ``batch``, recording its duration and size."""
    LOG_BATCH_LEAVES.observe(len(batch))
    with LOG_COMMIT_SECONDS.time():
        commit(batch)


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_request(method: str, route: str | None, status: int, seconds: float) -> None:
    """One answered request; ``route`` is the template, ``"unmatched"`` when none matched.

    A caller chooses the method and the path: anything outside a fixed set is
    folded into ``other`` / ``unmatched``, so no caller can grow the label space.
    """
    template = route or "unmatched"
    verb = method if method in _METHODS else "other"
    _child(HTTP_REQUESTS, verb, template, str(status)).inc()
    _child(HTTP_SECONDS, template).observe(seconds)
    WORKER_REQUESTS.inc()


@dataclass(frozen=True)
class GatewayState:
    """What the database says now; read once per scrape."""

    log_size: int
    checkpoint_size: int | None
    checkpoint_age_seconds: float | None
    review_backlog: Mapping[str, int] = field(default_factory=dict)


class StateCollector(Collector):
    """Gauges computed at scrape time from ``read()``; a failed read yields no state gauges
    and ``gateway_state_read_ok 0``, so a scrape never hangs on or hides a database outage."""

    def __init__(self, read: Callable[[], GatewayState]) -> None:
        self._read = read

    def collect(self) -> Iterator[Metric]:
        ok = GaugeMetricFamily(
            "gateway_state_read_ok", "1 if the state gauges below could be read from the database."
        )
        try:
            state = self._read()
        except Exception:
            ok.add_metric([], 0)
            yield ok
            return
        ok.add_metric([], 1)
        yield ok
        yield GaugeMetricFamily("gateway_log_leaves", "Leaves in the decision log.", state.log_size)
        covered = state.checkpoint_size or 0
        yield GaugeMetricFamily(
            "gateway_log_unpublished_leaves",
            "Leaves no signed checkpoint covers yet.",
            max(state.log_size - covered, 0),
        )
        if state.checkpoint_age_seconds is not None:
            yield GaugeMetricFamily(
                "gateway_checkpoint_age_seconds",
                "Seconds since the newest signed checkpoint was published.",
                state.checkpoint_age_seconds,
            )
        backlog = GaugeMetricFamily(
            "gateway_review_backlog",
            "Subjects waiting for a disclosure officer, by agency.",
            labels=["agency"],
        )
        for agency, count in sorted(state.review_backlog.items()):
            backlog.add_metric([agency], count)
        yield backlog


def forget_dead_workers(directory: Path) -> None:
    """Drop the per-process series of workers that are gone (killed, so they could not
    say so themselves); their counts stay in the sums."""
    for path in directory.glob("gauge_live*_*.db"):
        pid = path.stem.rpartition("_")[2]
        if pid.isdigit() and not process_alive(int(pid)):
            multiprocess.mark_process_dead(int(pid), str(directory))  # type: ignore[no-untyped-call]


def worker_stopped(directory: Path) -> None:
    """A worker that stops in order removes its per-process series."""
    multiprocess.mark_process_dead(os.getpid(), str(directory))  # type: ignore[no-untyped-call]


def process_alive(pid: int) -> bool:
    """Whether a process with this id exists (one we may not signal exists too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def render(state: Collector | None = None, merged_dir: Path | None = None) -> bytes:
    """The text exposition of every event metric, and of ``state`` when given.

    ``merged_dir``: the folder of the worker processes' metric files (several
    workers serve); the events are then the merge of every worker's.
    """
    if merged_dir is None:
        text = generate_latest(REGISTRY)
    else:
        merged = CollectorRegistry(auto_describe=False)
        multiprocess.MultiProcessCollector(merged, path=str(merged_dir))  # type: ignore[no-untyped-call]
        text = generate_latest(merged)
    if state is None:
        return text
    scrape = CollectorRegistry(auto_describe=False)
    scrape.register(state)
    return text + generate_latest(scrape)
