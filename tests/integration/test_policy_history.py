"""Activation history: each start, reload and rejection says when, by whom and what changed."""

from __future__ import annotations

import getpass
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gateway.cli import app
from gateway.pdp.manager import PolicyManager
from gateway.settings import Settings
from tests.conftest import POLICY_DIR
from tests.integration.test_policy_reload import _lift_injunctions
from tests.support import Tokens, make_settings, prepare_home, running_gateway, staff_id

EXTRA_RULE = """package gateway.ops_extra

# METADATA
# title: A marker an operator added
# custom:
#   rule_id: OPS-1
marker := true
"""


@pytest.fixture
def settings(tmp_path: Path, opa_binary: Path, database_url: str) -> Settings:
    policy_dir = tmp_path / "policies"
    shutil.copytree(POLICY_DIR, policy_dir)
    s = make_settings(tmp_path / "home", database_url, opa_binary, policy_dir=policy_dir)
    prepare_home(s)
    return s


def _changes(settings: Settings) -> list[dict[str, Any]]:
    """Start, an accepted reload adding a rule and lifting injunctions, then a rejected edit."""
    policy_dir = settings.policy_dir
    with running_gateway(settings) as client:
        manager: PolicyManager = client.app.state.services.policies  # type: ignore[attr-defined]
        (policy_dir / "ops").mkdir()
        (policy_dir / "ops" / "extra.rego").write_text(EXTRA_RULE, "utf-8")
        _lift_injunctions(policy_dir)
        assert manager.reload_if_changed()
        (policy_dir / "ops" / "extra.rego").write_text(EXTRA_RULE + "broken if {\n", "utf-8")
        assert not manager.reload_if_changed()
        response = client.get("/v1/policy/history", headers=Tokens(settings).staff("operator"))
        assert response.status_code == 200, response.text
        changes: list[dict[str, Any]] = response.json()["changes"]
    return changes


def test_history_records_start_reload_and_rejection_with_operator_files_and_rules(
    settings: Settings,
) -> None:
    rejection, reload, start = _changes(settings)
    me = f"os:{getpass.getuser()}"
    assert [c["action"] for c in (rejection, reload, start)] == ["rejection", "reload", "start"]
    assert {c["operator"] for c in (rejection, reload, start)} == {me}
    assert start["previous_revision"] is None
    assert start["files"]["total"] > 0
    assert start["rules"]["total"] > 0
    assert reload["previous_revision"] == start["revision"] != reload["revision"]
    assert reload["files"]["added"] == ["ops/extra.rego"]
    assert reload["files"]["changed"] == ["registry/court_orders/data.json"]
    assert reload["files"]["removed"] == []
    assert reload["rules"] == {
        "added": ["OPS-1"],
        "removed": [],
        "total": start["rules"]["total"] + 1,
    }
    assert reload["at"] >= start["at"]
    assert rejection["previous_revision"] == reload["revision"]
    assert rejection["files"]["changed"] == ["ops/extra.rego"]
    assert rejection["log_index"] > reload["log_index"] > start["log_index"]


def test_a_rejection_names_the_operators_file_not_the_snapshot(settings: Settings) -> None:
    rejection = _changes(settings)[0]
    error = rejection["error"]
    assert "rego_parse_error" in error
    assert str(settings.policy_dir / "ops" / "extra.rego") in error
    assert "policy-snapshots" not in error


def test_history_command_reads_the_log_with_the_gateway_stopped(settings: Settings) -> None:
    served = _changes(settings)
    env = {
        "GATEWAY_HOME": str(settings.home),
        "GATEWAY_DATABASE_URL": settings.resolved_database_url,
        "GATEWAY_POLICY_DIR": str(settings.policy_dir),
    }
    result = CliRunner().invoke(app, ["policy", "history", "--format", "json"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["changes"] == served
    table = CliRunner().invoke(app, ["policy", "history"], env=env)
    assert table.exit_code == 0, table.output
    assert "+OPS-1" in table.stdout
    assert "rejection" in table.stdout


def test_a_reload_asked_over_the_api_names_the_operator_from_the_staff_registry(
    settings: Settings,
) -> None:
    with running_gateway(settings) as client:
        _lift_injunctions(settings.policy_dir)
        auditor = client.post("/v1/policy/reload", headers=Tokens(settings).staff("auditor"))
        assert auditor.status_code == 403
        done = client.post("/v1/policy/reload", headers=Tokens(settings).staff("operator"))
        assert done.status_code == 200, done.text
        assert done.json()["changed"] is True
        again = client.post("/v1/policy/reload", headers=Tokens(settings).staff("operator"))
        assert again.json()["changed"] is False
        history = client.get("/v1/policy/history", headers=Tokens(settings).staff("operator"))
    newest = history.json()["changes"][0]
    assert (newest["action"], newest["operator"]) == ("reload", staff_id("operator"))
    assert newest["revision"] == done.json()["active_revision"]
    assert newest["files"]["changed"] == ["registry/court_orders/data.json"]
    assert newest["rules"]["added"] == newest["rules"]["removed"] == []
