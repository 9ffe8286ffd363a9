"""Real HTTP servers that answer like OPA, but late, slowly or elsewhere, on purpose.

OPA itself cannot be made to drip its answer or to redirect, so these stand in
for it where a test is about the adapter's deadline or its refusal to follow a
redirect, never about policy. Every answer they give is a well-formed ALLOW
for exactly the subjects asked about: if the gateway refuses it, it is because
of how it arrived, not because of what it says.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def allow_for(policy_input: dict[str, Any]) -> bytes:
    """A well-formed ``{"result": decision}`` that releases every subject asked about."""
    subjects = [
        {
            "ref": t["ref"],
            "outcome": "ALLOW",
            "release_tax_year": 2024,
            "redacted": [],
            "findings": [],
            "reasons": [],
        }
        for t in policy_input.get("taxpayers", [])
    ]
    decision = {"outcome": "ALLOW", "reasons": [], "subjects": subjects, "obligations": []}
    return json.dumps({"result": decision}).encode()


class StandInServer(ThreadingHTTPServer):
    """Counts what it was asked; quiet when the gateway hangs up on purpose (its deadline)."""

    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler], **behaviour: Any) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.behaviour = behaviour
        self.requests = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: object, client_address: object) -> None:
        pass


class _Handler(BaseHTTPRequestHandler):
    server: StandInServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _input(self) -> dict[str, Any]:
        self.server.requests += 1
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        policy_input: dict[str, Any] = body.get("input", {})
        return policy_input

    def _healthy(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"{}")


class PromptHandler(_Handler):
    """Answers at once: what a healthy OPA does."""

    def do_GET(self) -> None:
        self._healthy()

    def do_POST(self) -> None:
        payload = allow_for(self._input())
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class LateHandler(_Handler):
    """Says nothing for ``delay`` seconds, then answers at once."""

    def do_GET(self) -> None:
        self._healthy()

    def do_POST(self) -> None:
        policy_input = self._input()
        time.sleep(float(self.server.behaviour["delay"]))
        payload = allow_for(policy_input)
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class DripHandler(_Handler):
    """Sends the answer in ``pieces`` parts ``interval`` seconds apart: each part arrives
    well within any per-read timeout, the whole answer long after the deadline.
    ``where`` is ``"body"`` (status and headers at once) or ``"head"`` (all of it)."""

    def do_GET(self) -> None:
        self._healthy()

    def do_POST(self) -> None:
        payload = allow_for(self._input())
        head = (
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            f"content-length: {len(payload)}\r\n\r\n"
        ).encode()
        b = self.server.behaviour
        pieces, interval = int(b["pieces"]), float(b["interval"])
        whole = head + payload
        start = 0 if b["where"] == "head" else len(head)
        if start:
            self.wfile.write(whole[:start])
        size = -(-(len(whole) - start) // pieces)
        for at in range(start, len(whole), size):
            time.sleep(interval)
            self.wfile.write(whole[at : at + size])


class RedirectHandler(_Handler):
    """Answers every request with ``307`` to ``location`` (another server's URL)."""

    def _redirect(self) -> None:
        self.server.requests += 1
        self.send_response(307)
        self.send_header("location", str(self.server.behaviour["location"]) + self.path)
        self.send_header("content-length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        self._redirect()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self._redirect()


@contextmanager
def stand_in(handler: type[BaseHTTPRequestHandler], **behaviour: Any) -> Iterator[StandInServer]:
    """A stand-in server on a free loopback port for the duration of the block."""
    server = StandInServer(handler, **behaviour)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
