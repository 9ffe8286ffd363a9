"""The disclosure officers' workbench over HTTP, on real OPA, SQLite and PostgreSQL.

What the issue asked of it: each item with what the policy saw (unsealed on the
server, for officers only), filters and oldest first, bulk actions that settle
each item on its own, no approval before a court notice's filing is recorded,
two different officers for items touching DHS or an injunction rule, and
officers who are registered staff.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from gateway.audit.log import DecisionLog
from gateway.auth.permissions import Permission, roles_with
from gateway.cli import app as cli_app
from gateway.settings import Settings
from tests import scenarios as sc
from tests.support import Tokens, record_order

PEOPLE = [sc.OKAFOR, sc.WHITFIELD, sc.OBRIEN, sc.CHEN, sc.NUNEZ]
HARPER, MENDES = "officer-harper", "officer-mendes"
REF = "TP-2002"
"""The subject of the DHS request (F-FBI-I1, about TP-2002)."""


def _log(client: TestClient) -> DecisionLog:
    log: DecisionLog = client.app.state.services.decision_log  # type: ignore[attr-defined]
    return log


def _leaf(client: TestClient, index: int) -> tuple[str, dict[str, Any]]:
    entry = _log(client).entries(index, index + 1)[0]
    return entry.kind, json.loads(entry.body)


def _officer(tokens: Tokens, who: str = HARPER) -> dict[str, str]:
    return tokens.staff("disclosure_officer", who)


def _fbi_batch(client: TestClient, tokens: Tokens, n: int = 3) -> dict[str, Any]:
    """An acting FBI Director signs for ``n`` demo taxpayers: each goes to review
    (6103-I2-2), none touches DHS or an injunction."""
    body = sc.fbi_i2()
    subjects = []
    for k, person in enumerate(PEOPLE[:n], start=1):
        s = sc.about(body, person)["subjects"][0]
        s["ref"] = f"TP-{k}"
        s["specific_reason"] = f"Seen by witness {k} beside the getaway car on 12 Jan 2026."
        subjects.append(s)
    body["subjects"] = subjects
    headers = tokens.agency_official("DOJ-FBI", "fbi-acting-director")
    answer: dict[str, Any] = client.post("/v1/address-lookups", json=body, headers=headers).json()
    assert answer["outcome"] == "pending_review", answer
    answer["body"] = body
    return answer


def _dhs_notice_item(client: TestClient, tokens: Tokens) -> dict[str, Any]:
    """DHS recipients under a verified court order: INJ-3, with a COURT_NOTICE obligation."""
    body = sc.fbi_i1()
    for r in body["recipients"]:
        r["employer_agency"] = "DHS"
    record_order(client, tokens, body["court_order"])
    answer: dict[str, Any] = client.post(
        "/v1/address-lookups",
        json=body,
        headers=tokens.agency_official("DHS-CBP", "cbp-commissioner"),
    ).json()
    assert answer["outcome"] == "pending_review", answer
    return answer


def _queue(client: TestClient, tokens: Tokens, **params: Any) -> list[dict[str, Any]]:
    resp = client.get("/v1/reviews", params=params, headers=_officer(tokens))
    assert resp.status_code == 200, resp.text
    items: list[dict[str, Any]] = resp.json()["items"]
    return items


def _item(client: TestClient, tokens: Tokens, decision_id: str, ref: str) -> dict[str, Any]:
    resp = client.get(f"/v1/reviews/{decision_id}/{ref}", headers=_officer(tokens))
    assert resp.status_code == 200, resp.text
    item: dict[str, Any] = resp.json()
    return item


def _act(
    client: TestClient, tokens: Tokens, did: str, ref: str, action: str, who: str = HARPER
) -> Any:
    return client.post(
        f"/v1/reviews/{did}/{ref}",
        headers=_officer(tokens, who),
        json={"action": action, "note": f"{action} after checking the file"},
    )


def _filing(did: str, **changes: Any) -> dict[str, Any]:
    return {
        "decision_id": did,
        "filed_by": "A. Counsel, Office of Chief Counsel",
        "filed_at": (datetime.now(UTC) - timedelta(hours=25)).isoformat(),
        "court": "U.S. District Court for the District of Columbia",
        "reference": "1:25-cv-00457, ECF No. 88",
        **changes,
    }


# -- 1. the workbench ----------------------------------------------------------------------


def test_an_item_shows_what_the_policy_saw_about_its_subject(
    client: TestClient, tokens: Tokens
) -> None:
    answer = _fbi_batch(client, tokens, n=2)
    body = answer["body"]
    item = _item(client, tokens, answer["decision_id"], "TP-2")
    ctx = item["context"]
    assert ctx["purpose"]["category"] == "NONTAX_CRIMINAL"
    assert ctx["purpose"]["description"] == body["purpose"]["description"]
    assert ctx["purpose"]["case_number"] == body["purpose"]["case_number"]
    assert [s["cited"] for s in ctx["purpose"]["statutes"]] == body["purpose"]["statutes"]
    assert ctx["specific_reason"] == body["subjects"][1]["specific_reason"]
    assert [r["name"] for r in ctx["recipients"]] == [r["name"] for r in body["recipients"]]
    assert ctx["supplied"]["tin"] == sc.WHITFIELD.tin  # this subject, not the other one
    assert ctx["supplied"]["name"]["last"] == "Whitfield"
    assert ctx["match"]["candidates"] == 1
    assert ctx["match"]["tin_match"] is True
    assert ctx["record"]["last_known_tax_year"] is not None
    assert ctx["signer"]["acting"] is True
    assert {f["rule"] for f in item["findings"]} == {"6103-I2-2"}
    assert all(f["message"] and f["citation"] for f in item["findings"])
    assert item["two_person_rule"] is False
    assert item["waiting_for"] == []
    # the queue carries the same context, and every look is an access leaf
    size = _log(client).size()
    [queued] = [i for i in _queue(client, tokens) if i["ref"] == "TP-2"]
    assert queued["context"] == ctx
    kind, looked = _leaf(client, size)
    assert (kind, looked["action"], looked["viewer"]["subject"]) == (
        "audit_access",
        "review_queue",
        HARPER,
    )
    assert sc.WHITFIELD.tin.encode() not in _log(client).entries(size, size + 1)[0].body


def test_the_unsealed_context_is_for_disclosure_officers_only(
    client: TestClient, tokens: Tokens
) -> None:
    assert roles_with(Permission.REVIEW_CONTEXT) == ("disclosure_officer",)
    did = _fbi_batch(client, tokens, n=1)["decision_id"]
    for headers in (
        tokens.staff("auditor"),
        tokens.staff("operator"),
        tokens.staff("court_liaison"),
        tokens.agency("DOJ-FBI", "FBI_DIRECTOR"),
    ):
        assert client.get(f"/v1/reviews/{did}/TP-1", headers=headers).status_code == 403
        assert client.get("/v1/reviews", headers=headers).status_code == 403


def test_the_queue_filters_by_agency_basis_rule_and_age_oldest_first(
    client: TestClient, tokens: Tokens
) -> None:
    first = _fbi_batch(client, tokens, n=2)["decision_id"]
    dhs = _dhs_notice_item(client, tokens)["decision_id"]
    everything = _queue(client, tokens)
    assert [i["decision_id"] for i in everything] == [first, first, dhs]  # oldest first
    assert [i["queued_at"] for i in everything] == sorted(i["queued_at"] for i in everything)
    assert {i["decision_id"] for i in _queue(client, tokens, agency="DHS-CBP")} == {dhs}
    assert {i["decision_id"] for i in _queue(client, tokens, agency="DOJ-FBI")} == {first}
    assert {i["decision_id"] for i in _queue(client, tokens, legal_basis="6103_i_2")} == {first}
    assert {i["decision_id"] for i in _queue(client, tokens, rule="INJ-3")} == {dhs}
    assert {i["decision_id"] for i in _queue(client, tokens, rule="6103-I2-2")} == {first}
    assert _queue(client, tokens, min_age_hours=1) == []  # all were queued just now
    assert len(_queue(client, tokens, min_age_hours=0)) == 3
    assert (
        client.get(
            "/v1/reviews", params={"min_age_hours": -1}, headers=_officer(tokens)
        ).status_code
        == 422
    )


def test_a_bulk_action_settles_each_item_with_its_own_leaf_and_reports_each(
    client: TestClient, tokens: Tokens
) -> None:
    answer = _fbi_batch(client, tokens, n=3)
    did = answer["decision_id"]
    resp = client.post(
        "/v1/reviews/bulk",
        headers=_officer(tokens),
        json={
            "action": "approve",
            "note": "Acting designation confirmed with the FBI's general counsel.",
            "items": [
                {"decision_id": did, "ref": "TP-1"},
                {"decision_id": did, "ref": "TP-2"},
                {"decision_id": did, "ref": "TP-404"},
                {"decision_id": did, "ref": "TP-3"},
            ],
        },
    )
    assert resp.status_code == 200, resp.text
    results = resp.json()["results"]
    assert [r.get("status") for r in results] == ["approved", "approved", None, "approved"]
    assert results[2]["problem"]["status"] == 404
    assert resp.json()["totals"] == {"approved": 3, "refused": 1}
    indices = [r["log_index"] for r in results if "log_index" in r]
    assert len(set(indices)) == 3
    for index, ref_pos in zip(indices, (0, 1, 2), strict=True):
        kind, leaf = _leaf(client, index)
        assert (kind, leaf["action"], leaf["subject_position"]) == ("review", "approve", ref_pos)
        assert leaf["officer"] == HARPER  # the registered staff id
    final = client.get(
        f"/v1/address-lookups/{did}", headers=tokens.agency("DOJ-FBI", "FBI_DIRECTOR")
    ).json()
    assert final["outcome"] == "allowed"
    assert all(r["address"] is not None for r in final["results"])
    # a second bulk action over the same items refuses each one, and says why
    again = client.post(
        "/v1/reviews/bulk",
        headers=_officer(tokens),
        json={"action": "deny", "note": "x", "items": [{"decision_id": did, "ref": "TP-1"}]},
    ).json()
    assert again["results"][0]["problem"]["status"] == 409


# -- 3. obligations before release ---------------------------------------------------------


def test_an_item_with_a_court_notice_cannot_be_approved_before_the_filing_is_recorded(
    client: TestClient, tokens: Tokens
) -> None:
    did = _dhs_notice_item(client, tokens)["decision_id"]
    item = _item(client, tokens, did, REF)
    assert item["court_notices"]
    assert item["court_notice_filing"] is None
    assert "the court notice's filing" in item["waiting_for"]
    size = _log(client).size()
    refused = _act(client, tokens, did, REF, "approve")
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["missing"] == "court_notice_filing"
    assert problem["decision_id"] == did
    assert "filing" in problem["detail"]
    assert _log(client).size() == size  # nothing was recorded
    # the filing, by a court liaison, is a leaf of its own kind
    filed = client.post(
        "/v1/reviews/filings", json=_filing(did), headers=tokens.staff("court_liaison")
    )
    assert filed.status_code == 201, filed.text
    kind, leaf = _leaf(client, filed.json()["log_index"])
    assert kind == "court_notice_filing"
    assert leaf["decision_id"] == did
    assert leaf["court"] == "U.S. District Court for the District of Columbia"
    assert leaf["reference"] == "1:25-cv-00457, ECF No. 88"
    assert leaf["filed_by"] == "A. Counsel, Office of Chief Counsel"
    assert leaf["recorded_by"] == {"subject": "liaison-marsh", "role": "court_liaison"}
    shown = _item(client, tokens, did, REF)
    assert shown["court_notice_filing"]["log_index"] == filed.json()["log_index"]
    assert "the court notice's filing" not in shown["waiting_for"]
    assert _act(client, tokens, did, REF, "approve").status_code == 200
    twice = client.post("/v1/reviews/filings", json=_filing(did), headers=_officer(tokens))
    assert twice.status_code == 409


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        pytest.param({"filed_at": "2999-01-01T00:00:00+00:00"}, 422, id="filed_in_the_future"),
        pytest.param({"filed_at": "2026-01-01T00:00:00"}, 422, id="no_time_zone"),
        pytest.param({"court": ""}, 422, id="no_court"),
        pytest.param({"decision_id": "no-such-decision"}, 404, id="unknown_decision"),
    ],
)
def test_a_filing_must_name_a_real_decision_a_court_and_a_past_time(
    client: TestClient, tokens: Tokens, changes: dict[str, Any], status: int
) -> None:
    did = _dhs_notice_item(client, tokens)["decision_id"]
    resp = client.post(
        "/v1/reviews/filings", json=_filing(did, **changes), headers=_officer(tokens)
    )
    assert resp.status_code == status, resp.text


def test_a_decision_without_a_court_notice_obligation_takes_no_filing(
    client: TestClient, tokens: Tokens
) -> None:
    did = _fbi_batch(client, tokens, n=1)["decision_id"]
    resp = client.post("/v1/reviews/filings", json=_filing(did), headers=_officer(tokens))
    assert resp.status_code == 409
    assert "no court-notice obligation" in resp.json()["detail"]


def test_dhs_and_injunction_items_need_two_different_officers(
    client: TestClient, tokens: Tokens
) -> None:
    did = _dhs_notice_item(client, tokens)["decision_id"]
    assert _item(client, tokens, did, REF)["two_person_rule"] is True
    client.post("/v1/reviews/filings", json=_filing(did), headers=_officer(tokens))
    agency = tokens.agency_official("DHS-CBP", "cbp-commissioner")

    first = _act(client, tokens, did, REF, "approve", HARPER)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "awaiting_second_approval"
    kind, leaf = _leaf(client, first.json()["log_index"])
    assert (kind, leaf["officer"]) == ("review_first_approval", HARPER)
    still = client.get(f"/v1/address-lookups/{did}", headers=agency).json()
    assert still["outcome"] == "pending_review"
    assert still["results"][0]["address"] is None
    assert _item(client, tokens, did, REF)["first_approval"]["officer"] == HARPER

    same = _act(client, tokens, did, REF, "approve", HARPER)
    assert same.status_code == 409
    assert same.json()["missing"] == "second_officer"

    second = _act(client, tokens, did, REF, "approve", MENDES)
    assert second.status_code == 200, second.text
    assert second.json()["status"] == "approved"
    kind, leaf = _leaf(client, second.json()["log_index"])
    assert (kind, leaf["action"], leaf["officer"]) == ("review", "approve", MENDES)
    assert leaf["first_approval_index"] == first.json()["log_index"]
    assert "court_notice_filing_index" in leaf
    final = client.get(f"/v1/address-lookups/{did}", headers=agency).json()
    assert final["results"][0]["outcome"] == "disclosed"


def test_a_denial_needs_one_officer_and_no_filing(client: TestClient, tokens: Tokens) -> None:
    did = _dhs_notice_item(client, tokens)["decision_id"]
    resp = _act(client, tokens, did, REF, "deny", HARPER)
    assert resp.status_code == 200
    assert resp.json()["status"] == "denied"
    assert _leaf(client, resp.json()["log_index"])[1]["action"] == "deny"


# -- 2. staff are registered ---------------------------------------------------------------


@pytest.mark.parametrize("who", ["nobody-on-file", "officer-ellery"])
def test_a_token_for_unknown_or_inactive_staff_is_a_401(
    client: TestClient, tokens: Tokens, who: str
) -> None:
    from gateway.auth.keys import GATEWAY_KEY_NAME
    from gateway.auth.tokens import mint_token

    token = mint_token(
        tokens.keys,
        issuer=GATEWAY_KEY_NAME,
        subject=who,
        audience=tokens.audience,
        now=datetime.now(UTC),
        role="disclosure_officer",
    )
    resp = client.get("/v1/reviews", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401
    assert "staff member" in resp.json()["detail"]


def test_gateway_token_mints_only_for_registered_active_staff(settings: Settings) -> None:
    env = {"GATEWAY_HOME": str(settings.home), "GATEWAY_POLICY_DIR": str(settings.policy_dir)}
    runner = CliRunner()
    for args in (
        ["--role", "disclosure_officer", "--subject", "officer-ellery"],  # inactive
        ["--role", "disclosure_officer", "--subject", "nobody-on-file"],
        ["--role", "auditor", "--subject", HARPER],  # not her role
    ):
        refused = runner.invoke(cli_app, ["token", *args], env=env)
        assert refused.exit_code != 0, args
        assert "staff" in refused.output
    minted = runner.invoke(cli_app, ["token", "--role", "disclosure_officer"], env=env)
    assert minted.exit_code == 0, minted.output
    import jwt

    assert jwt.decode(minted.stdout.strip(), options={"verify_signature": False})["sub"] == HARPER
