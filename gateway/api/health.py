"""Liveness and readiness: ``/healthz`` says the process runs, ``/readyz`` that it can decide."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import text

from gateway.api.deps import ServicesDep

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(svc: ServicesDep) -> JSONResponse:
    def check() -> dict[str, bool]:
        checks = {"opa": svc.active.current().engine.healthy(), "datastore": False, "log": False}
        try:
            with svc.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            checks["datastore"] = True
            svc.decision_log.size()
            checks["log"] = True
        except Exception:  # noqa: S110 - any failure means "not ready", reported below
            pass
        return checks

    checks = await run_in_threadpool(check)
    ready = all(checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )
