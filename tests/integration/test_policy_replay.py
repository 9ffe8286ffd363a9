"""Replaying logged decisions on a candidate policy shows a change's impact before it is live."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gateway.audit.log import DecisionLog
from gateway.audit.sealing import AuditKeys
from gateway.cli import app
from gateway.pdp.commands import EXIT_BROKEN_CANDIDATE, EXIT_CHANGED, OPA_MESSAGE_LINES
from gateway.pdp.decision import Decision
from gateway.pdp.opa import OpaPolicyEngine
from gateway.pdp.process import LocalOpa
from gateway.pdp.replay import replay, subject_verdicts
from gateway.settings import Settings
from tests import scenarios as sc
from tests.conftest import POLICY_DIR
from tests.integration.test_policy_reload import _ice_s02, _lift_injunctions
from tests.support import Tokens, make_settings, prepare_home, running_gateway


def test_replay_on_lifted_injunctions_reports_exactly_the_dhs_decisions_that_change(
    tmp_path: Path, opa_binary: Path
) -> None:
    settings = make_settings(tmp_path / "home", f"sqlite:///{tmp_path / 'gw.db'}", opa_binary)
    prepare_home(settings)
    with running_gateway(settings) as client:
        fbi = client.post(
            "/v1/address-lookups",
            json=sc.fbi_i2(),
            headers=Tokens(settings).agency("DOJ-FBI", "FBI_DIRECTOR"),
        ).json()
        ice = _ice_s02(client, settings)
        log: DecisionLog = client.app.state.services.decision_log  # type: ignore[attr-defined]
        leaves = [(e.index, e.body) for e in log.entries(0, log.size())]
    candidate = tmp_path / "candidate"
    shutil.copytree(POLICY_DIR, candidate)
    _lift_injunctions(candidate)
    keys = AuditKeys.load_or_create(settings.keys_dir)
    seen: list[int] = []
    with LocalOpa(opa_binary, candidate) as opa:
        engine = OpaPolicyEngine(opa.url, timeout_seconds=5)
        summary = replay(leaves, keys, engine, on_leaf=lambda: seen.append(1))
    assert len(seen) == len(leaves)  # the progress callback sees every leaf
    assert summary.decisions == 2
    assert summary.unreadable == 0
    [change] = summary.changes
    assert change.decision_id == ice["decision_id"]
    assert (change.was, change.now) == ("denied", "pending_review")
    assert {"INJ-1", "INJ-4"} <= set(change.rules_removed)
    assert fbi["decision_id"] not in {c.decision_id for c in summary.changes}


def test_replay_with_another_audit_key_cannot_read_the_inputs(
    tmp_path: Path, opa_binary: Path
) -> None:
    settings = make_settings(tmp_path / "home", f"sqlite:///{tmp_path / 'gw.db'}", opa_binary)
    prepare_home(settings)
    with running_gateway(settings) as client:
        client.post(
            "/v1/address-lookups",
            json=sc.fbi_i2(),
            headers=Tokens(settings).agency("DOJ-FBI", "FBI_DIRECTOR"),
        )
        log: DecisionLog = client.app.state.services.decision_log  # type: ignore[attr-defined]
        leaves = [(e.index, e.body) for e in log.entries(0, log.size())]
    stranger = AuditKeys.load_or_create(tmp_path / "other-keys")
    with LocalOpa(opa_binary, POLICY_DIR) as opa:
        summary = replay(leaves, stranger, OpaPolicyEngine(opa.url, timeout_seconds=5))
    assert (summary.decisions, summary.unreadable) == (0, 1)


def _cli_env(settings: Settings) -> dict[str, str]:
    return {
        "GATEWAY_HOME": str(settings.home),
        "GATEWAY_DATABASE_URL": settings.resolved_database_url,
        "GATEWAY_OPA_BINARY": str(settings.opa_binary),
        "GATEWAY_POLICY_DIR": str(settings.policy_dir),
    }


@pytest.fixture
def decided(tmp_path: Path, opa_binary: Path) -> tuple[Settings, dict[str, Any], dict[str, Any]]:
    """A gateway's log with one FBI lookup (unchanged by lifting) and one ICE lookup."""
    settings = make_settings(tmp_path / "home", f"sqlite:///{tmp_path / 'gw.db'}", opa_binary)
    prepare_home(settings)
    with running_gateway(settings) as client:
        fbi = client.post(
            "/v1/address-lookups",
            json=sc.fbi_i2(),
            headers=Tokens(settings).agency("DOJ-FBI", "FBI_DIRECTOR"),
        ).json()
        body = sc.ice_1253()
        body["purpose"]["case_number"] = body["request_id"]  # a new ask, not a duplicate (GW-3b)
        ice = client.post(
            "/v1/address-lookups",
            json=body,
            headers=Tokens(settings).agency("DHS-ICE-HSI", "COMPONENT_HEAD"),
        ).json()
        ice["request_id"] = body["request_id"]
    return settings, fbi, ice


@pytest.fixture
def lifted(tmp_path: Path) -> Path:
    candidate = tmp_path / "candidate"
    shutil.copytree(POLICY_DIR, candidate)
    _lift_injunctions(candidate)
    return candidate


def test_replay_command_names_agency_request_and_ref_and_fails_on_change(
    decided: tuple[Settings, dict[str, Any], dict[str, Any]], lifted: Path
) -> None:
    settings, fbi, ice = decided
    args = ["policy", "replay", "--candidate", str(lifted), "--format", "json"]
    result = CliRunner().invoke(app, [*args, "--fail-on-change"], env=_cli_env(settings))
    assert result.exit_code == EXIT_CHANGED, result.output
    report = json.loads(result.stdout)
    assert (report["decisions"], report["unreadable"]) == (2, 0)
    assert report["totals"] == {"denied→pending_review": 1}
    [change] = report["changes"]
    assert change["decision_id"] == ice["decision_id"]
    assert change["agency"] == "DHS-ICE-HSI"
    assert change["request_id"] == ice["request_id"]
    assert change["ref"] == ice["results"][0]["ref"]
    assert (change["was"]["outcome"], change["now"]["outcome"]) == ("denied", "pending_review")
    assert {"INJ-1", "INJ-4"} <= set(change["rules_removed"])
    assert set(change["rules_removed"]) <= set(change["was"]["rules"])
    # Without --fail-on-change the same report is a success; the table names the request.
    table = CliRunner().invoke(
        app, ["policy", "replay", "--candidate", str(lifted)], env=_cli_env(settings)
    )
    assert table.exit_code == 0, table.output
    assert ice["request_id"] in table.stdout
    assert "denied→pending_review: 1" in table.stdout
    assert fbi["decision_id"] not in result.stdout


def test_replay_window_leaves_out_decisions_outside_since_and_until(
    decided: tuple[Settings, dict[str, Any], dict[str, Any]], lifted: Path
) -> None:
    settings, _, _ = decided
    args = ["policy", "replay", "--candidate", str(lifted), "--format", "json"]
    later = CliRunner().invoke(
        app, [*args, "--since", "2999-01-01", "--fail-on-change"], env=_cli_env(settings)
    )
    assert later.exit_code == 0, later.output
    report = json.loads(later.stdout)
    assert (report["decisions"], report["outside_window"], report["changes"]) == (0, 2, [])
    earlier = CliRunner().invoke(app, [*args, "--until", "2000-01-01"], env=_cli_env(settings))
    assert json.loads(earlier.stdout)["outside_window"] == 2


def test_replay_of_a_broken_candidate_prints_opas_message_and_exits_distinctly(
    decided: tuple[Settings, dict[str, Any], dict[str, Any]], lifted: Path
) -> None:
    settings, _, _ = decided
    (lifted / "broken.rego").write_text("package gateway.broken\n\nallow if {\n", "utf-8")
    result = CliRunner().invoke(
        app, ["policy", "replay", "--candidate", str(lifted)], env=_cli_env(settings)
    )
    assert result.exit_code == EXIT_BROKEN_CANDIDATE, result.output
    assert "Traceback" not in result.stderr
    assert "does not load" in result.stderr
    assert "rego_parse_error" in result.stderr
    assert "broken.rego" in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2 + OPA_MESSAGE_LINES


def _finding(rule: str, outcome: str) -> dict[str, str]:
    return {"rule": rule, "outcome": outcome, "citation": "c", "message": "m"}


def test_a_request_level_denial_denies_subjects_the_policy_allowed() -> None:
    """The replay reads outcomes as the pipeline does: request_effect first (known gap)."""
    subject = {
        "ref": "a",
        "outcome": "ALLOW",
        "release_tax_year": 2024,
        "redacted": [],
        "findings": [_finding("6103-I2-1", "ALLOW")],
        "reasons": [],
    }
    decision = Decision.model_validate(
        {
            "outcome": "ALLOW",
            "reasons": [_finding("GW-1", "DENY")],
            "subjects": [subject],
            "obligations": [],
        }
    )
    [verdict] = subject_verdicts(decision)
    assert verdict.outcome == "denied"
    assert verdict.rules == {"GW-1", "6103-I2-1"}
