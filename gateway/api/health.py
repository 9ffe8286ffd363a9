"""Liveness and readiness: ``/healthz`` says the process runs, ``/readyz`` that it can decide.

Ready means every step of a lookup could succeed now: OPA answers its health
check, the datastore answers a query, and the decision log accepts a write (a
leaf written and rolled back; see :meth:`DecisionLog.check_writable`). For a
SQLite database the file system it lives on must also have at least
``GATEWAY_READINESS_MIN_FREE_BYTES`` free (``disk``): a rolled-back write never
reaches the disk, so only the free space tells a full disk in advance.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.engine import make_url

from gateway.api.deps import ServicesDep

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


@router.get("/readyz")
async def readyz(svc: ServicesDep) -> JSONResponse:
    def check() -> dict[str, bool]:
        checks = {"opa": svc.active.current().engine.healthy(), "datastore": False, "log": False}
        try:
            with svc.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            checks["datastore"] = True
            svc.decision_log.size()
            svc.decision_log.check_writable()
            checks["log"] = True
        except Exception:  # noqa: S110 - any failure means "not ready", reported below
            pass
        directory = sqlite_directory(svc.settings.resolved_database_url)
        if directory is not None and svc.settings.readiness_min_free_bytes > 0:
            try:
                free = shutil.disk_usage(directory).free
            except OSError:
                free = 0
            checks["disk"] = free >= svc.settings.readiness_min_free_bytes
        return checks

    checks = await run_in_threadpool(check)
    ready = all(checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )
