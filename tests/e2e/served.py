"""Running the gateway as a user would: the `gateway` command and `gateway serve`."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from gateway.pdp.process import free_loopback_port
from tests.conftest import DEMO_JSONL, POLICY_DIR, opa_binary_path

GATEWAY = shutil.which("gateway", path=str(Path(sys.executable).parent)) or "gateway"


def gateway_env(home: Path) -> dict[str, str]:
    """The environment of a fresh home on the embedded defaults (SQLite, local OPA)."""
    env = dict(os.environ)
    env.update(
        GATEWAY_HOME=str(home),
        GATEWAY_POLICY_DIR=str(POLICY_DIR),
        GATEWAY_OPA_BINARY=str(opa_binary_path()),
        GATEWAY_LOG_FORMAT="json",
        # Generous: these tests are about decisions, not latency, and the machine is
        # shared; the deadline itself is tested in tests/integration/test_fail_closed.py.
        GATEWAY_OPA_TIMEOUT_SECONDS="10",
        # One process, as these tests were written for (one OPA child, connection caps
        # of one server); several workers are tested in test_workers.py.
        GATEWAY_WORKERS="1",
    )
    for var in ("GATEWAY_DATABASE_URL", "GATEWAY_OPA_URL", "GATEWAY_PINNED_CLOCK"):
        env.pop(var, None)
    return env


def cli(env: dict[str, str], *args: str) -> str:
    """Run `gateway ARGS...`; its stdout, or a failed test with its stderr."""
    done = subprocess.run(
        [GATEWAY, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def wait_ready(
    url: str, proc: subprocess.Popen[bytes], log_path: Path, seconds: float = 60
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, log_path.read_text()
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail("gateway did not become ready: " + log_path.read_text())


@contextmanager
def served(env: dict[str, str], *, never_logged: tuple[str, ...]) -> Iterator[str]:
    """Prepare the home with the CLI, run `gateway serve`, yield its URL, stop it with ^C.

    Afterwards the gateway's own output must not contain any of ``never_logged``
    (the demo taxpayers' TINs, names and addresses).
    """
    cli(env, "keys", "init")
    cli(env, "store", "import", str(DEMO_JSONL))
    port = free_loopback_port()
    log_path = Path(env["GATEWAY_HOME"]) / "serve.log"
    with log_path.open("wb") as out:
        proc = subprocess.Popen(
            [GATEWAY, "serve", "--port", str(port)], env=env, stdout=out, stderr=out
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(url, proc, log_path)
            yield url
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    output = log_path.read_text()
    for secret in never_logged:
        assert secret not in output, "personal data in the gateway's own log output"
