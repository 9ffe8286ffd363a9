"""``create_app(settings)``: the only place the gateway's parts are wired together.

Nothing is created at import time. The lifespan opens the database (running
migrations), loads the registry and keys, starts a local OPA child process
when ``GATEWAY_OPA_URL`` is unset, and stops it again on shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from gateway.api import health, lookups
from gateway.api.middleware import RequestLogMiddleware
from gateway.api.problems import install_problem_handlers
from gateway.logging import configure_logging
from gateway.pdp.opa import OpaPolicyEngine
from gateway.pdp.process import LocalOpa
from gateway.services import build_services
from gateway.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    settings.check_production()
    configure_logging(fmt=settings.log_format, level=settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        local: LocalOpa | None = None
        url = settings.opa_url
        if url is None:
            settings.home.mkdir(parents=True, exist_ok=True)
            local = LocalOpa(
                settings.opa_binary,
                settings.policy_dir,
                start_timeout_seconds=settings.opa_start_timeout_seconds,
                log_path=settings.home / "opa.log",
            )
            local.start()
            url = local.url
        engine_client = OpaPolicyEngine(url, timeout_seconds=settings.opa_timeout_seconds)
        try:
            app.state.services = build_services(settings, engine_client)
            yield
        finally:
            engine_client.close()
            if local is not None:
                local.stop()
            services = getattr(app.state, "services", None)
            if services is not None:
                services.engine.dispose()

    app = FastAPI(
        title="Taxpayer data-sharing gateway",
        version="1",
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    install_problem_handlers(app)
    app.add_middleware(RequestLogMiddleware, max_body_bytes=settings.max_body_bytes)
    app.include_router(health.router)
    app.include_router(lookups.router)
    return app
