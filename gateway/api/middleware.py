"""Request-scoped plumbing: a request id, a body-size cap, one log line per request."""

from __future__ import annotations

import time
import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.api.problems import problem

log = structlog.get_logger("gateway.request")


class _BodyTooLargeError(Exception):
    pass


class RequestLogMiddleware:
    """Pure ASGI so the size cap applies while the body streams in, not after."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=str(uuid.uuid4()))
        started = time.perf_counter()
        status = 500
        seen = 0
        limit = self.max_body_bytes

        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            response = problem(
                413, "Payload too large", f"body exceeds {limit} bytes", "payload-too-large"
            )
            await response(scope, receive, send)
            self._completed(scope, 413, started)
            return

        async def capped_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _BodyTooLargeError
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, capped_receive, tracking_send)
        except _BodyTooLargeError:
            response = problem(
                413, "Payload too large", f"body exceeds {limit} bytes", "payload-too-large"
            )
            await response(scope, receive, send)
            status = 413
        finally:
            self._completed(scope, status, started)

    @staticmethod
    def _completed(scope: Scope, status: int, started: float) -> None:
        bound = structlog.contextvars.get_contextvars()
        log.info(
            "request.completed",
            **{
                k: v
                for k, v in bound.items()
                if k in ("request_id", "decision_id", "log_index", "outcome")
            },
            method=scope.get("method"),
            path=scope.get("path"),
            status=status,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
        )
