"""Request-scoped plumbing: a request id, a body-size cap, one log line per request.

The request id comes from the caller's ``X-Request-ID`` when it is well formed
(1 to 64 characters of ``A-Z a-z 0-9 . _ -``, and not shaped like a TIN, so a
careless client cannot put a TIN into the logs through it); otherwise it is a
fresh UUID. It is bound to structlog's context for every line of the request and
returned in the answer's ``X-Request-ID``, so an agency can quote it and an
operator find the lines. The agency id (set on the request state by
authentication, see :func:`gateway.api.deps.principal`) and, for lookups, the
decision id are bound too. Every answer is also counted in
:mod:`gateway.metrics` by method, route template and status.

The log line names the route template (``/v1/reviews/{decision_id}/{ref}``), never
the path as sent: path segments are chosen by callers and may carry personal data
(a review ``ref``), and a path that matches no route is logged as ``null``. Every
answer under ``/v1`` says ``Cache-Control: no-store``: answers carry addresses and
audit data that no browser, proxy or client cache may keep.
"""

from __future__ import annotations

import re
import time
import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import metrics
from gateway.api.problems import problem

log = structlog.get_logger("gateway.request")

REQUEST_ID_HEADER = b"x-request-id"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_TIN_SHAPED = re.compile(r"\d{3}[-.]?\d{2}[-.]?\d{4}")
_LOGGED_CONTEXT = ("request_id", "agency_id", "decision_id", "log_index", "outcome")


def request_id(scope: Scope) -> str:
    """The caller's ``X-Request-ID`` if well formed and not TIN-shaped, else a new UUID."""
    for name, value in scope.get("headers") or []:
        if name == REQUEST_ID_HEADER:
            try:
                given: str = bytes(value).decode("ascii")
            except UnicodeDecodeError:
                break
            if _REQUEST_ID.fullmatch(given) and not _TIN_SHAPED.fullmatch(given):
                return given
            break
    return str(uuid.uuid4())


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
        rid = request_id(scope)
        structlog.contextvars.bind_contextvars(request_id=rid)
        scope.setdefault("state", {})  # shared with request.state, whatever thread writes it
        started = time.perf_counter()
        status = 500
        seen = 0
        limit = self.max_body_bytes

        no_store = _is_v1(scope)

        async def tracking_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                drop = (b"cache-control", REQUEST_ID_HEADER) if no_store else (REQUEST_ID_HEADER,)
                headers = [h for h in message.get("headers", []) if h[0] not in drop]
                headers.append((REQUEST_ID_HEADER, rid.encode("ascii")))
                if no_store:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
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
        bound = dict(structlog.contextvars.get_contextvars())
        agency = scope.get("state", {}).get("agency_id")
        if agency is not None:  # set by authentication in a worker thread: not in our context
            bound["agency_id"] = agency
        seconds = time.perf_counter() - started
        route = _route_template(scope)
        metrics.observe_request(str(scope.get("method")), route, status, seconds)
        log.info(
            "request.completed",
            **{k: v for k, v in bound.items() if k in _LOGGED_CONTEXT},
            method=scope.get("method"),
            route=route,
            status=status,
            duration_ms=round(seconds * 1000, 2),
        )


def _is_v1(scope: Scope) -> bool:
    path = str(scope.get("path", ""))
    return path == "/v1" or path.startswith("/v1/")


def _route_template(scope: Scope) -> str | None:
    """The matched route's template, set on the scope by the router; None if none matched."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) else None
