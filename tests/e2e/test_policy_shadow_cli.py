"""Shadow mode from the command line against `gateway serve`: start, live lookups, report, stop."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import scenarios as sc
from tests.conftest import POLICY_DIR
from tests.e2e.served import cli, gateway_env, served
from tests.integration.test_policy_reload import _lift_injunctions
from tests.support import official_for


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return gateway_env(tmp_path / "home")


@pytest.fixture
def gateway_url(env: dict[str, str]) -> Iterator[str]:
    with served(env, never_logged=("123-45-6789", "Rivera", "1420 Elm")) as url:
        yield url


@pytest.mark.e2e
def test_shadow_start_report_and_stop_from_the_command_line(
    env: dict[str, str], gateway_url: str, tmp_path: Path
) -> None:
    candidate = tmp_path / "candidate"
    shutil.copytree(POLICY_DIR, candidate)
    _lift_injunctions(candidate)
    started = cli(
        env, "policy", "shadow", "start", "--candidate", str(candidate), "--url", gateway_url
    )
    assert started.startswith("shadow: comparing sha256:")
    body = sc.ice_1253()
    body["purpose"]["case_number"] = body["request_id"]
    official = official_for("DHS-ICE-HSI", "COMPONENT_HEAD")
    token = cli(env, "token", "--agency", "DHS-ICE-HSI", "--official", official).strip()
    answer = httpx.post(
        f"{gateway_url}/v1/address-lookups",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).json()
    assert answer["outcome"] == "denied"  # the active policy's answer, whatever the candidate says
    deadline = time.monotonic() + 30
    while True:
        report = json.loads(cli(env, "policy", "shadow-report", "--format", "json"))
        if report["differences"] or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    [difference] = report["differences"]
    assert difference["decision_id"] == answer["decision_id"]
    assert report["totals"] == {"denied→pending_review": 1}
    stopped = cli(env, "policy", "shadow", "stop", "--url", gateway_url)
    assert "1 compared, 1 differed, 0 dropped, 0 failed" in stopped
    again = httpx.delete(
        f"{gateway_url}/v1/policy/shadow",
        headers={"Authorization": "Bearer " + cli(env, "token", "--role", "operator").strip()},
        timeout=10,
    )
    assert again.status_code == 404
