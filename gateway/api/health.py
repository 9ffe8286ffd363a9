"""Liveness and readiness: ``/healthz`` says the process runs, ``/readyz`` that it can decide.

Ready means every step of a lookup could succeed now (API.md: OPA, datastore
and log usable): OPA answers its health check, the datastore answers a query,
and the decision log accepts a write (a leaf written and rolled back; see
:meth:`DecisionLog.check_writable`). For a SQLite database the log is usable
only if the file system it lives on also has at least
``GATEWAY_READINESS_MIN_FREE_BYTES`` free: a rolled-back write never reaches the
disk, so only the free space tells a full disk in advance.

The log is also unready while leaves wait for a checkpoint that does not come: when
the newest signed checkpoint is older than
``GATEWAY_READINESS_CHECKPOINT_MAX_AGE_SECONDS`` and leaves exist that it does not
cover (or none was ever signed). Decisions would still be logged, but nobody
outside could verify them, so a balancer should send agencies elsewhere. An idle
log with an old checkpoint covering every leaf is ready: nothing waits.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.engine import make_url

from gateway.api.deps import ServicesDep
from gateway.audit.checkpoints import Checkpointer
from gateway.settings import Settings

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def sqlite_directory(database_url: str) -> Path | None:
    """The directory holding a SQLite database file; None for PostgreSQL or in-memory."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(str(url.database)).resolve().parent


def has_room(database_url: str, settings: Settings) -> bool:
    """False when a SQLite database's file system has less than the configured free space."""
    directory = sqlite_directory(database_url)
    if directory is None or settings.readiness_min_free_bytes == 0:
        return True
    try:
        return shutil.disk_usage(directory).free >= settings.readiness_min_free_bytes
    except OSError:
        return False


@dataclass(frozen=True)
class CheckpointLag:
    """How far signed checkpoints trail the log, at one instant."""

    log_size: int
    checkpoint_size: int | None
    age_seconds: float | None

    @property
    def pending(self) -> int:
        """Leaves no signed checkpoint covers yet."""
        return self.log_size - (self.checkpoint_size or 0)

    def stale(self, max_age_seconds: float) -> bool:
        """Leaves are waiting and the newest checkpoint (if any) is older than allowed."""
        if self.pending <= 0:
            return False
        return self.age_seconds is None or self.age_seconds > max_age_seconds


def checkpoint_lag(checkpointer: Checkpointer, now: datetime) -> CheckpointLag:
    """Read the latest checkpoint before the size: a leaf appended in between then
    counts as pending, never the other way round."""
    latest = checkpointer.latest()
    size = checkpointer.log.size()
    if latest is None:
        return CheckpointLag(size, None, None)
    age = max((now - latest.created_at).total_seconds(), 0.0)
    return CheckpointLag(size, latest.size, age)


@router.get("/readyz")
async def readyz(svc: ServicesDep) -> JSONResponse:
    def check() -> dict[str, bool]:
        checks = {
            "opa": svc.active.current().engine.healthy(),
            "datastore": False,
            "log": False,
            "checkpoint": False,
        }
        try:
            with svc.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            checks["datastore"] = True
            svc.decision_log.size()
            svc.decision_log.check_writable()
            checks["log"] = has_room(svc.settings.resolved_database_url, svc.settings)
            lag = checkpoint_lag(svc.checkpointer, svc.clock.now())
            checks["checkpoint"] = not lag.stale(svc.settings.readiness_checkpoint_max_age_seconds)
        except Exception:  # noqa: S110 - any failure means "not ready", reported below
            pass
        return checks

    checks = await run_in_threadpool(check)
    ready = all(checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )
