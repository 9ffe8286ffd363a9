"""Shadow mode: a candidate policy decides live traffic beside the active one, for the record only.

Replay (``gateway.pdp.replay``) shows a change's impact on the past; shadow mode
shows it on requests as they arrive, before the change is active. An operator
starts it on a candidate (a policy directory, or a revision the gateway still
keeps a snapshot of) and stops it when satisfied.

What it must never do, and how it is kept from doing it:

* **change what is disclosed**: the candidate sees a lookup only after its answer
  is final and logged (``gateway.pep`` hands over the policy input and the active
  decision after step 8); what the candidate says is compared, never acted on.
* **slow or fail a lookup**: hand-over is a ``put_nowait`` onto a bounded queue; a
  worker thread asks the candidate's own OPA (a separate process on its own
  snapshot, like the active one). When the queue is full the lookup is dropped
  from the comparison and counted (``dropped``); a candidate that errs is counted
  (``failed``). Neither is ever the requester's concern.

Each difference (a subject whose outcome or rules differ, outcomes read through
the request-level effect as in the pipeline, see ``gateway.pdp.replay``) is a
``shadow_difference`` leaf of the decision log: decision id, agency, both
revisions, and per subject the active and candidate outcome and rules. No
taxpayer, ref or request id is in it; the decision leaf it names holds those,
sealed.
"""

from __future__ import annotations

import json
import queue
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import select

from gateway.audit.canonical import JsonValue, canonical_json
from gateway.audit.log import DecisionLog
from gateway.audit.record import RECORD_VERSION
from gateway.audit.tables import LOG_ENTRY
from gateway.clock import Clock
from gateway.errors import ConflictError, InvalidRequestError, NotFoundError
from gateway.pdp.decision import Decision
from gateway.pdp.opa import OpaPolicyEngine
from gateway.pdp.process import LocalOpa
from gateway.pdp.replay import change_type, differing, subject_verdicts
from gateway.pdp.revision import policy_revision
from gateway.settings import Settings

log = structlog.get_logger(__name__)

KIND = "shadow_difference"
QUEUE_SIZE = 256
"""Lookups waiting for the candidate; beyond this, new ones are dropped and counted."""
CANDIDATE_TIMEOUT_SECONDS = 5.0
"""The candidate's own deadline per decision: it delays nobody but the shadow worker."""

Recorder = Callable[[bytes, datetime], None]


class CandidateError(InvalidRequestError):
    """The candidate policy cannot be used (OPA refuses it, or it decides nothing usable)."""

    type_slug = "shadow-candidate-refused"


@dataclass
class ShadowRun:
    candidate_revision: str
    source: str
    started_by: str
    started_at: datetime
    active_revision: str | None = None
    evaluated: int = 0
    differences: int = 0
    dropped: int = 0
    failed: int = 0
    stopped_at: datetime | None = None
    stopped_by: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, name: str) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + 1)

    def as_json(self) -> dict[str, Any]:
        with self._lock:
            return {
                "candidate_revision": self.candidate_revision,
                "source": self.source,
                "started_by": self.started_by,
                "started_at": self.started_at.isoformat(),
                "stopped_by": self.stopped_by,
                "stopped_at": self.stopped_at.isoformat() if self.stopped_at else None,
                "running": self.stopped_at is None,
                "evaluated": self.evaluated,
                "differences": self.differences,
                "dropped": self.dropped,
                "failed": self.failed,
            }


@dataclass(frozen=True)
class _Job:
    decision_id: str
    agency: str
    active_revision: str
    policy_input: dict[str, Any]
    active: Decision


def difference_record(
    *,
    job: _Job,
    candidate_revision: str,
    at: datetime,
    subjects: list[JsonValue],
) -> bytes:
    """The canonical bytes of a ``shadow_difference`` leaf."""
    return canonical_json(
        {
            "v": RECORD_VERSION,
            "kind": KIND,
            "decision_id": job.decision_id,
            "agency": job.agency,
            "detected_at": at.isoformat(),
            "active_revision": job.active_revision,
            "candidate_revision": candidate_revision,
            "subjects": tuple(subjects),
        }
    )


def compare(active: Decision, candidate: Decision) -> list[JsonValue]:
    """Per differing subject: position, change type, both outcomes and rule lists."""
    return [
        {
            "position": position,
            "change": change_type(a.outcome, c.outcome),
            "active": {"outcome": a.outcome, "rules": tuple(sorted(a.rules))},
            "candidate": {"outcome": c.outcome, "rules": tuple(sorted(c.rules))},
        }
        for position, a, c in differing(subject_verdicts(active), subject_verdicts(candidate))
    ]


class ShadowMode:
    """At most one candidate at a time, started and stopped by an operator."""

    def __init__(self, settings: Settings, clock: Clock, *, queue_size: int = QUEUE_SIZE) -> None:
        self._settings = settings
        self._clock = clock
        self._queue_size = queue_size
        self._lock = threading.Lock()
        self._run: ShadowRun | None = None
        self._last: ShadowRun | None = None
        self._queue: queue.Queue[_Job] | None = None
        self._stop: threading.Event | None = None
        self._worker: threading.Thread | None = None
        self._local: LocalOpa | None = None
        self._engine: OpaPolicyEngine | None = None
        self.record: Recorder | None = None

    @property
    def snapshots_dir(self) -> Path:
        return self._settings.home / "shadow-snapshots"

    def status(self) -> dict[str, Any] | None:
        """The running comparison, else the last one (counts as it stopped), else None."""
        run = self._run or self._last
        return None if run is None else run.as_json()

    def _resolve(self, candidate: Path | None, revision: str | None) -> tuple[Path, str]:
        if (candidate is None) == (revision is None):
            raise InvalidRequestError("give either a candidate directory or a revision")
        if candidate is not None:
            if not candidate.is_dir():
                raise NotFoundError(f"no policy directory at {candidate}")
            return candidate, str(candidate)
        wanted = str(revision)
        kept = self._settings.home / "policy-snapshots"
        folder = kept / wanted.removeprefix("sha256:")[:24]
        if not folder.is_dir() or policy_revision(folder) != wanted:
            raise NotFoundError(f"no kept snapshot of revision {wanted}")
        return folder, wanted

    def start(
        self, *, candidate: Path | None, revision: str | None, operator: str
    ) -> dict[str, Any]:
        """Check the candidate with OPA, start its own OPA and the worker; 409 if one runs."""
        from gateway.pdp.manager import PolicyCheckFailedError, smoke_test, snapshot

        with self._lock:
            if self._run is not None:
                raise ConflictError(
                    f"a shadow policy ({self._run.candidate_revision}) is already running; "
                    "stop it first"
                )
            source_dir, source = self._resolve(candidate, revision)
            shutil.rmtree(self.snapshots_dir, ignore_errors=True)  # one candidate at a time
            self.snapshots_dir.mkdir(parents=True)
            directory, candidate_revision, _ = snapshot(source_dir, self.snapshots_dir)
            local = LocalOpa(
                self._settings.opa_binary,
                directory,
                start_timeout_seconds=self._settings.opa_start_timeout_seconds,
                log_path=self._settings.home / "opa-shadow.log",
            )
            try:
                local.start()
            except Exception as exc:
                said = getattr(exc, "detail", str(exc))
                raise CandidateError(
                    "OPA does not load the candidate: "
                    + said.replace(str(directory), str(source_dir))
                ) from exc
            engine = OpaPolicyEngine(local.url, timeout_seconds=CANDIDATE_TIMEOUT_SECONDS)
            try:
                smoke_test(engine, directory)
            except PolicyCheckFailedError as exc:
                engine.close()
                local.stop()
                raise CandidateError(f"the candidate's decisions are not usable: {exc}") from exc
            self._local, self._engine = local, engine
            self._queue = queue.Queue(maxsize=self._queue_size)
            self._stop = threading.Event()
            self._run = ShadowRun(
                candidate_revision=candidate_revision,
                source=source,
                started_by=operator,
                started_at=self._clock.now(),
            )
            self._worker = threading.Thread(
                target=self._work,
                args=(self._run, self._queue, self._stop, engine),
                name="policy-shadow",
                daemon=True,
            )
            self._worker.start()
            log.info("shadow.started", candidate_revision=candidate_revision, operator=operator)
            return self._run.as_json()

    def stop(self, operator: str) -> dict[str, Any] | None:
        """Stop comparing (lookups still queued are not compared); None if none was running."""
        with self._lock:
            run, self._run = self._run, None
            if run is None:
                return None
            if self._stop is not None:
                self._stop.set()
            if self._worker is not None:
                self._worker.join(timeout=CANDIDATE_TIMEOUT_SECONDS + 5)
            if self._engine is not None:
                self._engine.close()
            if self._local is not None:
                self._local.stop()
            self._worker = self._engine = self._local = self._queue = self._stop = None
            with run._lock:
                run.stopped_at, run.stopped_by = self._clock.now(), operator
            self._last = run
            log.info("shadow.stopped", candidate_revision=run.candidate_revision, operator=operator)
            return run.as_json()

    def submit(
        self, decision_id: str, active_revision: str, policy_input: dict[str, Any], active: Decision
    ) -> None:
        """Hand a decided lookup to the candidate; never blocks, never raises."""
        try:
            run, jobs = self._run, self._queue
            if run is None or jobs is None:
                return
            requester = policy_input.get("requester") or {}
            agency = str(requester.get("agency_id", "")) if isinstance(requester, dict) else ""
            try:
                jobs.put_nowait(_Job(decision_id, agency, active_revision, policy_input, active))
            except queue.Full:
                run.count("dropped")
        except Exception as exc:  # the lookup's answer is final; nothing here may touch it
            log.error("shadow.submit_failed", error=type(exc).__name__)

    def _work(
        self,
        run: ShadowRun,
        jobs: queue.Queue[_Job],
        stop: threading.Event,
        engine: OpaPolicyEngine,
    ) -> None:
        while not stop.is_set():
            try:
                job = jobs.get(timeout=0.2)
            except queue.Empty:
                continue
            try:
                subjects = compare(job.active, engine.decide(job.policy_input))
                run.count("evaluated")
                if subjects and self.record is not None:
                    at = self._clock.now()
                    self.record(
                        difference_record(
                            job=job,
                            candidate_revision=run.candidate_revision,
                            at=at,
                            subjects=subjects,
                        ),
                        at,
                    )
                    run.count("differences")
            except Exception as exc:
                run.count("failed")
                log.warning("shadow.decision_failed", error=str(exc)[:300])
            finally:
                jobs.task_done()

    def drain(self, timeout_seconds: float) -> bool:
        """Wait until the queue is empty and its last job done (tests and shutdown)."""
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            jobs, run = self._queue, self._run
            if jobs is None or run is None:
                return True
            if jobs.unfinished_tasks == 0:
                return True
            time.sleep(0.02)
        return False


def read_differences(log: DecisionLog, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Every ``shadow_difference`` leaf, newest first, with its log index.

    Found by kind in the database, like ``gateway.pdp.history.read_history`` (a scan of
    the kind column: the log has no index on it; paid only when someone looks).
    """
    t = LOG_ENTRY
    query = select(t.c.idx, t.c.body).where(t.c.kind == KIND).order_by(t.c.idx.desc())
    if limit is not None:
        query = query.limit(limit)
    with log.engine.connect() as conn:
        rows = conn.execute(query).all()
    return [{"log_index": int(idx), **json.loads(bytes(body))} for idx, body in rows]
