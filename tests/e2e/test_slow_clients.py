"""`gateway serve` against clients that are slow or oversized on purpose, over raw sockets.

The gateway runs with short limits (a 2 s request-head deadline, a 3 s body
deadline, at most 4 connections that have not sent a request head and 8
connections in all) so that every limit can be watched doing its work; the
defaults are in the README's "Hardening" section.
"""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, suppress
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.served import gateway_env, served

HEAD_DEADLINE = 2.0
BODY_DEADLINE = 3.0
MARGIN = 3.0
"""Slack for a busy machine: a limit is met if the connection ends within deadline + margin."""
GIVE_UP = 20.0
"""How long a test keeps dripping before it concludes the gateway never hangs up."""


@pytest.fixture(scope="module")
def gateway_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = gateway_env(tmp_path_factory.mktemp("slow-clients-home"))
    env.update(
        GATEWAY_HTTP_HEADER_TIMEOUT_SECONDS=str(HEAD_DEADLINE),
        GATEWAY_HTTP_BODY_TIMEOUT_SECONDS=str(BODY_DEADLINE),
        GATEWAY_HTTP_MAX_PENDING_CONNECTIONS="4",
        GATEWAY_HTTP_MAX_CONNECTIONS="8",
    )
    with served(env, never_logged=("123-45-6789", "Rivera", "1420 Elm")) as url:
        yield url


def _connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    return socket.create_connection((parts.hostname, parts.port), timeout=5)


def _drip(sock: socket.socket, data: bytes, interval: float) -> tuple[float, bytes]:
    """Send ``data`` a byte every ``interval`` seconds until the server hangs up.

    Returns how long after the first byte the connection ended and what the server
    said; fails the test if it is still open after ``GIVE_UP`` seconds.
    """
    started = time.monotonic()
    said = b""
    for byte in data:
        try:
            sock.sendall(bytes([byte]))
        except OSError:
            return time.monotonic() - started, said
        until = time.monotonic() + interval
        while (left := until - time.monotonic()) > 0:
            if not select.select([sock], [], [], left)[0]:
                break
            try:
                chunk = sock.recv(65536)
            except OSError:
                return time.monotonic() - started, said
            if not chunk:
                return time.monotonic() - started, said
            said += chunk
        if time.monotonic() - started > GIVE_UP:
            break
    pytest.fail(f"the gateway kept a dripping connection open for {GIVE_UP} s")


def _read_all(sock: socket.socket, seconds: float) -> bytes:
    """Everything the server sends until it closes (or ``seconds`` pass)."""
    said = b""
    deadline = time.monotonic() + seconds
    sock.settimeout(0.5)
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            break
        if not chunk:
            break
        said += chunk
    return said


def _problem(said: bytes) -> tuple[int, dict[str, str], dict[str, object]]:
    head, _, body = said.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines)}
    return int(status_line.split()[1]), headers, json.loads(body)


@pytest.mark.e2e
def test_a_request_head_dripped_a_byte_a_second_is_cut_off_at_the_head_deadline(
    gateway_url: str,
) -> None:
    endless = b"GET /healthz HTTP/1.1\r\nHost: gateway\r\nX-Slow: " + b"a" * 1000
    with _connect(gateway_url) as sock:
        ended_after, said = _drip(sock, endless, interval=1.0)
    assert ended_after < HEAD_DEADLINE + MARGIN
    status, headers, problem = _problem(said)
    assert status == 408
    assert headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"
    assert problem["status"] == 408


@pytest.mark.e2e
def test_a_body_dripped_a_byte_a_second_is_cut_off_at_the_body_deadline(
    gateway_url: str,
) -> None:
    head = (
        b"POST /v1/address-lookups HTTP/1.1\r\nHost: gateway\r\n"
        b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    )
    with _connect(gateway_url) as sock:
        sock.sendall(head)
        ended_after, said = _drip(sock, b"{" + b" " * 998 + b"}", interval=1.0)
    assert ended_after < BODY_DEADLINE + MARGIN
    status, headers, _ = _problem(said)
    assert status == 408
    assert headers["content-type"] == "application/problem+json"


@pytest.mark.e2e
def test_connections_that_have_sent_no_request_head_are_capped(gateway_url: str) -> None:
    with ExitStack() as stack:
        silent = [stack.enter_context(_connect(gateway_url)) for _ in range(4)]
        time.sleep(0.5)  # accepted by the server
        with _connect(gateway_url) as one_too_many:
            said = _read_all(one_too_many, seconds=5)
        assert said, "the fifth connection without a request head was not refused"
        status, headers, _ = _problem(said)
        assert status == 503
        assert headers["content-type"] == "application/problem+json"
        assert "retry-after" in headers
        for sock in silent:
            sock.close()
    # Once they are gone, the gateway serves again at once.
    deadline = time.monotonic() + 5
    while httpx.get(f"{gateway_url}/healthz", timeout=5).status_code != 200:
        assert time.monotonic() < deadline
        time.sleep(0.1)


@pytest.mark.e2e
def test_connections_beyond_the_cap_are_refused_with_a_problem(gateway_url: str) -> None:
    ask = b"GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n"
    with ExitStack() as stack:
        for _ in range(8):  # keep-alive connections that have had their answer
            sock = stack.enter_context(_connect(gateway_url))
            sock.sendall(ask)
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        with _connect(gateway_url) as ninth:
            ninth.sendall(ask)
            said = _read_all(ninth, seconds=5)
        status, headers, _ = _problem(said)
        assert status == 503
        assert headers["content-type"] == "application/problem+json"


@pytest.mark.e2e
@pytest.mark.parametrize("size", [20 * 1024, 1024 * 1024], ids=["20KiB-at-once", "1MiB"])
def test_a_header_past_the_limit_gets_a_431_problem_document(gateway_url: str, size: int) -> None:
    head = b"GET /healthz HTTP/1.1\r\nHost: gateway\r\nX-Huge: " + b"a" * size + b"\r\n\r\n"
    with _connect(gateway_url) as sock:
        # Sent from a thread: the gateway answers (and stops reading) long before the end.
        sender = threading.Thread(target=lambda: _send_quietly(sock, head), daemon=True)
        sender.start()
        said = _read_all(sock, seconds=10)
        sender.join(timeout=10)
    status, headers, problem = _problem(said)
    assert status == 431
    assert headers["content-type"] == "application/problem+json"
    assert "16384" in str(problem["detail"])


def _send_quietly(sock: socket.socket, data: bytes) -> None:
    with suppress(OSError):
        sock.sendall(data)
