"""`gateway serve`'s HTTP server: uvicorn's h11 protocol with deadlines and connection caps.

Why a protocol subclass: uvicorn bounds only the idle time between requests
(``timeout_keep_alive``). A client that sends its request head or body a byte
every few seconds is never idle, so it was never timed out (200 such
connections stayed open for as long as they liked), and a connection that sends
nothing at all before its first request is not bounded either. Everything a
client must send before the gateway can authenticate it is therefore bounded
here, where the bytes arrive:

* **request head deadline** (``GATEWAY_HTTP_HEADER_TIMEOUT_SECONDS``): the
  request line and headers must be complete this long after the connection
  opened or the previous answer ended; else ``408`` (a problem document) and
  the connection is closed;
* **body deadline** (``GATEWAY_HTTP_BODY_TIMEOUT_SECONDS``): the whole body
  must arrive this long after the head; else ``408`` and close;
* **head size** (``GATEWAY_HTTP_MAX_HEADER_BYTES``, h11's incomplete-event
  limit): a longer head gets ``431`` (a problem document, not uvicorn's plain
  ``400``);
* **connections without a request head** (``GATEWAY_HTTP_MAX_PENDING_CONNECTIONS``):
  none of them can have authenticated, so beyond this many a new connection is
  answered ``503`` with ``Retry-After`` and closed at once;
* **connections in all** (``GATEWAY_HTTP_MAX_CONNECTIONS``): the same beyond this;
* **keep-alive** (``GATEWAY_HTTP_KEEP_ALIVE_SECONDS``): uvicorn's own idle limit.

A refusal is written as raw bytes (the client may not have sent a complete
request, so h11 cannot frame an answer), half-closes the connection and reads
and discards what the client still sends for up to :data:`LINGER_SECONDS`
before closing: closing with unread input would reset the connection and could
destroy the answer before the client reads it.
"""

from __future__ import annotations

import asyncio
import ctypes
import functools
import http
import json
import os
import signal
import socket
import ssl
import sys
import time
from typing import Any

import h11
import structlog
import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.supervisors.multiprocess import Multiprocess, Process

from gateway.api.problems import PROBLEM_BASE
from gateway.settings import Settings

LINGER_SECONDS = 2.0
"""How long a refused connection is drained before it is closed."""

log = structlog.get_logger("gateway.http")


def raw_problem(
    status: int, title: str, detail: str, slug: str, headers: tuple[str, ...] = ()
) -> bytes:
    """A complete ``Connection: close`` HTTP/1.1 answer carrying an RFC 9457 problem."""
    body = json.dumps(
        {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail}
    ).encode()
    lines = [
        f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}",
        "content-type: application/problem+json",
        f"content-length: {len(body)}",
        "cache-control: no-store",
        "connection: close",
        *headers,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def protocol_for(settings: Settings) -> type[H11Protocol]:
    """The h11 protocol class with this gateway's limits (one set of pending connections
    per server, shared by its connections)."""
    head_timeout = settings.http_header_timeout_seconds
    body_timeout = settings.http_body_timeout_seconds
    max_head = settings.http_max_header_bytes
    max_connections = settings.http_max_connections
    max_pending = settings.http_max_pending_connections
    pending: set[H11Protocol] = set()

    class GatewayH11Protocol(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None
        _body_timer: asyncio.TimerHandle | None = None
        _refused = False

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self.app = with_tls_extension(self.app, transport)
            if len(self.connections) > max_connections:
                self._refuse_busy(f"the gateway serves at most {max_connections} connections")
            elif len(pending) >= max_pending:
                self._refuse_busy(
                    f"at most {max_pending} connections may wait to send their request"
                )
            else:
                pending.add(self)
                self._update_deadlines()

        def connection_lost(self, exc: Exception | None) -> None:
            pending.discard(self)
            self._cancel("_head_timer")
            self._cancel("_body_timer")
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return  # draining: the answer has been written
            # uvicorn's data_received, with the head size checked before h11 parses it:
            # h11 measures only a head still incomplete, so a longer one that arrives
            # in a single read would pass.
            self._unset_keepalive_if_required()
            self.conn.receive_data(data)
            if self.conn.their_state is h11.IDLE and self._head_too_long():
                self._refuse(
                    431,
                    "Request header fields too large",
                    f"the request line and headers exceed {max_head} bytes",
                    "request-header-fields-too-large",
                )
                return
            self.handle_events()
            self._update_deadlines()

        def _head_too_long(self) -> bool:
            buffered, _ = self.conn.trailing_data
            end = buffered.find(b"\r\n\r\n", 0, max_head + 4)
            return len(buffered) > max_head if end < 0 else end > max_head

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._update_deadlines()

        def send_400_response(self, msg: str) -> None:
            """uvicorn's answer to anything h11 cannot parse; here a problem document."""
            self._refuse(400, "Bad request", "the request is not valid HTTP/1.1", "bad-request")

        # -- deadlines -------------------------------------------------------------------

        def _update_deadlines(self) -> None:
            if self._refused or self.transport.is_closing():
                return
            state = self.conn.their_state
            if state is h11.IDLE:  # waiting for a request head
                if self._head_timer is None:
                    self._head_timer = self.loop.call_later(head_timeout, self._head_late)
                return
            pending.discard(self)
            self._cancel("_head_timer")
            if state is h11.SEND_BODY:
                if self._body_timer is None:
                    self._body_timer = self.loop.call_later(body_timeout, self._body_late)
            else:
                self._cancel("_body_timer")

        def _cancel(self, name: str) -> None:
            timer: asyncio.TimerHandle | None = getattr(self, name)
            if timer is not None:
                timer.cancel()
                setattr(self, name, None)

        def _head_late(self) -> None:
            self._head_timer = None
            if self.transport.is_closing():
                return
            buffered, _ = self.conn.trailing_data
            if not buffered:  # an idle connection: nothing to answer
                self.transport.close()
                return
            self._refuse(
                408,
                "Request timeout",
                f"the request line and headers did not arrive within {head_timeout:g} s",
                "request-timeout",
            )

        def _body_late(self) -> None:
            self._body_timer = None
            if self.transport.is_closing():
                return
            cycle = self.cycle
            if cycle is not None and cycle.response_started:
                self.transport.close()  # too late for an answer of our own
                return
            if cycle is not None:
                # The endpoint sees the client go; anything it still sends is dropped.
                cycle.disconnected = True
                cycle.message_event.set()
            self._refuse(
                408,
                "Request timeout",
                f"the request body did not arrive within {body_timeout:g} s",
                "request-timeout",
            )

        # -- refusals --------------------------------------------------------------------

        def _refuse_busy(self, detail: str) -> None:
            self._refuse(
                503, "Service unavailable", detail, "too-many-connections", ("retry-after: 1",)
            )

        def _refuse(
            self, status: int, title: str, detail: str, slug: str, headers: tuple[str, ...] = ()
        ) -> None:
            """Answer once, half-close, drain what the client still sends, then close."""
            self._refused = True
            pending.discard(self)
            self._cancel("_head_timer")
            self._cancel("_body_timer")
            log.info("http.refused", status=status, reason=slug)
            self.transport.write(raw_problem(status, title, detail, slug, headers))
            if self.transport.can_write_eof():
                self.transport.write_eof()
                self.transport.resume_reading()
                self.loop.call_later(LINGER_SECONDS, self.transport.close)
            else:
                self.transport.close()

    return GatewayH11Protocol


_CLIENT_AUTH = {"off": ssl.CERT_NONE, "optional": ssl.CERT_OPTIONAL, "required": ssl.CERT_REQUIRED}


def tls_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's TLS arguments from ``GATEWAY_TLS_*``; empty for plain HTTP."""
    if settings.tls_cert_file is None:
        return {}
    return {
        "ssl_certfile": str(settings.tls_cert_file),
        "ssl_keyfile": str(settings.tls_key_file),
        "ssl_ca_certs": None
        if settings.tls_client_ca_file is None
        else str(settings.tls_client_ca_file),
        "ssl_cert_reqs": _CLIENT_AUTH[settings.tls_client_auth],
    }


def with_tls_extension(app: Any, transport: asyncio.BaseTransport) -> Any:
    """``app`` seeing the ASGI TLS extension of this connection (uvicorn 0.54 fills none).

    ``scope["extensions"]["tls"]`` carries the verified client certificate (PEM,
    ``client_cert_chain``), the TLS version and cipher, as the ASGI TLS extension
    names them; :mod:`gateway.auth.mtls` binds agencies' tokens to it. A plain
    connection gets no extension (the spec's rule), and ``app`` unchanged.
    """
    ssl_object = transport.get_extra_info("ssl_object")
    if ssl_object is None:
        return app
    der = ssl_object.getpeercert(binary_form=True)
    cipher = ssl_object.cipher()
    tls = {
        "server_cert": None,
        "client_cert_chain": [ssl.DER_cert_to_PEM_cert(der)] if der else [],
        "client_cert_name": None,
        "client_cert_error": None,
        "tls_version": ssl_object.version(),
        "cipher_suite": None if cipher is None else cipher[0],
    }

    async def with_tls(scope: Any, receive: Any, send: Any) -> None:
        scope.setdefault("extensions", {})["tls"] = tls
        await app(scope, receive, send)

    return with_tls


def serve(app: Any, settings: Settings, *, host: str, port: int) -> None:
    """Run ``app`` with uvicorn and the gateway's protocol until interrupted."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        http=protocol_for(settings),
        h11_max_incomplete_event_size=settings.http_max_header_bytes,
        timeout_keep_alive=settings.http_keep_alive_seconds,
        log_config=None,
        access_log=False,
        **tls_options(settings),
    )
    uvicorn.Server(config).run()


WORKER_APP = "gateway.app:app_from_environment"
"""What each worker process imports and calls: the app built from its ``GATEWAY_*`` settings."""
WORKER_PROTOCOL = "gateway.api.server:worker_protocol"
"""The h11 protocol of a worker, by import path: a worker is a fresh interpreter (spawned),
so the protocol class and its connection counts are built there, from the same settings."""
WORKER_READY_SECONDS = 300.0
"""How long a worker may take to start (the first: migrations, first key record, OPA checks)."""
WORKER_PING_SECONDS = 30
"""A worker that does not answer the supervisor's ping within this is killed and replaced.
uvicorn's 5 s killed healthy workers that were starting on a loaded 2-core machine (load 13)."""


def die_with_supervisor(supervisor: int) -> None:
    """Have the kernel SIGKILL this worker when its supervisor dies (Linux).

    A supervisor killed with SIGKILL runs no clean-up: without this its workers
    would go on serving the port as orphans, and a restarted ``gateway serve``
    would share the port with them. A worker killed this way takes its OPA with it
    (``gateway.pdp.process``): the same as ``kill -9`` of a single-process gateway.
    """
    if not sys.platform.startswith("linux"):
        return
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != supervisor:  # it died before the request took effect
        os.kill(os.getpid(), signal.SIGKILL)


@functools.cache
def _worker_protocol_class() -> type[H11Protocol]:
    return protocol_for(Settings())


def worker_protocol(**kwargs: Any) -> H11Protocol:
    """uvicorn's protocol factory in a worker: one protocol class (one set of pending
    connections) per worker process."""
    return _worker_protocol_class()(**kwargs)


class WorkerSupervisor(Multiprocess):
    """uvicorn's supervisor of worker processes, with the gateway's start and restart rules.

    * **One socket per worker** (``SO_REUSEPORT``, all on one port): the kernel
      spreads new connections over the listening sockets by their addresses. With
      one shared socket (uvicorn's way) the first idle worker accepted every
      pending connection in one go, and under a light or bursty load one worker
      served everything while the others idled (measured: 152 of 152 requests).
      The supervisor only binds the sockets; a worker's event loop starts
      listening once its app has started, so no connection waits for a worker
      that is still starting (its OPA, its checks).
    * **The first worker starts alone.** It migrates the database, records the log's
      first checkpoint key and announces the policy; the others start once it
      serves, and find that done (N processes migrating one fresh SQLite file at
      once would collide).
    * **A worker that dies is replaced** on its socket (uvicorn's health check: one
      that does not answer the supervisor's ping in time is killed and replaced
      too). Its OPA dies with it (``PR_SET_PDEATHSIG``).
    * **A worker that fails while starting stops the server**: the settings, the
      database or the policy are wrong, and every replacement would fail the same
      way. :attr:`failed` is then true and ``gateway serve`` exits non-zero.
    * **SIGINT / SIGTERM** stop every worker (each stops its OPA in its lifespan)
      before the supervisor exits; ``SIGHUP`` replaces the workers one at a time.
      The number of workers is fixed (SIGTTIN / SIGTTOU change nothing).
    """

    failed = False

    def __init__(self, config: uvicorn.Config, sockets: list[socket.socket]) -> None:
        super().__init__(config, sockets)
        self._spawned_at: dict[int | None, float] = {}
        self._serving: set[int | None] = set()

    def _spawn(self, index: int) -> Process:
        process = Process(self.config, [self.sockets[index]])
        process.start()
        self._spawned_at[process.pid] = time.monotonic()
        log.info("serve.worker_started", pid=process.pid, worker=index)
        return process

    def init_processes(self) -> None:
        first = self._spawn(0)
        self.processes.append(first)
        if first.wait_until_ready(WORKER_READY_SECONDS, self.should_exit):
            self._serving.add(first.pid)
        else:
            if not self.should_exit.is_set():
                log.error("serve.first_worker_failed", pid=first.pid, exit_code=first.exitcode)
                self.failed = True
                self.should_exit.set()
            return
        for index in range(1, self.processes_num):
            self.processes.append(self._spawn(index))

    def _healthy(self, process: Process) -> bool:
        """Alive, and answering the supervisor's ping once it has started serving.

        A worker still starting is not pinged to death: under load its imports
        alone took over 30 s (load average 35 on 2 cores), and uvicorn's ping
        killed it again and again. It gets :data:`WORKER_READY_SECONDS` instead.
        """
        if not process.process.is_alive():
            return False
        if process.pid in self._serving:
            return process.ping(self.config.timeout_worker_healthcheck)
        if process.is_ready(timeout=0.05):
            self._serving.add(process.pid)
            return True
        return time.monotonic() - self._spawned_at.get(process.pid, 0.0) < WORKER_READY_SECONDS

    def keep_subprocess_alive(self) -> None:
        """uvicorn's, with :meth:`_healthy`, replacing a dead worker on a fresh socket."""
        if self.should_exit.is_set():
            return
        for index, process in enumerate(self.processes):
            if self._healthy(process):
                continue
            process.kill()  # hung, or already gone
            process.join()
            if process.exitcode == STARTUP_FAILURE:
                log.error("serve.worker_failed_to_start", pid=process.pid)
                self.failed = True
                self.should_exit.set()
                return
            if self.should_exit.is_set():
                return
            # A fresh socket: connections queued on the dead worker's are reset now,
            # and new ones go to the live workers until the replacement listens.
            replaced = self.sockets[index]
            self.sockets[index] = bound_socket(replaced.getsockname()[:2])
            replaced.close()
            self.processes[index] = self._spawn(index)
            log.error(
                "serve.worker_replaced",
                dead_pid=process.pid,
                exit_code=process.exitcode,
                pid=self.processes[index].pid,
            )

    def restart_all(self) -> None:
        """uvicorn's rolling restart (SIGHUP), each replacement on its predecessor's socket."""
        for index, old in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new = self._spawn(index)
            if not new.wait_until_ready(WORKER_READY_SECONDS, self.should_exit):
                new.kill()
                new.join()
                log.error("serve.restart_aborted", pid=new.pid, kept_pid=old.pid)
                return
            self._serving.add(new.pid)
            old.terminate()
            old.join()
            self.processes[index] = new

    def handle_ttin(self) -> None:
        log.info("serve.workers_fixed", workers=self.processes_num)

    def handle_ttou(self) -> None:
        log.info("serve.workers_fixed", workers=self.processes_num)


def bound_socket(address: tuple[str, int]) -> socket.socket:
    """A socket bound to ``address`` with ``SO_REUSEPORT``, not yet listening."""
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    # proto given, not 0: asyncio sets TCP_NODELAY on accepted sockets only when their
    # proto says TCP; without it Nagle's algorithm and delayed ACKs added ~45 ms to
    # every answer (sequential median 60 ms with workers against 15 ms without).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        sock.set_inheritable(True)
    except BaseException:
        sock.close()
        raise
    return sock


def bound_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """``count`` sockets on one address; port 0 picks one port for all of them."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sockets.append(bound_socket((host, port)))
            port = sockets[-1].getsockname()[1]
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def serve_workers(settings: Settings, *, host: str, port: int, workers: int) -> bool:
    """Run ``workers`` gateway processes on one port until interrupted.

    Every worker has its own listening socket, event loop, database pool and local
    OPA. Returns False if the server stopped because a worker could not start.
    """
    config = uvicorn.Config(
        WORKER_APP,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        timeout_worker_healthcheck=WORKER_PING_SECONDS,
        http=WORKER_PROTOCOL,
        h11_max_incomplete_event_size=settings.http_max_header_bytes,
        timeout_keep_alive=settings.http_keep_alive_seconds,
        log_config=None,
        access_log=False,
        **tls_options(settings),
    )
    supervisor = WorkerSupervisor(config, sockets=bound_sockets(host, port, workers))
    log.info("serve.supervisor_started", pid=os.getpid(), workers=workers)
    try:
        supervisor.run()
    finally:
        for sock in supervisor.sockets:
            sock.close()
    log.info("serve.supervisor_stopped", pid=os.getpid(), failed=supervisor.failed)
    return not supervisor.failed
