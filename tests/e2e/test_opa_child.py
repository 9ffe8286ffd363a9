"""`gateway serve`'s OPA child dies with the gateway, even when the gateway is killed -9.

A killed gateway runs no clean-up: without the kernel's help its OPA would be
re-parented to PID 1 and keep a port and a copy of the policy alive forever.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from contextlib import suppress
from pathlib import Path

import pytest

from gateway.pdp.process import free_loopback_port
from tests.conftest import DEMO_JSONL
from tests.e2e.served import GATEWAY, cli, gateway_env, wait_ready


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            found.extend(int(c) for c in (task / "children").read_text().split())
    return found


def _alive(pid: int) -> bool:
    """Running, and not a zombie waiting for a reaper that may never come."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.e2e
def test_opa_child_does_not_outlive_a_gateway_killed_with_sigkill(tmp_path: Path) -> None:
    env = gateway_env(tmp_path / "home")
    cli(env, "keys", "init")
    cli(env, "store", "import", str(DEMO_JSONL))
    port = free_loopback_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as out:
        proc = subprocess.Popen(
            [GATEWAY, "serve", "--port", str(port)], env=env, stdout=out, stderr=out
        )
    opa: list[int] = []
    try:
        wait_ready(f"http://127.0.0.1:{port}", proc, log_path)
        opa = _children(proc.pid)
        assert len(opa) == 1, opa
        assert _alive(opa[0])
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        while _alive(opa[0]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(opa[0]), "OPA outlived the gateway (orphaned to PID 1)"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for child in opa:
            with suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
