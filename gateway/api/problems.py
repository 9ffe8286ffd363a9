"""The one place errors become RFC 9457 problem documents (application/problem+json).

:class:`ProblemDocument` is the shape every one of them has, declared in the OpenAPI
document (``gateway.api.openapi``); :func:`problem_responses` is how a route declares
the problems only it can answer (404, 409, ...) beside its decorator.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from gateway.errors import GatewayError, UnauthenticatedError

PROBLEM_BASE = "https://taxpayer-gateway.example/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"
log = structlog.get_logger(__name__)


class ProblemLocation(BaseModel):
    """Where a request is wrong: a path into the body or the query, never the value."""

    loc: list[str]
    msg: str
    type: str | None = None


class ProblemDocument(BaseModel):
    """An RFC 9457 problem document, the body of every 4xx and 5xx answer.

    Extension members may follow (RFC 9457 §3.2); ``errors`` is the one clients can
    rely on, on 422 answers. No member ever holds taxpayer data.
    """

    model_config = ConfigDict(extra="allow", title="Problem")

    type: Annotated[str, Field(json_schema_extra={"format": "uri"})]
    title: str
    status: Annotated[int, Field(ge=400, le=599)]
    detail: str
    errors: list[ProblemLocation] = Field(default_factory=list)


PROBLEM_SCHEMA_REF = "#/components/schemas/Problem"


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route decorator: these statuses answer a problem document.

    A route declares here the problems its own logic raises (404, 409); those that
    authentication, authorization, body limits, validation and unavailable dependencies
    cause on every route that has them are added by ``gateway.api.openapi``."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_SCHEMA_REF}}},
        }
        for status in statuses
    }


def problem(status: int, title: str, detail: str, slug: str, **extra: Any) -> JSONResponse:
    body = {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail}
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE)


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
