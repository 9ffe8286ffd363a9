"""``create_app(settings)``: the only place the gateway's parts are wired together.

Nothing is created at import time. The lifespan starts the policy engine (a
local OPA child process on a snapshot of ``policies/`` unless
``GATEWAY_OPA_URL`` is set, see ``gateway.pdp.manager``), opens the database
(running migrations), loads the registry and keys, records the active policy
revision in the decision log, watches ``policies/`` for checked changes, and
stops all of it on shutdown.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from gateway import metrics
from gateway.api import audit, court_orders, health, lookups, policy, reviews
from gateway.api import log as log_api
from gateway.api import metrics as metrics_api
from gateway.api.middleware import RequestLogMiddleware
from gateway.api.openapi import DOCS_ASSETS_URL, SWAGGER_UI_PARAMETERS, install_openapi
from gateway.api.problems import install_problem_handlers
from gateway.api.server import die_with_supervisor
from gateway.api.wire import WireHygieneMiddleware
from gateway.audit.provisioning import check_production_keys
from gateway.logging import configure_logging
from gateway.pdp.manager import PolicyManager
from gateway.services import build_services, make_clock
from gateway.settings import Settings
from gateway.web.pages import install_pages
from gateway.web.review_pages import install_review_pages

log = structlog.get_logger(__name__)

GC_THRESHOLDS = (50_000, 20, 10)
"""The cyclic collector's thresholds in a running gateway (CPython's default is 700, 10, 10).

A lookup about thousands of subjects allocates millions of objects that live
until its answer is sent (the body, the policy input, the decision, the log
leaf); almost all are freed by reference counting, not by the collector. With
the default thresholds one 10,000-subject request ran about 1,500 young and 7
full collections, each full one walking the whole heap: 1.5-1.8 s of the
worker's 4.5 s of CPU (issue 11). With these, the same request runs about 16
young collections and no full one (CPU 4.5 -> 3.4 s), and cycles are still
collected, after 50,000 net allocations instead of 700. Nothing the gateway
answers or logs depends on when the collector runs.
"""


def app_from_environment() -> FastAPI:
    """The app of one worker of ``gateway serve --workers N``: uvicorn imports and calls this
    in each worker process, which reads the same ``GATEWAY_*`` variables as the supervisor
    (and ``GATEWAY_WORKER_DIR``, named after the supervisor's pid)."""
    settings = Settings()
    if settings.worker_dir is not None and settings.worker_dir.name.isdigit():
        die_with_supervisor(int(settings.worker_dir.name))
    return create_app(settings)


def create_app(settings: Settings) -> FastAPI:
    settings.check_production()
    check_production_keys(settings)
    configure_logging(fmt=settings.log_format, level=settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.home.mkdir(parents=True, exist_ok=True)
        if settings.worker_dir is not None:
            metrics.forget_dead_workers(settings.worker_dir / "metrics")
            log.info("gateway.worker_started", pid=os.getpid())
        clock = make_clock(settings)
        policies = PolicyManager(settings, clock)
        active = policies.start()
        services = None
        try:
            services = build_services(settings, policies, active, clock)
            app.state.services = services
            services.checkpointer.record_key_if_new(clock.now())
            policies.announce()
            policies.watch(settings.policy_reload_interval_seconds)
            services.checkpoint_publisher.start()
            services.token_sweeper.start()
            metrics.WORKER_STARTED.set(time.time())
            gc.set_threshold(*GC_THRESHOLDS)
            yield
        finally:
            if settings.worker_dir is not None:
                metrics.worker_stopped(settings.worker_dir / "metrics")
            policies.stop()
            if services is not None:
                services.token_sweeper.stop()
                services.checkpoint_publisher.stop()
                services.engine.dispose()

    # Swagger UI from the fastapi-offline package's files, served here: /docs needs no CDN.
    app = FastAPIOffline(
        title="Taxpayer data-sharing gateway",
        version="1",
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
        static_url=DOCS_ASSETS_URL,
        swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
    )
    install_problem_handlers(app)
    install_openapi(app, settings)
    # The last one added runs first: the size cap bounds what the hygiene gate buffers.
    app.add_middleware(WireHygieneMiddleware, form_paths=("/audit/", "/review/"))
    app.add_middleware(RequestLogMiddleware, max_body_bytes=settings.max_body_bytes)
    app.include_router(health.router)
    app.include_router(metrics_api.router)
    app.include_router(lookups.router)
    app.include_router(reviews.router)
    app.include_router(court_orders.router)
    app.include_router(policy.router)
    app.include_router(log_api.router)
    app.include_router(audit.router)
    install_pages(app, settings)
    install_review_pages(app, settings)
    return app
