"""``/v1/audit/*`` over HTTP, on real OPA and both databases: the issue's three questions."""

from __future__ import annotations

import base64
import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.audit.checkpoint import open_note
from gateway.audit.merkle import leaf_hash, verify_inclusion
from gateway.audit.signer import NoteVerifier
from gateway.services import Services
from tests.integration.auditing.workload import RIVERA_TIN, Workload, run_workload
from tests.support import Tokens, staff_id


@pytest.fixture
def work(client: TestClient, tokens: Tokens) -> Workload:
    return run_workload(client, tokens)


def _services(client: TestClient) -> Services:
    svc: Services = client.app.state.services  # type: ignore[attr-defined]
    return svc


def _get(client: TestClient, tokens: Tokens, path: str, **params: Any) -> Any:
    resp = client.get(path, params=params, headers=tokens.staff("auditor"))
    assert resp.status_code == 200, resp.text
    return resp


def _access_leaves(client: TestClient) -> list[dict[str, Any]]:
    log = _services(client).decision_log
    return [json.loads(e.body) for e in log.entries(0, log.size()) if e.kind == "audit_access"]


def _b64(text: str) -> bytes:
    return base64.b64decode(text)


def test_accounting_answers_who_received_the_taxpayers_address(
    client: TestClient, tokens: Tokens, work: Workload
) -> None:
    answer = _get(client, tokens, "/v1/audit/disclosures", tin="123456789").json()
    by_id = {e["decision_id"]: e for e in answer["entries"]}
    # Every request about Rivera: disclosed, approved on review, pending, denied, denied on review.
    assert set(by_id) == {work.allowed, work.denied, work.pending, work.approved, work.rejected}
    assert answer["disclosures"] == 2
    disclosed = by_id[work.allowed]
    assert disclosed["outcome"] == "disclosed"
    assert (disclosed["agency"], disclosed["legal_basis"]) == ("DOJ-FBI", "6103_i_2")
    assert disclosed["purpose"] == "NONTAX_CRIMINAL"
    assert disclosed["released"] == ["last_known_address"]
    assert disclosed["tax_year"] == 2024
    assert disclosed["requested_fields"] == ["LAST_KNOWN_ADDRESS"]
    assert [r["name"] for r in disclosed["recipients"]] == [
        "Special Agent Dana Whitfield",
        "Special Agent Luis Ortega",
    ]
    assert disclosed["sealed_details"] is True
    assert (by_id[work.approved]["outcome_as_decided"], by_id[work.approved]["outcome"]) == (
        "pending_review",
        "disclosed",
    )
    assert by_id[work.pending]["outcome"] == "pending_review"
    assert by_id[work.rejected]["outcome"] == "denied"
    assert by_id[work.denied]["agency"] == "DHS-ICE-HSI"
    # The TIN is never echoed, and the look is on record under the pseudonym only.
    assert RIVERA_TIN not in json.dumps(answer)
    assert "123456789" not in json.dumps(answer)
    [looked] = [a for a in _access_leaves(client) if a["action"] == "accounting"]
    assert looked["taxpayer"] == answer["taxpayer"]
    assert looked["viewer"] == {"subject": staff_id("auditor"), "role": "auditor"}
    assert RIVERA_TIN not in json.dumps(looked)


def test_accounting_of_a_taxpayer_nobody_asked_about_is_empty(
    client: TestClient, tokens: Tokens, work: Workload
) -> None:
    answer = _get(client, tokens, "/v1/audit/disclosures", tin="987-65-4321").json()
    assert answer["entries"] == []
    assert answer["disclosures"] == 0


def test_search_finds_every_denial_citing_a_rule(
    client: TestClient, tokens: Tokens, work: Workload
) -> None:
    week_ago = (datetime.now(UTC) - timedelta(days=7)).isoformat()
    page = _get(
        client, tokens, "/v1/audit/decisions", rule="INJ-1", outcome="denied", since=week_ago
    ).json()
    assert [i["decision_id"] for i in page["items"]] == [work.denied]
    assert "INJ-1" in page["items"][0]["request_rules"] + page["items"][0]["subject_rules"]
    reviewed = _get(
        client, tokens, "/v1/audit/decisions", rule="6103-I2-2", agency="DOJ-FBI"
    ).json()["items"]
    assert {i["decision_id"] for i in reviewed} == {work.pending, work.approved, work.rejected}
    disclosed = _get(client, tokens, "/v1/audit/decisions", outcome="disclosed").json()["items"]
    assert {i["decision_id"] for i in disclosed} == {work.allowed, work.approved}
    assert (
        _get(client, tokens, "/v1/audit/decisions", agency="DOJ-FBI", rule="INJ-1").json()["items"]
        == []
    )


def test_search_pages_with_a_cursor_without_skipping_or_repeating(
    client: TestClient, tokens: Tokens, work: Workload
) -> None:
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 2, "agency": "DOJ-FBI"}
        if cursor:
            params["cursor"] = cursor
        page = _get(client, tokens, "/v1/audit/decisions", **params).json()
        seen.extend(i["decision_id"] for i in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted([work.allowed, work.pending, work.approved, work.rejected])
    indices = [i["log_index"] for i in _get(client, tokens, "/v1/audit/decisions").json()["items"]]
    assert indices == sorted(indices, reverse=True)


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"outcome": "maybe"}, "outcome"),
        ({"since": "2026-01-01T00:00:00"}, "since"),  # no time zone
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
    ],
)
def test_bad_filters_and_cursors_are_problem_documents(
    client: TestClient, tokens: Tokens, params: dict[str, Any], where: str
) -> None:
    resp = client.get("/v1/audit/decisions", params=params, headers=tokens.staff("auditor"))
    assert resp.status_code == 422
    assert resp.headers["content-type"] == "application/problem+json"
    assert where in json.dumps(resp.json()["errors"])


def test_a_cursor_is_refused_with_other_filters(
    client: TestClient, tokens: Tokens, work: Workload
) -> None:
    cursor = _get(client, tokens, "/v1/audit/decisions", limit=1).json()["next_cursor"]
    assert cursor is not None
    resp = client.get(
        "/v1/audit/decisions",
        params={"limit": 1, "cursor": cursor, "agency": "DOJ-FBI"},
        headers=tokens.staff("auditor"),
    )
    assert resp.status_code == 422
    assert "other filters" in resp.json()["detail"]


def test_csv_and_jsonl_exports_carry_every_matching_row(
    client: TestClient, tokens: Tokens, work: Workload
) -> None:
    resp = _get(client, tokens, "/v1/audit/decisions", format="csv", agency="DOJ-FBI")
    assert resp.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(resp.text)))
    assert {r["decision_id"] for r in rows} == {
        work.allowed,
        work.pending,
        work.approved,
        work.rejected,
    }
    assert {r["final_outcome"] for r in rows if r["decision_id"] == work.approved} == {"disclosed"}
    lines = _get(client, tokens, "/v1/audit/decisions", format="jsonl").text.splitlines()
    assert {json.loads(line)["decision_id"] for line in lines} == {
        work.allowed,
        work.denied,
        work.pending,
        work.approved,
        work.rejected,
    }
    exports = [a for a in _access_leaves(client) if a["action"] == "export"]
    assert [(a["filters"]["format"], a["filters"]["agency"]) for a in exports] == [
        ("csv", "DOJ-FBI"),
        ("jsonl", None),
    ]


def test_decision_shows_reviews_citations_and_a_proof_anyone_can_check(
    client: TestClient, tokens: Tokens, work: Workload
) -> None:
    detail = _get(client, tokens, f"/v1/audit/decisions/{work.approved}").json()
    assert [(r["action"], r["final_outcome"]) for r in detail["reviews"]] == [
        ("approve", "disclosed")
    ]
    rules = {r["rule"]: r for r in detail["rules"]}
    assert "6103(i)(2)" in (rules["6103-I2-2"]["citation"] or "")
    assert rules["6103-I2-2"]["title"]
    proof = detail["proof"]
    assert proof["verified"] is True
    # Independently: the leaf bytes, the signed checkpoint and the proof, with the pinned key.
    pinned = client.get("/v1/log/public-key", headers=tokens.staff("auditor")).text.strip()
    checkpoint = open_note(proof["checkpoint"], [NoteVerifier.from_text(pinned)])
    leaf = _b64(proof["leaf"])
    assert json.loads(leaf)["decision_id"] == work.approved
    assert leaf_hash(leaf) == _b64(proof["leaf_hash"])
    verify_inclusion(
        leaf_hash=leaf_hash(leaf),
        index=proof["leaf_index"],
        size=checkpoint.size,
        proof=[_b64(h) for h in proof["hashes"]],
        root=checkpoint.root,
    )
    assert checkpoint.size == proof["tree_size"]


def test_unknown_decision_is_404(client: TestClient, tokens: Tokens) -> None:
    resp = client.get("/v1/audit/decisions/no-such-id", headers=tokens.staff("auditor"))
    assert resp.status_code == 404
    assert resp.headers["content-type"] == "application/problem+json"


def test_summary_counts_requests_by_agency_basis_outcome_and_rule(
    client: TestClient, tokens: Tokens, work: Workload
) -> None:
    now = datetime.now(UTC)
    window = {
        "since": (now - timedelta(days=30)).isoformat(),
        "until": (now + timedelta(hours=1)).isoformat(),
    }
    report = _get(client, tokens, "/v1/audit/reports/summary", **window).json()
    assert report["total"]["decisions"] == 5
    agencies = {c["key"]: c for c in report["by_agency"]}
    assert (agencies["DOJ-FBI"]["decisions"], agencies["DOJ-FBI"]["disclosed"]) == (4, 2)
    assert agencies["DHS-ICE-HSI"]["denied"] == 1
    outcomes = {c["key"]: c["decisions"] for c in report["by_outcome"]}
    assert outcomes == {"allowed": 2, "denied": 2, "pending_review": 1}
    assert {c["key"]: c["decisions"] for c in report["by_rule"]}["6103-I2-2"] >= 3
    text = _get(client, tokens, "/v1/audit/reports/summary", format="csv", **window).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {"group": "agency", "key": "DOJ-FBI", "decisions": "4"}.items() <= next(
        r for r in rows if r["group"] == "agency" and r["key"] == "DOJ-FBI"
    ).items()
    earlier = {
        "since": (now - timedelta(days=60)).isoformat(),
        "until": (now - timedelta(days=30)).isoformat(),
    }
    assert (
        _get(client, tokens, "/v1/audit/reports/summary", **earlier).json()["total"]["decisions"]
        == 0
    )


def test_summary_refuses_a_backwards_range(client: TestClient, tokens: Tokens) -> None:
    resp = client.get(
        "/v1/audit/reports/summary",
        params={"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
        headers=tokens.staff("auditor"),
    )
    assert resp.status_code == 422


@pytest.mark.parametrize("who", ["disclosure_officer", "operator", "agency"])
def test_only_auditors_use_the_audit_api(client: TestClient, tokens: Tokens, who: str) -> None:
    for path, params in (
        ("/v1/audit/decisions", {}),
        ("/v1/audit/disclosures", {"tin": RIVERA_TIN}),
        (
            "/v1/audit/reports/summary",
            {"since": "2026-01-01T00:00:00Z", "until": "2027-01-01T00:00:00Z"},
        ),
    ):
        headers = (
            tokens.agency("DOJ-FBI", "FBI_DIRECTOR") if who == "agency" else tokens.staff(who)  # type: ignore[arg-type]
        )
        resp = client.get(path, params=params, headers=headers)
        assert resp.status_code == 403, (path, resp.text)
    assert _access_leaves(client) == []


def test_every_call_is_recorded_before_it_answers(
    client: TestClient, tokens: Tokens, work: Workload
) -> None:
    _get(client, tokens, "/v1/audit/decisions", rule="INJ-1")
    _get(client, tokens, f"/v1/audit/decisions/{work.allowed}")
    actions = [(a["action"], a["channel"]) for a in _access_leaves(client)]
    assert actions == [("search", "api"), ("decision", "api")]
    search, decision = _access_leaves(client)
    assert search["filters"]["rule"] == "INJ-1"
    assert decision["decision_id"] == work.allowed


def test_dashboard_counts_days_rules_denials_and_the_backlog(
    client: TestClient, tokens: Tokens, work: Workload
) -> None:
    from gateway.auditing.views import Viewer

    now = datetime.now(UTC)
    board = _services(client).audit.dashboard(
        Viewer("test-staff", "auditor", "pages"), now - timedelta(days=2), now + timedelta(hours=1)
    )
    assert len(board.per_day) >= 3
    today = next(d for d in board.per_day if d.day == now.date())
    assert today.outcomes == {
        "allowed": 2,
        "partially_allowed": 0,
        "pending_review": 1,
        "denied": 2,
    }
    assert {c.key: c.denied for c in board.denials_by_agency} == {"DOJ-FBI": 1, "DHS-ICE-HSI": 1}
    assert "6103-I2-2" in {c.key for c in board.top_rules}
    assert board.backlog.pending == 1
    assert board.backlog.oldest_age_seconds is not None
    assert [a["action"] for a in _access_leaves(client)] == ["dashboard"]
