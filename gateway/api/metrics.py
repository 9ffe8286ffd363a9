"""``GET /metrics``: the Prometheus text exposition of :mod:`gateway.metrics`.

Served on the main port only when ``GATEWAY_METRICS_ENABLED`` is true (404
otherwise, like any unknown path). With ``GATEWAY_METRICS_TOKEN_FILE`` set, a
scraper must present ``Authorization: Bearer <the file's content>``; the file is
read at each scrape, so replacing it rotates the token without a restart.
Production refuses metrics without a token file
(:meth:`gateway.settings.Settings.check_production`): agency ids and decision
volumes are not for everyone who can reach the port.

The state gauges (checkpoint age, unpublished leaves, review backlog) are read
from the database at each scrape, so every replica reports the shared log. With
several worker processes the event metrics are every worker's, merged
(:func:`gateway.metrics.render`), whichever worker answers the scrape.
"""

from __future__ import annotations

import hmac
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import func, select

from gateway import metrics
from gateway.api.deps import ServicesDep
from gateway.api.health import checkpoint_lag
from gateway.errors import NotFoundError, UnauthenticatedError
from gateway.services import Services
from gateway.store.models import REVIEW_ITEM

router = APIRouter(tags=["operations"], include_in_schema=False)


def _token(path: Path) -> bytes:
    return path.read_bytes().strip()


def _authorized(header: str | None, token_file: Path | None) -> bool:
    if token_file is None:
        return True
    expected = _token(token_file)
    if not expected or header is None:
        return False
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(presented.strip().encode(), expected)


def read_state(svc: Services) -> metrics.GatewayState:
    lag = checkpoint_lag(svc.checkpointer, svc.clock.now())
    t = REVIEW_ITEM
    with svc.engine.connect() as conn:
        rows = conn.execute(
            select(t.c.agency_id, func.count())
            .where(t.c.status == "pending")
            .group_by(t.c.agency_id)
        ).all()
    return metrics.GatewayState(
        log_size=lag.log_size,
        checkpoint_size=lag.checkpoint_size,
        checkpoint_age_seconds=lag.age_seconds,
        review_backlog={str(agency): int(count) for agency, count in rows},
    )


@router.get("/metrics")
async def scrape(request: Request, svc: ServicesDep) -> Response:
    settings = svc.settings
    if not settings.metrics_enabled:
        raise NotFoundError("not found")
    header = request.headers.get("authorization")
    if not await run_in_threadpool(_authorized, header, settings.metrics_token_file):
        raise UnauthenticatedError("metrics need the scraper's bearer token")
    merged = None if settings.worker_dir is None else settings.worker_dir / "metrics"
    body = await run_in_threadpool(
        metrics.render, metrics.StateCollector(lambda: read_state(svc)), merged
    )
    return Response(body, media_type=CONTENT_TYPE_LATEST)
