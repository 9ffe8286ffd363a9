"""Court orders are facts, not claims: the registry, its log leaves, and lookups decided on it.

In-process against real OPA and a real database (SQLite and PostgreSQL). Every
lookup here cites an (i)(1) order; what decides is what staff recorded from the
docket, never what the agency wrote.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import pytest
from fastapi.testclient import TestClient

from gateway.audit.log import DecisionLog
from gateway.audit.sealing import AuditKeys
from gateway.auth.tokens import StaffRole
from gateway.services import Services
from tests import scenarios as sc
from tests.support import Tokens, record_order, staff_id

FBI = ("DOJ-FBI", "FBI_DIRECTOR")


def _services(client: TestClient) -> Services:
    svc: Services = client.app.state.services  # type: ignore[attr-defined]
    return svc


def _leaf(client: TestClient, index: int) -> tuple[str, bytes]:
    log: DecisionLog = _services(client).decision_log
    entry = log.entries(index, index + 1)[0]
    return entry.kind, entry.body


def _keys(client: TestClient) -> AuditKeys:
    return AuditKeys.load_or_create(_services(client).settings.keys_dir)


def _sealed_input(client: TestClient, answer: dict[str, Any]) -> dict[str, Any]:
    """The policy input the decision was made on, unsealed with the audit key."""
    _, body = _leaf(client, answer["log_index"])
    record = json.loads(body)
    plain = _keys(client).unseal(
        record["sealed_input"], associated_data=answer["decision_id"].encode()
    )
    policy_input: dict[str, Any] = json.loads(plain)
    return policy_input


def _lookup(client: TestClient, tokens: Tokens, body: dict[str, Any]) -> dict[str, Any]:
    resp = client.post("/v1/address-lookups", json=body, headers=tokens.agency(*FBI))
    assert resp.status_code == 200, resp.text
    answer: dict[str, Any] = resp.json()
    return answer


def _request_rules(answer: dict[str, Any]) -> set[str]:
    return {r["rule"] for r in answer["reasons"]}


# -- who may record, who may read -------------------------------------------------------


@pytest.mark.parametrize("role", ["court_liaison", "disclosure_officer"])
def test_court_liaisons_and_disclosure_officers_record_orders(
    client: TestClient, tokens: Tokens, role: StaffRole
) -> None:
    order = sc.fbi_i1()["court_order"]
    resp = client.post("/v1/court-orders", json=sc.order_record(order), headers=tokens.staff(role))
    assert resp.status_code == 201, resp.text
    recorded = resp.json()
    assert recorded["version"] == 1
    assert recorded["supersedes"] is None
    assert recorded["recorded_by"] == {"subject": staff_id(role), "role": role}
    assert recorded["covered_tins"] == [sc.GONZALEZ_TIN]
    assert recorded["log_index"] == _services(client).decision_log.size() - 1
    assert _leaf(client, recorded["log_index"])[0] == "court_order"
    assert resp.headers["location"] == f"/v1/court-orders/{recorded['id']}"
    got = client.get(f"/v1/court-orders/{recorded['id']}", headers=tokens.staff("auditor"))
    assert got.json() == recorded | {"superseded_by": None}


@pytest.mark.parametrize("who", ["auditor", "operator", "agency"])
def test_recording_an_order_needs_the_right_role(
    client: TestClient, tokens: Tokens, who: Literal["auditor", "operator", "agency"]
) -> None:
    headers = tokens.agency(*FBI) if who == "agency" else tokens.staff(who)
    size = _services(client).decision_log.size()
    resp = client.post(
        "/v1/court-orders", json=sc.order_record(sc.fbi_i1()["court_order"]), headers=headers
    )
    assert resp.status_code == 403
    assert resp.headers["content-type"] == "application/problem+json"
    assert _services(client).decision_log.size() == size  # nothing recorded, nothing logged
    listed = client.get("/v1/court-orders", headers=tokens.staff("auditor")).json()
    assert listed["items"] == []


def test_agencies_cannot_read_the_registry(client: TestClient, tokens: Tokens) -> None:
    recorded = record_order(client, tokens, sc.fbi_i1()["court_order"])
    for path in ("/v1/court-orders", f"/v1/court-orders/{recorded['id']}"):
        assert client.get(path, headers=tokens.agency(*FBI)).status_code == 403
    assert client.get("/v1/court-orders/nope", headers=tokens.staff("auditor")).status_code == 404


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"issued_at": "2026-01-10T10:30:00"}, id="instant_without_offset"),
        pytest.param({"verification_source": ""}, id="no_verification_source"),
        pytest.param({"verified_with_court": True}, id="unknown_field"),
        pytest.param({"covered_tins": ["123-45-678"]}, id="malformed_tin"),
    ],
)
def test_a_malformed_order_is_a_422_that_records_nothing(
    client: TestClient, tokens: Tokens, change: dict[str, Any]
) -> None:
    body = sc.order_record(sc.fbi_i1()["court_order"]) | change
    resp = client.post("/v1/court-orders", json=body, headers=tokens.staff("court_liaison"))
    assert resp.status_code == 422
    assert resp.headers["content-type"] == "application/problem+json"
    assert "123-45-678" not in resp.text  # where and what, never the value
    listed = client.get("/v1/court-orders", headers=tokens.staff("auditor")).json()
    assert listed["items"] == []


# -- the log leaf ------------------------------------------------------------------------


def test_recorded_order_is_a_court_order_leaf_without_a_clear_tin(
    client: TestClient, tokens: Tokens
) -> None:
    order = sc.fbi_i1()["court_order"]
    recorded = record_order(client, tokens, order)
    kind, body = _leaf(client, recorded["log_index"])
    leaf = json.loads(body)
    assert kind == leaf["kind"] == "court_order"
    assert (leaf["order_id"], leaf["version"]) == (recorded["id"], 1)
    assert leaf["recorded_by"] == {"subject": staff_id("court_liaison"), "role": "court_liaison"}
    keys = _keys(client)
    # the same pseudonym a decision leaf gives this taxpayer, and never the TIN itself
    assert leaf["covered_tins"] == [keys.pseudonym("taxpayer", f"tin:{sc.GONZALEZ_TIN}")]
    for secret in (sc.GONZALEZ_TIN, sc.GONZALEZ_TIN.replace("-", ""), "Whitfield", "Magistrate"):
        assert secret.encode() not in body
    assert order["docket_number"].encode() not in body
    assert leaf["scope"]["covered_taxable_periods"] == [2023, 2024, 2025]
    sealed = json.loads(
        keys.unseal(leaf["sealed_order"], associated_data=f"court_order:{recorded['id']}".encode())
    )
    assert sealed["covered_tins"] == [sc.GONZALEZ_TIN]
    assert sealed["docket_number"] == order["docket_number"]


# -- lookups decided on the record -------------------------------------------------------


def test_unrecorded_order_goes_to_review_and_discloses_nothing(
    client: TestClient, tokens: Tokens
) -> None:
    answer = _lookup(client, tokens, sc.fbi_i1())
    assert answer["outcome"] == "pending_review"
    assert "6103-I1-1b" in _request_rules(answer)
    assert [r["address"] for r in answer["results"]] == [None]
    order = _sealed_input(client, answer)["court_order"]
    assert (order["verified_with_court"], order["discrepancies"]) == (False, [])


def test_an_agency_cannot_declare_its_own_order_verified(
    client: TestClient, tokens: Tokens
) -> None:
    body = sc.fbi_i1()
    body["court_order"]["verified_with_court"] = True
    resp = client.post("/v1/address-lookups", json=body, headers=tokens.agency(*FBI))
    assert resp.status_code == 422
    assert any(e["loc"][-1] == "verified_with_court" for e in resp.json()["errors"])


def test_recorded_order_releases_the_address_and_the_input_is_the_record(
    client: TestClient, tokens: Tokens
) -> None:
    body = sc.fbi_i1()
    record_order(client, tokens, body["court_order"])
    answer = _lookup(client, tokens, body)
    assert answer["outcome"] == "allowed"
    assert answer["results"][0]["address"]["tax_year"] == 2025  # TP-2002's last known
    order = _sealed_input(client, answer)["court_order"]
    assert (order["verified_with_court"], order["discrepancies"]) == (True, [])


def test_recorded_order_matches_however_the_docket_and_court_are_spelled(
    client: TestClient, tokens: Tokens
) -> None:
    body = sc.fbi_i1()
    record_order(client, tokens, body["court_order"])
    docket = body["court_order"]["docket_number"]  # "1:26-mj-000NN"
    body["court_order"]["docket_number"] = " " + docket.upper().replace("-", " - ") + " "
    body["court_order"]["court"] = "us district court for the district of maryland."
    answer = _lookup(client, tokens, body)
    assert answer["outcome"] == "allowed"
    assert "6103-I1-1c" not in _request_rules(answer)
    order = _sealed_input(client, answer)["court_order"]
    assert order["verified_with_court"] is True
    # the record's spelling is what the policy (and the I1-OK message) sees
    assert order["docket_number"] == docket
    assert order["issuing_court"] == "U.S. District Court for the District of Maryland"


def test_claimed_tin_the_record_does_not_cover_is_denied_and_flagged(
    client: TestClient, tokens: Tokens
) -> None:
    body = sc.fbi_i1()
    record_order(client, tokens, body["court_order"])  # covers Gonzalez only
    okafor = dict(
        body["subjects"][0],
        ref="TP-3003",
        tin=sc.OKAFOR_TIN,
        name={"first": "Samuel", "middle": "K", "last": "Okafor"},
        specific_reason="Signatory on the account that received the second wire.",
    )
    body["subjects"].append(okafor)
    body["court_order"]["covered_tins"] = [sc.GONZALEZ_TIN, sc.OKAFOR_TIN]
    answer = _lookup(client, tokens, body)
    assert "6103-I1-1c" in _request_rules(answer)
    gonzalez, denied = answer["results"]
    assert denied["outcome"] == "denied"
    assert denied["address"] is None
    assert "6103-I1-5" in {r["rule"] for r in denied["reasons"]}
    # the covered taxpayer is not released either: a person looks at the difference first
    # (or the request's denial settles it), never the agency's word
    assert gonzalez["outcome"] != "disclosed"
    assert gonzalez["address"] is None
    order = _sealed_input(client, answer)["court_order"]
    assert order["covered_tins"] == [sc.GONZALEZ_TIN]
    assert order["discrepancies"] == ["covered_tins"]


def test_expired_recorded_order_is_denied_whatever_the_request_claims(
    client: TestClient, tokens: Tokens
) -> None:
    body = sc.fbi_i1()
    now = datetime.now(UTC)
    expired = dict(
        body["court_order"],
        issued_at=(now - timedelta(days=80)).isoformat(),
        expires_at=(now - timedelta(days=15)).isoformat(),
    )
    record_order(client, tokens, expired)
    answer = _lookup(client, tokens, body)  # still claims an expiry 120 days ahead
    assert answer["outcome"] == "denied"
    assert {"6103-I1-4", "6103-I1-1c"} <= _request_rules(answer)
    assert answer["results"][0]["address"] is None
    assert _sealed_input(client, answer)["court_order"]["discrepancies"] == [
        "expires_at",
        "issued_at",
    ]


# -- corrections are new versions ---------------------------------------------------------


def test_a_correction_is_a_new_version_and_decides_from_then_on(
    client: TestClient, tokens: Tokens
) -> None:
    body = sc.fbi_i1()
    first = record_order(client, tokens, body["court_order"])

    def liaison() -> dict[str, str]:
        return tokens.staff("court_liaison")  # a token is good for one call

    vacated = sc.order_record(body["court_order"]) | {
        "expires_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
        "verification_note": "Vacated on motion, docket entry 9.",
    }
    # the same court and docket again, without naming what it corrects
    again = client.post("/v1/court-orders", json=vacated, headers=liaison())
    assert again.status_code == 409
    second = client.post(
        "/v1/court-orders", json=vacated | {"supersedes": first["id"]}, headers=liaison()
    )
    assert second.status_code == 201, second.text
    v2 = second.json()
    assert (v2["version"], v2["supersedes"]) == (2, first["id"])
    # the first version is kept as it was, and says what replaced it
    old = client.get(f"/v1/court-orders/{first['id']}", headers=liaison()).json()
    assert old == first | {"superseded_by": v2["id"]}
    # correcting an outdated version is refused
    stale = client.post(
        "/v1/court-orders", json=vacated | {"supersedes": first["id"]}, headers=liaison()
    )
    assert stale.status_code == 409
    current = client.get("/v1/court-orders", headers=liaison()).json()["items"]
    assert [o["id"] for o in current] == [v2["id"]]
    everything = client.get("/v1/court-orders?include_superseded=true", headers=liaison()).json()
    assert {o["id"] for o in everything["items"]} == {first["id"], v2["id"]}
    answer = _lookup(client, tokens, body)
    assert answer["outcome"] == "denied"
    assert "6103-I1-4" in _request_rules(answer)


def test_a_correction_keeps_the_court_and_docket_number(client: TestClient, tokens: Tokens) -> None:
    first = record_order(client, tokens, sc.fbi_i1()["court_order"])
    other = sc.order_record(sc.fbi_i1()["court_order"]) | {"supersedes": first["id"]}
    resp = client.post("/v1/court-orders", json=other, headers=tokens.staff("court_liaison"))
    assert resp.status_code == 409
    unknown = sc.order_record(sc.fbi_i1()["court_order"]) | {"supersedes": "no-such-order"}
    resp = client.post("/v1/court-orders", json=unknown, headers=tokens.staff("court_liaison"))
    assert resp.status_code == 422
