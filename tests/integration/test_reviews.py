"""The human review queue end to end in-process: queue, approve or deny, final answer."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.audit.log import DecisionLog
from tests import scenarios as sc
from tests.support import Tokens, record_order


def _pending_lookup(client: TestClient, tokens: Tokens) -> dict[str, Any]:
    """An acting FBI Director signs: 6103-I2-2 sends the request to human review."""
    body = sc.fbi_i2()
    headers = tokens.agency_official("DOJ-FBI", "fbi-acting-director")
    answer: dict[str, Any] = client.post("/v1/address-lookups", json=body, headers=headers).json()
    assert answer["outcome"] == "pending_review"
    assert answer["results"][0]["address"] is None
    return answer


def _officer(tokens: Tokens) -> dict[str, str]:
    return tokens.staff("disclosure_officer")


def test_pending_subject_is_queued_with_its_findings(client: TestClient, tokens: Tokens) -> None:
    answer = _pending_lookup(client, tokens)
    items = client.get("/v1/reviews", headers=_officer(tokens)).json()["items"]
    [item] = [i for i in items if i["decision_id"] == answer["decision_id"]]
    assert item["ref"] == "TP-1"
    assert item["status"] == "pending"
    assert item["agency"] == "DOJ-FBI"
    assert "6103-I2-2" in {f["rule"] for f in item["findings"]}
    assert item["releasable_tax_year"] == 2024


def test_approval_releases_the_allowed_address_and_is_logged(
    client: TestClient, tokens: Tokens
) -> None:
    answer = _pending_lookup(client, tokens)
    did = answer["decision_id"]
    resp = client.post(
        f"/v1/reviews/{did}/TP-1",
        headers=_officer(tokens),
        json={"action": "approve", "note": "Acting designation verified."},
    )
    assert resp.status_code == 200
    log_index = resp.json()["log_index"]
    log: DecisionLog = client.app.state.services.decision_log  # type: ignore[attr-defined]
    entry = log.entries(log_index, log_index + 1)[0]
    record = json.loads(entry.body)
    assert (record["kind"], record["decision_id"], record["action"]) == ("review", did, "approve")
    assert b"verified" not in entry.body  # the note is sealed
    assert record["penalties"] == ["PEN-1", "PEN-3"]  # a human released the address
    final = client.get(
        f"/v1/address-lookups/{did}", headers=tokens.agency("DOJ-FBI", "FBI_DIRECTOR")
    ).json()
    assert final["outcome"] == "allowed"
    assert final["results"][0]["outcome"] == "disclosed"
    assert final["results"][0]["address"]["tax_year"] == 2024
    assert final["results"][0]["address"]["line1"] == "1420 Elm St"
    again = client.post(
        f"/v1/reviews/{did}/TP-1",
        headers=_officer(tokens),
        json={"action": "deny", "note": "second thoughts"},
    )
    assert again.status_code == 409
    history = client.get("/v1/reviews?status=approved", headers=_officer(tokens)).json()["items"]
    assert [i["review_log_index"] for i in history if i["decision_id"] == did] == [log_index]


def test_denial_releases_nothing_and_reads_as_the_uniform_denial(
    client: TestClient, tokens: Tokens
) -> None:
    did = _pending_lookup(client, tokens)["decision_id"]
    resp = client.post(
        f"/v1/reviews/{did}/TP-1",
        headers=_officer(tokens),
        json={"action": "deny", "note": "No delegation on file."},
    )
    assert resp.status_code == 200
    final = client.get(
        f"/v1/address-lookups/{did}", headers=tokens.agency("DOJ-FBI", "FBI_DIRECTOR")
    ).json()
    assert final["outcome"] == "denied"
    assert final["results"][0]["address"] is None
    assert [r["rule"] for r in final["results"][0]["reasons"]] == ["GW-11"]


def test_only_disclosure_officers_work_the_queue(client: TestClient, tokens: Tokens) -> None:
    did = _pending_lookup(client, tokens)["decision_id"]
    for who in ("agency", "auditor"):

        def headers(who: str = who) -> dict[str, str]:
            if who == "agency":
                return tokens.agency("DOJ-FBI", "FBI_DIRECTOR")
            return tokens.staff("auditor")

        assert client.get("/v1/reviews", headers=headers()).status_code == 403
        resp = client.post(
            f"/v1/reviews/{did}/TP-1", headers=headers(), json={"action": "approve", "note": "x"}
        )
        assert resp.status_code == 403


@pytest.mark.parametrize(
    "body", [{"action": "approve"}, {"action": "APPROVE", "note": "x"}, {"note": "x"}]
)
def test_review_action_must_name_an_action_and_a_note(
    client: TestClient, tokens: Tokens, body: dict[str, str]
) -> None:
    did = _pending_lookup(client, tokens)["decision_id"]
    resp = client.post(f"/v1/reviews/{did}/TP-1", headers=_officer(tokens), json=body)
    assert resp.status_code == 422


def test_unknown_review_item_is_404(client: TestClient, tokens: Tokens) -> None:
    resp = client.post(
        "/v1/reviews/nope/TP-1", headers=_officer(tokens), json={"action": "deny", "note": "x"}
    )
    assert resp.status_code == 404


def test_dhs_request_under_a_court_order_shows_the_court_notice_to_the_officer(
    client: TestClient, tokens: Tokens
) -> None:
    body = sc.fbi_i1()
    for r in body["recipients"]:
        r["employer_agency"] = "DHS"
    record_order(client, tokens, body["court_order"])  # INJ-3 needs a verified order
    answer = client.post(
        "/v1/address-lookups",
        json=body,
        headers=tokens.agency_official("DHS-CBP", "cbp-commissioner"),
    ).json()
    assert answer["outcome"] == "pending_review"
    items = client.get("/v1/reviews", headers=_officer(tokens)).json()["items"]
    [item] = [i for i in items if i["decision_id"] == answer["decision_id"]]
    assert "COURT_NOTICE" in item["obligations"]
    assert item["court_notices"]
    assert "INJ-3" in {f["rule"] for f in item["findings"]}
