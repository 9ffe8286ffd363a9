"""The legal texts the gateway adds are the active policy's METADATA, never Python's.

Each test runs the gateway on a copy of ``policies/`` whose METADATA was edited
the way an operator would: the answers and the review queue must carry the
edited words, and a policy that lacks one of them must not become active.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gateway.pdp.texts import PolicyTextsMissingError
from gateway.services import Services
from gateway.settings import Settings
from tests import scenarios as sc
from tests.conftest import POLICY_DIR
from tests.support import Tokens, make_settings, prepare_home, record_order, running_gateway

GW11_CITATION = "§6103(b)(2)(A); IRM 11.3.21 (fact of filing is return information)"
APPROVED_MESSAGE = "Approved by a disclosure officer after review."
NOTICE_START = "Court notice required: file advance notice with the court"


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    target = tmp_path / "policies"
    shutil.copytree(POLICY_DIR, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not in {path.name} exactly once"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _settings(tmp_path: Path, policy_dir: Path, opa_binary: Path) -> Settings:
    s = make_settings(
        tmp_path / "home", f"sqlite:///{tmp_path / 'gw.db'}", opa_binary, policy_dir=policy_dir
    )
    prepare_home(s)
    return s


def _services(client: TestClient) -> Services:
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    return services


def test_answers_and_the_queue_carry_the_texts_the_policy_writes(
    tmp_path: Path, policy_dir: Path, opa_binary: Path
) -> None:
    _edit(
        policy_dir / "gateway" / "decision.rego",
        f"citation: {GW11_CITATION}",
        "citation: §6103(b)(2)(A) as edited by the operator",
    )
    _edit(
        policy_dir / "gateway" / "decision.rego",
        f"message: {APPROVED_MESSAGE}",
        "message: Released after review (edited).",
    )
    _edit(
        policy_dir / "gateway" / "rules" / "inj" / "inj.rego",
        f'message: "{NOTICE_START}',
        'message: "Edited notice. Court notice required: file advance notice with the court',
    )
    settings = _settings(tmp_path, policy_dir, opa_binary)
    tokens = Tokens(settings)
    with running_gateway(settings) as client:
        # A subject not on file is denied with the uniform denial.
        body = sc.fbi_i2()
        body["subjects"][0]["tin"] = "999-99-9999"
        denied = client.post(
            "/v1/address-lookups", json=body, headers=tokens.agency("DOJ-FBI", "FBI_DIRECTOR")
        ).json()
        assert denied["results"][0]["outcome"] == "denied"
        [gw11] = [r for r in denied["results"][0]["reasons"] if r["rule"] == "GW-11"]
        assert gw11["citation"] == "§6103(b)(2)(A) as edited by the operator"

        # An officer's approval adds the policy's REVIEW-APPROVED reason.
        pending = client.post(
            "/v1/address-lookups",
            json=sc.fbi_i2(),
            headers=tokens.agency_official("DOJ-FBI", "fbi-acting-director"),
        ).json()
        did = pending["decision_id"]
        resp = client.post(
            f"/v1/reviews/{did}/TP-1",
            headers=tokens.staff("disclosure_officer"),
            json={"action": "approve", "note": "Acting designation verified."},
        )
        assert resp.status_code == 200, resp.text
        final = client.get(
            f"/v1/address-lookups/{did}", headers=tokens.agency("DOJ-FBI", "FBI_DIRECTOR")
        ).json()
        [approved] = [r for r in final["results"][0]["reasons"] if r["rule"] == "REVIEW-APPROVED"]
        assert approved["message"] == "Released after review (edited)."

        # A DHS request under a court order shows the policy's court notice to the officer.
        order_body = sc.fbi_i1()
        for r in order_body["recipients"]:
            r["employer_agency"] = "DHS"
        record_order(client, tokens, order_body["court_order"])
        dhs = client.post(
            "/v1/address-lookups",
            json=order_body,
            headers=tokens.agency_official("DHS-CBP", "cbp-commissioner"),
        ).json()
        items = client.get("/v1/reviews", headers=tokens.staff("disclosure_officer")).json()
        [item] = [i for i in items["items"] if i["decision_id"] == dhs["decision_id"]]
        assert len(item["court_notices"]) == 1
        assert item["court_notices"][0].startswith("Edited notice.")


def test_a_policy_without_a_text_the_gateway_must_show_does_not_start(
    tmp_path: Path, policy_dir: Path, opa_binary: Path
) -> None:
    _edit(policy_dir / "gateway" / "decision.rego", f"#   message: {APPROVED_MESSAGE}\n", "")
    settings = _settings(tmp_path, policy_dir, opa_binary)
    with (
        pytest.raises(PolicyTextsMissingError, match="REVIEW-APPROVED"),
        running_gateway(settings),
    ):
        pass


def test_a_change_that_drops_a_text_is_refused_and_the_old_texts_stay(
    tmp_path: Path, policy_dir: Path, opa_binary: Path
) -> None:
    settings = _settings(tmp_path, policy_dir, opa_binary)
    with running_gateway(settings) as client:
        services = _services(client)
        before = services.active.current()
        inj = policy_dir / "gateway" / "rules" / "inj" / "inj.rego"
        _edit(inj, "#   rule_id: COURT_NOTICE\n", "")
        assert services.policies.reload_if_changed() is False
        status = services.policies.status
        assert status is not None
        assert status.last_error is not None
        assert "COURT_NOTICE" in status.last_error
        assert services.active.current() is before
        assert before.texts.court_notice.startswith(NOTICE_START)
