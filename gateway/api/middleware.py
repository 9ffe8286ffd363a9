"""Request-scoped plumbing: a request id, a body-size cap, one log line per request.

The log line names the route template (``/v1/reviews/{decision_id}/{ref}``), never
the path as sent: path segments are chosen by callers and may carry personal data
(a review ``ref``), and a path that matches no route is logged as ``null``. Every
answer under ``/v1`` says ``Cache-Control: no-store``: answers carry addresses and
audit data that no browser, proxy or client cache may keep.
"""

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

        no_store = _is_v1(scope)

        async def tracking_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                if no_store:
                    headers = [h for h in message.get("headers", []) if h[0] != b"cache-control"]
                    message = {**message, "headers": [*headers, (b"cache-control", b"no-store")]}
            await send(message)

        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            response = problem(
                413, "Payload too large", f"body exceeds {limit} bytes", "payload-too-large"
            )
            await response(scope, receive, tracking_send)
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

        try:
            await self.app(scope, capped_receive, tracking_send)
        except _BodyTooLargeError:
            response = problem(
                413, "Payload too large", f"body exceeds {limit} bytes", "payload-too-large"
            )
            await response(scope, receive, tracking_send)
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
            route=_route_template(scope),
            status=status,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
        )


def _is_v1(scope: Scope) -> bool:
    path = str(scope.get("path", ""))
    return path == "/v1" or path.startswith("/v1/")


def _route_template(scope: Scope) -> str | None:
    """The matched route's template, set on the scope by the router; None if none matched."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) else None
