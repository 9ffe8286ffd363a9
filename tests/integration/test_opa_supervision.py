"""The local OPA is supervised: its death is logged, it is restarted, and /readyz says so.

The gateway runs in-process with its own real OPA child; the test kills that
child with SIGKILL, as the kernel's OOM killer or an operator's mistake would.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests import scenarios as sc
from tests.support import Tokens, make_settings, prepare_home, running_gateway


def opa_children(home: Path) -> list[int]:
    """This process's live OPA children serving a policy snapshot under ``home``."""
    found = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        for pid in (task / "children").read_text().split():
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state != "Z" and b"run" in argv and any(str(home).encode() in a for a in argv):
                found.append(int(pid))
    return found


def _wait_for_readyz(client: TestClient, status: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if client.get("/readyz").status_code == status:
            return
        time.sleep(0.05)
    pytest.fail(f"/readyz did not answer {status} within {seconds} s")


def test_a_killed_opa_is_logged_restarted_and_lookups_work_again(
    tmp_path: Path, opa_binary: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(tmp_path / "home", f"sqlite:///{tmp_path / 'gw.db'}", opa_binary)
    prepare_home(settings)
    tokens = Tokens(settings)
    with running_gateway(settings) as client:
        assert client.get("/readyz").status_code == 200
        [first] = opa_children(settings.home)
        os.kill(first, signal.SIGKILL)

        _wait_for_readyz(client, 503, seconds=10)
        _wait_for_readyz(client, 200, seconds=60)

        [second] = opa_children(settings.home)
        assert second != first
        resp = client.post(
            "/v1/address-lookups",
            json=sc.fbi_i2(),
            headers=tokens.agency("DOJ-FBI", "FBI_DIRECTOR"),
        )
        assert resp.status_code == 200, resp.text
        assert resp.json()["results"][0]["outcome"] == "disclosed"
    logged = capsys.readouterr().err
    assert "opa.exited" in logged
    assert f"pid={first}" in logged or f'"pid": {first}' in logged
    assert "opa.restarted" in logged
    assert sc.RIVERA_TIN not in logged
    assert "Elm St" not in logged
