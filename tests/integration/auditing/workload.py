"""A mixed workload through the gateway: allowed, denied, pending, approved and rejected."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from tests import scenarios as sc
from tests.support import Tokens

RIVERA_TIN = "123-45-6789"


@dataclass(frozen=True)
class Workload:
    allowed: str
    denied: str
    pending: str
    approved: str
    rejected: str


def _lookup(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    resp = client.post("/v1/address-lookups", json=body, headers=headers)
    assert resp.status_code == 200, resp.text
    answer: dict[str, Any] = resp.json()
    return answer


def _periods(body: dict[str, Any], periods: list[int]) -> dict[str, Any]:
    body["subjects"][0]["taxable_periods"] = periods
    return body


def _review(client: TestClient, tokens: Tokens, decision_id: str, action: str) -> None:
    resp = client.post(
        f"/v1/reviews/{decision_id}/TP-1",
        headers=tokens.staff("disclosure_officer"),
        json={"action": action, "note": "checked"},
    )
    assert resp.status_code == 200, resp.text


def run_workload(client: TestClient, tokens: Tokens) -> Workload:
    director = tokens.agency("DOJ-FBI", "FBI_DIRECTOR")
    allowed = _lookup(client, director, sc.fbi_i2())
    assert allowed["outcome"] == "allowed"
    denied = _lookup(client, tokens.agency("DHS-ICE-HSI", "COMPONENT_HEAD"), sc.ice_1253())
    assert denied["outcome"] == "denied"
    # An acting Director signs: 6103-I2-2 sends each to review. Other periods make each a
    # new ask rather than a duplicate of the last (GW-3b).
    pending, approved, rejected = (
        _lookup(
            client,
            tokens.agency_official("DOJ-FBI", "fbi-acting-director"),
            _periods(sc.fbi_i2(), periods),
        )
        for periods in ([2024], [2022, 2024], [2021, 2024])
    )
    assert {pending["outcome"], approved["outcome"], rejected["outcome"]} == {"pending_review"}
    _review(client, tokens, approved["decision_id"], "approve")
    _review(client, tokens, rejected["decision_id"], "deny")
    return Workload(
        allowed=allowed["decision_id"],
        denied=denied["decision_id"],
        pending=pending["decision_id"],
        approved=approved["decision_id"],
        rejected=rejected["decision_id"],
    )
