"""End to end, as a user would: the CLI prepares the home, `gateway serve` runs and
tokens come from `gateway token`. The §4 scenarios over HTTP are in
``test_scenarios_http.py``, with a gateway of their own."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import scenarios as sc
from tests.conftest import DEMO_JSONL, POLICY_DIR

GATEWAY = shutil.which("gateway", path=str(Path(sys.executable).parent)) or "gateway"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    from tests.conftest import opa_binary_path

    home = tmp_path_factory.mktemp("e2e-home")
    e = dict(os.environ)
    e.update(
        GATEWAY_HOME=str(home),
        GATEWAY_POLICY_DIR=str(POLICY_DIR),
        GATEWAY_OPA_BINARY=str(opa_binary_path()),
        GATEWAY_LOG_FORMAT="json",
    )
    for var in ("GATEWAY_DATABASE_URL", "GATEWAY_OPA_URL", "GATEWAY_PINNED_CLOCK"):
        e.pop(var, None)
    return e


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [GATEWAY, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def gateway_url(env: dict[str, str]) -> Iterator[str]:
    _cli(env, "keys", "init")
    _cli(env, "store", "import", str(DEMO_JSONL))
    port = _free_port()
    log_path = Path(env["GATEWAY_HOME"]) / "serve.log"
    with log_path.open("wb") as out:
        proc = subprocess.Popen(
            [GATEWAY, "serve", "--port", str(port)], env=env, stdout=out, stderr=out
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                assert proc.poll() is None, log_path.read_text()
                try:
                    if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
            else:
                pytest.fail("gateway did not become ready: " + log_path.read_text())
            yield url
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    served = log_path.read_text()
    for secret in ("123-45-6789", "Rivera", "1420 Elm"):
        assert secret not in served, "personal data in the gateway's own log output"


@pytest.mark.e2e
def test_cli_staff_token_authenticates_but_cannot_request_addresses(
    env: dict[str, str], gateway_url: str
) -> None:
    token = _cli(env, "token", "--role", "auditor").strip()
    resp = httpx.post(
        f"{gateway_url}/v1/address-lookups",
        json=sc.fbi_i2(),
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert resp.status_code == 403
    assert resp.headers["content-type"] == "application/problem+json"


@pytest.mark.e2e
def test_policy_replay_of_the_live_policy_changes_nothing(
    env: dict[str, str], gateway_url: str
) -> None:
    token = _cli(env, "token", "--agency", "DOJ-FBI", "--official", "fbi-director").strip()
    answer = httpx.post(
        f"{gateway_url}/v1/address-lookups",
        json=sc.fbi_i2(),
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).json()
    out = _cli(env, "policy", "replay", "--last", "100")
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("replayed ")
    assert summary.endswith(": 0 subjects would change")
    assert answer["log_index"] >= 0
