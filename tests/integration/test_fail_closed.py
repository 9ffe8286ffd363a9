"""Fail closed: when OPA cannot give a well-formed decision in time, nothing is disclosed.

OPA here is always the real binary: stopped, or started with a policy that
leaves the decision undefined or returns a malformed one. The slow case needs
a server that answers late on purpose, which OPA cannot be made to do, so a
tiny HTTP server stands in for it there; it tests the adapter's deadline, not policy.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gateway.audit.log import DecisionLog
from gateway.pdp.process import LocalOpa
from gateway.settings import Settings
from tests import scenarios as sc
from tests.support import Tokens, make_settings, prepare_home, running_gateway


def _prepared(tmp_path: Path, opa_binary: Path, **extra: object) -> Settings:
    s = make_settings(tmp_path / "home", f"sqlite:///{tmp_path / 'gw.db'}", opa_binary, **extra)
    prepare_home(s)
    return s


def _assert_closed(client: TestClient, settings: Settings) -> None:
    log: DecisionLog = client.app.state.services.decision_log  # type: ignore[attr-defined]
    before = log.size()
    resp = client.post(
        "/v1/address-lookups",
        json=sc.fbi_i2(),
        headers=Tokens(settings).agency("DOJ-FBI", "FBI_DIRECTOR"),
    )
    assert resp.status_code == 503
    assert resp.headers["content-type"] == "application/problem+json"
    assert "Elm St" not in resp.text
    entries = log.entries(before, before + 10)
    assert [e.kind for e in entries] == ["decision_failure"]
    assert json.loads(entries[0].body)["outcome"] == "denied"


def _policy_dir(tmp_path: Path, rego: str) -> Path:
    d = tmp_path / "bad-policy"
    d.mkdir()
    (d / "gateway.rego").write_text(rego)
    return d


def test_opa_stopped_means_503_and_a_logged_failure(tmp_path: Path, opa_binary: Path) -> None:
    opa = LocalOpa(opa_binary, _policy_dir(tmp_path, "package gateway\n\nx := 1\n"))
    opa.start()
    url = opa.url
    opa.stop()
    settings = _prepared(tmp_path, opa_binary, opa_url=url)
    with running_gateway(settings) as client:
        assert client.get("/readyz").status_code == 503
        _assert_closed(client, settings)


@pytest.mark.parametrize(
    "rego",
    [
        pytest.param("package gateway\n\nother := 1\n", id="undefined"),
        pytest.param(
            'package gateway\n\ndecision := {"outcome": "MAYBE", "subjects": []}\n', id="malformed"
        ),
        pytest.param(
            'package gateway\n\ndecision := {"outcome": "ALLOW", "reasons": [], "subjects": [],'
            ' "obligations": []}\n',
            id="wrong-subjects",
        ),
    ],
)
def test_undefined_or_malformed_decision_means_503(
    tmp_path: Path, opa_binary: Path, rego: str
) -> None:
    with LocalOpa(opa_binary, _policy_dir(tmp_path, rego)) as opa:
        settings = _prepared(tmp_path, opa_binary, opa_url=opa.url)
        with running_gateway(settings) as client:
            _assert_closed(client, settings)


class _Slow(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        time.sleep(1.5)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"result": {}}')

    do_GET = do_POST  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """The gateway hangs up on purpose (its deadline); that is not an error here."""


@pytest.fixture
def slow_server() -> Iterator[str]:
    server = _QuietServer(("127.0.0.1", 0), _Slow)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_opa_slower_than_the_deadline_means_503(
    tmp_path: Path, opa_binary: Path, slow_server: str
) -> None:
    settings = _prepared(tmp_path, opa_binary, opa_url=slow_server, opa_timeout_seconds=0.3)
    with running_gateway(settings) as client:
        _assert_closed(client, settings)
