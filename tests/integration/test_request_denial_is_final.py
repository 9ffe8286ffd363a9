"""A request-level denial is final: the enforcement point releases nothing of a denied request.

The gateway's policy denies every subject of a request it denies, so that policy
cannot show that the enforcement point would hold even if it did not. Here the
real OPA binary serves a deliberately inconsistent policy
(``tests/assets/inconsistent_policy``: request DENY, every subject entry ALLOW or
REQUIRE_HUMAN_REVIEW with a tax year to release) as the gateway's OPA sidecar
(``GATEWAY_OPA_URL``), and the whole gateway answers a lookup with it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.audit.log import DecisionLog
from gateway.pdp.opa import OpaPolicyEngine
from gateway.pdp.process import LocalOpa
from gateway.settings import Settings
from tests import scenarios as sc
from tests.conftest import REPO
from tests.support import Tokens, make_settings, prepare_home, running_gateway

INCONSISTENT_POLICY = REPO / "tests" / "assets" / "inconsistent_policy"
UNIFORM_DENIAL = "GW-11"


@pytest.fixture
def inconsistent_opa(opa_binary: Path) -> Iterator[LocalOpa]:
    with LocalOpa(opa_binary, INCONSISTENT_POLICY) as opa:
        yield opa


@pytest.fixture
def settings(
    tmp_path: Path, database_url: str, opa_binary: Path, inconsistent_opa: LocalOpa
) -> Settings:
    s = make_settings(tmp_path / "home", database_url, opa_binary, opa_url=inconsistent_opa.url)
    prepare_home(s)
    return s


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with running_gateway(settings) as c:
        yield c


def _two_releasable_subjects() -> dict[str, Any]:
    """Rivera (allowed by its entry) and Okafor (sent to review by its entry): both have a
    2024 address on file, the year every entry names."""
    body = sc.fbi_i2()
    okafor = sc.about(sc.fbi_i2(), sc.OKAFOR)["subjects"][0]
    body["subjects"].append(dict(okafor, ref="review-okafor"))
    return body


def test_the_test_policy_really_contradicts_itself(inconsistent_opa: LocalOpa) -> None:
    """The premise: a well-formed decision whose request outcome and subject entries disagree."""
    engine = OpaPolicyEngine(inconsistent_opa.url, timeout_seconds=10)
    try:
        decision = engine.decide({"taxpayers": [{"ref": "TP-1"}, {"ref": "review-okafor"}]})
    finally:
        engine.close()
    assert decision.outcome == "DENY"
    assert [(s.outcome, s.release_tax_year) for s in decision.subjects] == [
        ("ALLOW", 2024),
        ("REQUIRE_HUMAN_REVIEW", 2024),
    ]
    assert decision.subjects[0].releases_address


def test_subjects_of_a_denied_request_are_denied_whatever_their_entries_say(
    client: TestClient, tokens: Tokens
) -> None:
    log: DecisionLog = client.app.state.services.decision_log  # type: ignore[attr-defined]
    resp = client.post(
        "/v1/address-lookups",
        json=_two_releasable_subjects(),
        headers=tokens.agency("DOJ-FBI", "FBI_DIRECTOR"),
    )
    assert resp.status_code == 200, resp.text
    answer = resp.json()
    assert answer["outcome"] == "denied"
    for result in answer["results"]:
        assert result["outcome"] == "denied"
        assert result["address"] is None
        assert result["redacted"] == ["last_known_address"]
        # Uniform: nothing of the overruled entry's own findings shows.
        assert [r["rule"] for r in result["reasons"]] == [UNIFORM_DENIAL]
    for address_text in ("Elm St", "Charles St"):
        assert address_text not in resp.text

    leaf = json.loads(log.entries(answer["log_index"], answer["log_index"] + 1)[0].body)
    assert leaf["outcome"] == "denied"
    assert [(s["outcome"], s["released"], s["released_tax_year"]) for s in leaf["subjects"]] == [
        ("denied", [], None),
        ("denied", [], None),
    ]

    stored = client.get(
        f"/v1/address-lookups/{answer['decision_id']}",
        headers=tokens.agency("DOJ-FBI", "FBI_DIRECTOR"),
    ).json()
    assert stored == answer
    queue = client.get("/v1/reviews", headers=tokens.staff("disclosure_officer")).json()
    assert [i for i in queue["items"] if i["decision_id"] == answer["decision_id"]] == []
