"""Crash test: kill -9 `gateway serve` during a burst of lookups; nothing answered is lost.

Every lookup answered before the kill must be in the log after a restart at
the index it was given, `gateway audit verify` must pass, and an auditor's
`gateway audit watch` must see the restarted log extend the one it pinned.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.pdp.process import free_loopback_port
from gateway.settings import Settings
from tests import scenarios as sc
from tests.conftest import DEMO_JSONL
from tests.e2e.served import GATEWAY, cli, gateway_env
from tests.support import Tokens


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = gateway_env(tmp_path / "home")
    cli(e, "keys", "init")
    cli(e, "store", "import", str(DEMO_JSONL))
    return e


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            found.extend(int(c) for c in text)
    return found


@contextmanager
def _serve(env: dict[str, str], port: int, log_name: str) -> Iterator[subprocess.Popen[bytes]]:
    log_path = Path(env["GATEWAY_HOME"]) / log_name
    with log_path.open("wb") as out:
        proc = subprocess.Popen(
            [GATEWAY, "serve", "--port", str(port)], env=env, stdout=out, stderr=out
        )
        children: list[int] = []
        try:
            deadline = time.monotonic() + 60
            while True:
                assert proc.poll() is None, log_path.read_text()
                with suppress(httpx.HTTPError):
                    if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                        break
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.2)
            children = _children(proc.pid)  # OPA; orphaned if the gateway is killed
            yield proc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            for child in children:
                with suppress(ProcessLookupError):
                    os.kill(child, signal.SIGKILL)


def _lookup(url: str, tokens: Tokens, n: int) -> tuple[int, str] | None:
    body = sc.fbi_i2()
    body["purpose"]["case_number"] = f"CRASH-{n}"  # the same ask twice would be GW-3b
    try:
        resp = httpx.post(
            f"{url}/v1/address-lookups",
            json=body,
            headers=tokens.agency("DOJ-FBI", "FBI_DIRECTOR"),
            timeout=10,
        )
    except httpx.HTTPError:
        return None  # in flight when the gateway died: never answered
    if resp.status_code != 200:
        return None
    answer: dict[str, Any] = resp.json()
    return int(answer["log_index"]), str(answer["decision_id"])


@pytest.mark.e2e
def test_kill_9_during_a_burst_loses_no_answered_decision(env: dict[str, str]) -> None:
    tokens = Tokens(Settings(home=Path(env["GATEWAY_HOME"])))
    port = free_loopback_port()
    url = f"http://127.0.0.1:{port}"
    answered: list[tuple[int, str]] = []
    with _serve(env, port, "serve-1.log") as proc:
        # An auditor pins the log before the crash.
        key = cli(env, "audit", "public-key").strip()
        state = Path(env["GATEWAY_HOME"]) / "witness.json"
        cli(env, "audit", "watch", "--state", str(state), "--url", url,
             "--token-command", "gateway token --role auditor", "--public-key", key)  # fmt: skip
        with ThreadPoolExecutor(max_workers=16) as pool:
            futures = [pool.submit(_lookup, url, tokens, n) for n in range(400)]
            deadline = time.monotonic() + 60
            while sum(f.done() for f in futures) < 60 and time.monotonic() < deadline:
                time.sleep(0.01)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            answered = [r for f in futures if (r := f.result()) is not None]
    assert len(answered) >= 60
    assert len({i for i, _ in answered}) == len(answered), "an index was handed out twice"

    with _serve(env, port, "serve-2.log"):
        after = _lookup(url, tokens, 10_000)
        assert after is not None
        assert after[0] > max(i for i, _ in answered)
        for index, decision_id in answered:
            resp = httpx.get(
                f"{url}/v1/log/entries?start={index}&end={index + 1}",
                headers=tokens.staff("auditor"),
                timeout=10,
            )
            [entry] = resp.json()["entries"]
            leaf = json.loads(base64.b64decode(entry["data"]))
            assert leaf["decision_id"] == decision_id
        httpx.post(f"{url}/v1/log/checkpoint", headers=tokens.staff("auditor"), timeout=10)
        verified = cli(env, "audit", "verify")
        assert "verified:" in verified
        watched = cli(env, "audit", "watch", "--state", str(state), "--url", url,
                       "--token-command", "gateway token --role auditor")  # fmt: skip
        assert "consistent: size" in watched
