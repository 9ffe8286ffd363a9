"""The only module that talks to OPA (``POST /v1/data/gateway/decision``); it fails closed.

Every way the policy engine can fail — connection refused, an answer not
complete by the deadline, an HTTP error, a redirect, an undefined decision (no
``result``), or a result that does not parse as
:class:`~gateway.pdp.decision.Decision` or does not answer for exactly the
subjects asked about — becomes
:class:`~gateway.errors.PolicyEngineUnavailableError`, which the API turns into
a 503 with nothing disclosed.

Why httpx on a private event loop, and not opa-python-client (which the
architecture first named): that client is built on ``requests``, whose
timeout bounds each socket read, not the call. An OPA (or anything in its
place) that drips a valid answer a few bytes at a time was acted on after
22.7 s with a 2 s "deadline", and ``requests`` follows redirects, so a 307
got decisions from another server. Here one wall-clock deadline per decision
covers connecting, sending and reading the whole answer: the request runs as
a coroutine under :func:`asyncio.timeout` on a loop thread the engine owns, and
is cancelled — its connection closed — when the deadline passes. Redirects are
never followed; a 3xx is a failure like any other non-200 answer.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import threading
import time
import weakref
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
from pydantic import ValidationError

from gateway import metrics
from gateway.errors import PolicyEngineUnavailableError
from gateway.pdp.decision import Decision

DECISION_PATH = "/v1/data/gateway/decision"
HEALTH_PATH = "/health"
_GRACE_SECONDS = 1.0
"""How much longer the calling thread waits than the coroutine's own deadline, in case
the loop thread is starved; the coroutine's deadline is the one that normally fires."""


class PolicyEngine(Protocol):
    """What the pipeline needs from a policy decision point."""

    def decide(self, policy_input: dict[str, Any]) -> Decision: ...

    def healthy(self) -> bool: ...


class _LateError(Exception):
    """The deadline passed before the answer was complete."""


class OpaPolicyEngine:
    """Asks a running OPA for ``data.gateway.decision`` under one wall-clock deadline."""

    def __init__(self, url: str, *, timeout_seconds: float) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an OPA URL: {url!r}")
        self._base = url.rstrip("/")
        self._timeout = timeout_seconds
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=_run_loop, args=(self._loop,), name="opa-client", daemon=True
        )
        self._thread.start()
        self._client: httpx.AsyncClient = self._run(self._make_client(), time.monotonic() + 10)
        # An engine dropped without close() (a test, a one-off command) still closes its
        # connections and stops its thread; close() does the same and waits for it.
        self._finalizer = weakref.finalize(self, _shut_down, self._loop, self._client)

    async def _make_client(self) -> httpx.AsyncClient:
        # Created on the loop that uses it. No retries (a retry would stretch the
        # deadline), no redirects (the decision must come from the configured OPA).
        return httpx.AsyncClient(
            follow_redirects=False,
            timeout=self._timeout,
            transport=httpx.AsyncHTTPTransport(retries=0),
        )

    def _run(self, coro: Any, deadline: float) -> Any:
        """Run ``coro`` on the engine's loop; give up (and cancel it) at ``deadline``."""
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout=max(0.0, deadline - time.monotonic()) + _GRACE_SECONDS)
        except concurrent.futures.TimeoutError as exc:
            future.cancel()
            raise _LateError from exc

    async def _exchange(
        self, method: str, path: str, content: bytes | None, deadline: float
    ) -> tuple[int, bytes]:
        """One request, connect to last byte, within ``deadline`` (``time.monotonic`` clock)."""
        try:
            async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                response = await self._client.request(
                    method,
                    self._base + path,
                    content=content,
                    headers={"content-type": "application/json"} if content else None,
                )
        except TimeoutError as exc:  # asyncio's deadline, or httpx's own (never later)
            raise _LateError from exc
        except httpx.TimeoutException as exc:
            raise _LateError from exc
        return response.status_code, response.content

    @metrics.timed_opa_decision
    def decide(self, policy_input: dict[str, Any]) -> Decision:
        deadline = time.monotonic() + self._timeout
        body = json.dumps({"input": policy_input}).encode()
        try:
            status, content = self._run(
                self._exchange("POST", DECISION_PATH, body, deadline), deadline
            )
        except _LateError as exc:
            raise PolicyEngineUnavailableError("policy engine did not answer in time") from exc
        except (httpx.HTTPError, OSError, RuntimeError) as exc:
            raise PolicyEngineUnavailableError("policy engine request failed") from exc
        if 300 <= status < 400:
            raise PolicyEngineUnavailableError(
                f"policy engine answered with a redirect ({status}); redirects are not followed"
            )
        if status != 200:
            raise PolicyEngineUnavailableError(f"policy engine answered HTTP {status}")
        try:
            reply = json.loads(content)
        except ValueError as exc:
            raise PolicyEngineUnavailableError("policy engine answer is not JSON") from exc
        if not isinstance(reply, dict) or "result" not in reply:
            raise PolicyEngineUnavailableError("policy decision is undefined")
        try:
            decision = Decision.model_validate(reply["result"])
        except ValidationError as exc:
            raise PolicyEngineUnavailableError("policy decision is malformed") from exc
        asked = [t["ref"] for t in policy_input.get("taxpayers", [])]
        if [s.ref for s in decision.subjects] != asked:
            raise PolicyEngineUnavailableError("policy decision does not match the subjects asked")
        return decision

    def healthy(self) -> bool:
        """OPA's ``/health`` answers 200 within the decision deadline (a redirect is not)."""
        deadline = time.monotonic() + self._timeout
        try:
            status, _ = self._run(self._exchange("GET", HEALTH_PATH, None, deadline), deadline)
        except (_LateError, httpx.HTTPError, OSError, RuntimeError):
            return False
        return bool(status == 200)

    def close(self) -> None:
        """Close the connections and stop the loop thread; idempotent."""
        if self._finalizer.detach() is None:
            return
        # Closing the pool of a dead OPA may fail; the loop is stopped all the same.
        with contextlib.suppress(Exception):
            self._run(self._client.aclose(), time.monotonic() + 5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)


def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
    """The engine's loop thread: run until stopped, then release the loop's resources."""
    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
    finally:
        loop.close()


def _shut_down(loop: asyncio.AbstractEventLoop, client: httpx.AsyncClient) -> None:
    """Close ``client`` and stop ``loop`` without waiting (safe from a garbage collection)."""

    async def close_then_stop() -> None:
        try:
            await client.aclose()
        finally:
            loop.stop()

    with contextlib.suppress(RuntimeError):  # the loop is already closed
        asyncio.run_coroutine_threadsafe(close_then_stop(), loop)
