"""Replaying logged decisions on a candidate policy shows a change's impact before it is live."""

from __future__ import annotations

import shutil
from pathlib import Path

from gateway.audit.log import DecisionLog
from gateway.audit.sealing import AuditKeys
from gateway.pdp.opa import OpaPolicyEngine
from gateway.pdp.process import LocalOpa
from gateway.pdp.replay import replay
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
