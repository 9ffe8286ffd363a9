"""The `gateway` command reports a configuration or policy error in one line, not a traceback.

An operator who mistypes a setting must see which variable is wrong and why,
with a non-zero exit status for scripts; forty lines of stack say neither.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gateway.pdp.commands import EXIT_BROKEN_CANDIDATE, OPA_MESSAGE_LINES
from tests.e2e.served import GATEWAY, gateway_env


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GATEWAY, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode != 0
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    return lines[0]


@pytest.mark.e2e
def test_a_setting_that_is_not_a_number_is_one_line_naming_the_variable(tmp_path: Path) -> None:
    env = gateway_env(tmp_path / "home")
    env["GATEWAY_OPA_TIMEOUT_SECONDS"] = "abc"
    line = _one_line(_run(env, "serve", "--port", "1"))
    assert "GATEWAY_OPA_TIMEOUT_SECONDS" in line
    assert "number" in line


@pytest.mark.e2e
def test_production_on_sqlite_is_one_line(tmp_path: Path) -> None:
    env = gateway_env(tmp_path / "home")
    env["GATEWAY_ENVIRONMENT"] = "production"
    line = _one_line(_run(env, "serve", "--port", "1"))
    assert "PostgreSQL" in line


@pytest.mark.e2e
def test_policy_replay_on_a_candidate_that_does_not_load_is_opas_message_not_a_traceback(
    tmp_path: Path,
) -> None:
    env = gateway_env(tmp_path / "home")
    broken = tmp_path / "candidate"
    broken.mkdir()
    (broken / "gateway.rego").write_text("package gateway\n\ndecision := {\n")
    done = _run(env, "policy", "replay", "--candidate", str(broken))
    # A short block: what failed, then OPA's own words naming the file and line.
    assert done.returncode == EXIT_BROKEN_CANDIDATE
    assert "Traceback" not in done.stderr
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert "candidate" in lines[0]
    assert f"{broken / 'gateway.rego'}:" in done.stderr
    assert "rego_parse_error" in done.stderr
    assert len(lines) <= 2 + OPA_MESSAGE_LINES
