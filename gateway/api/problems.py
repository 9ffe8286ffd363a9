"""The one place errors become RFC 9457 problem documents (application/problem+json)."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from gateway.errors import GatewayError, UnauthenticatedError

PROBLEM_BASE = "https://taxpayer-gateway.example/problems/"
log = structlog.get_logger(__name__)


def problem(status: int, title: str, detail: str, slug: str, **extra: Any) -> JSONResponse:
    body = {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail}
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def _validation_errors(errors: Any) -> list[dict[str, Any]]:
    """Location and message only: pydantic's ``input`` would echo taxpayer data."""
    return [
        {
            "loc": [str(p) for p in e.get("loc", ())],
            "msg": str(e.get("msg", "")),
            "type": e.get("type"),
        }
        for e in errors
    ]


def bearer_challenge(request: Request) -> str:
    """``WWW-Authenticate`` for a 401 (RFC 6750 §3): the scheme and realm always, and
    ``error="invalid_token"`` only when a token was sent and refused."""
    settings = getattr(getattr(request.app.state, "services", None), "settings", None)
    realm = settings.audience if settings is not None else "taxpayer-gateway"
    challenge = f'Bearer realm="{realm}"'
    if request.headers.get("authorization"):
        challenge += ', error="invalid_token"'
    return challenge


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(GatewayError)
    async def _gateway_error(request: Request, exc: GatewayError) -> JSONResponse:
        if exc.status >= 500:
            log.warning("request.failed", error=type(exc).__name__, detail=exc.detail)
        response = problem(exc.status, exc.title, exc.detail, exc.type_slug, **exc.extra)
        if isinstance(exc, UnauthenticatedError):
            response.headers["WWW-Authenticate"] = bearer_challenge(request)
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc.errors())
        where = "request body" if any(e["loc"][:1] == ["body"] for e in errors) else "request"
        return problem(
            422,
            "Invalid request",
            f"the {where} does not match the API contract",
            "invalid-request",
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # The router's own headers stay: 405 carries Allow (RFC 9110 §15.5.6).
        response = problem(exc.status_code, str(exc.detail), str(exc.detail), "http-error")
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(ClientDisconnect)
    async def _gone(_request: Request, _exc: ClientDisconnect) -> JSONResponse:
        # The client hung up, or the server cut it off at a deadline: nobody reads this.
        log.info("request.abandoned")
        return problem(400, "Client disconnected", "the request was not completed", "abandoned")

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.error("request.crashed", error=type(exc).__name__)
        return problem(500, "Internal error", "an unexpected error occurred", "internal-error")
