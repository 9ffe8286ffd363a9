"""The lookup API in-process against real OPA and a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from gateway.audit.log import DecisionLog
from tests import scenarios as sc
from tests.support import (
    Tokens,
    forged_agency_token,
    official_for,
    record_order,
)

# Distinctive text only: a bare ZIP code could occur by chance in hex pseudonyms.
PERSONAL = ["123-45-6789", "Rivera", "Jordan", "1420 Elm", "Baltimore", "Gonzalez"]


def _log(client: TestClient) -> DecisionLog:
    log: DecisionLog = client.app.state.services.decision_log  # type: ignore[attr-defined]
    return log


def _post(
    client: TestClient,
    tokens: Tokens,
    body: dict[str, Any],
    agency: str = "DOJ-FBI",
    role: str = "FBI_DIRECTOR",
) -> Any:
    return client.post("/v1/address-lookups", json=body, headers=tokens.agency(agency, role))


def _scenario_params() -> list[Any]:
    return [
        pytest.param(
            s,
            id=s.says,
            marks=[pytest.mark.xfail(strict=True, reason=s.known_gap)] if s.known_gap else [],
        )
        for s in sc.scenarios()
    ]


@pytest.mark.parametrize("scenario", _scenario_params())
def test_scenario_is_decided_as_the_policy_model_says(
    client: TestClient, tokens: Tokens, scenario: sc.Scenario
) -> None:
    official = scenario.official or official_for(scenario.agency, scenario.role)
    if scenario.delivery == "forged_token":
        # S19 (`signature_valid` false) cannot reach the policy over HTTP: a bad signature
        # is a 401 before any decision, so GW-2 is only reachable in `opa test`.
        size = _log(client).size()
        forged = forged_agency_token(scenario.agency, official, tokens.audience)
        resp = client.post(
            "/v1/address-lookups", json=scenario.body, headers={"Authorization": f"Bearer {forged}"}
        )
        assert resp.status_code == 401
        assert _log(client).size() == size
        return

    if scenario.body.get("court_order"):
        # The order the agency cites counts only as staff recorded it from the docket.
        record_order(client, tokens, scenario.body["court_order"])

    def send() -> Any:
        """The scenario's request, each time with a fresh token (a reused one is a 401)."""
        headers = tokens.agency_official(scenario.agency, official)
        return client.post("/v1/address-lookups", json=scenario.body, headers=headers)

    resp = send()
    if scenario.delivery == "twice":
        # S18: the same request_id again; the second answer is the one that counts.
        assert resp.json()["outcome"] == "allowed"
        resp = send()
    assert resp.status_code == 200, resp.text
    answer = resp.json()
    entry = _log(client).entries(answer["log_index"], answer["log_index"] + 1)[0]
    sc.assert_decided_as(scenario, answer, json.loads(entry.body))
    for secret in PERSONAL:
        assert secret not in entry.body.decode()


def test_allowed_lookup_releases_only_the_last_known_mailing_address(
    client: TestClient, tokens: Tokens
) -> None:
    body = sc.fbi_i2()
    body["fields"] = ["last_known_address", "tin", "income", "bank_account"]
    answer = _post(client, tokens, body).json()
    result = answer["results"][0]
    assert result["outcome"] == "disclosed"
    assert result["address"] == {
        "line1": "1420 Elm St",
        "line2": "Apt 3",
        "city": "Baltimore",
        "state": "MD",
        "zip": "21201",
        "tax_year": 2024,
    }
    assert result["redacted"] == ["bank_account", "income", "tin"]
    assert set(result) == {"ref", "outcome", "address", "redacted", "reasons"}


def test_one_subjects_denial_does_not_deny_the_others(client: TestClient, tokens: Tokens) -> None:
    """A subject denied on its own facts (here: no one on file) leaves the others released:
    only a request-level denial is final for every subject (API.md ``partially_allowed``)."""
    body = sc.fbi_i2()
    stranger = sc.about(sc.fbi_i2(), sc.CHEN)["subjects"][0]
    stranger.update(ref="TP-X", tin="123-45-0999", specific_reason="Co-signer of the lease.")
    body["subjects"].append(stranger)
    answer = _post(client, tokens, body).json()
    assert answer["outcome"] == "partially_allowed"
    assert [r["outcome"] for r in answer["results"]] == ["disclosed", "denied"]
    assert answer["results"][0]["address"] is not None


def test_decision_leaf_names_the_penalty_provisions_at_stake(
    client: TestClient, tokens: Tokens
) -> None:
    allowed = _post(client, tokens, sc.fbi_i2()).json()
    nobody = sc.fbi_i2()
    nobody["subjects"][0].update(
        tin="987-65-4320", name={"first": "Nobody", "middle": None, "last": "Atall"}
    )
    denied = _post(client, tokens, nobody).json()
    log = _log(client)

    def penalties(answer: dict[str, Any]) -> list[str]:
        i = answer["log_index"]
        tags: list[str] = json.loads(log.entries(i, i + 1)[0].body)["penalties"]
        return tags

    assert penalties(allowed) == ["PEN-1", "PEN-2", "PEN-3"]
    assert penalties(denied) == []
    assert "PEN-1" not in json.dumps(allowed)


def test_denied_unknown_person_looks_exactly_like_a_denied_taxpayer(
    client: TestClient, tokens: Tokens
) -> None:
    known = sc.fbi_i2()
    known["subjects"][0]["specific_reason"] = ""
    unknown = sc.fbi_i2()
    unknown["subjects"][0].update(
        tin="987-65-4320",
        name={"first": "Nobody", "middle": None, "last": "Atall"},
        specific_reason="",
    )
    a = _post(client, tokens, known).json()["results"][0]
    b = _post(client, tokens, unknown).json()["results"][0]
    assert a == b


def test_get_returns_the_same_answer_to_the_same_agency_only(
    client: TestClient, tokens: Tokens
) -> None:
    answer = _post(client, tokens, sc.fbi_i2()).json()
    again = client.get(
        f"/v1/address-lookups/{answer['decision_id']}",
        headers=tokens.agency("DOJ-FBI", "FBI_DIRECTOR"),
    )
    assert again.status_code == 200
    assert again.json() == answer
    other = client.get(
        f"/v1/address-lookups/{answer['decision_id']}",
        headers=tokens.agency("DHS-ICE-HSI", "COMPONENT_HEAD"),
    )
    assert other.status_code == 404
    assert other.headers["content-type"] == "application/problem+json"


def test_reused_request_id_with_another_body_is_a_conflict(
    client: TestClient, tokens: Tokens
) -> None:
    body = sc.fbi_i2()
    assert _post(client, tokens, body).status_code == 200
    changed = dict(body, fields=["last_known_address", "income"])
    resp = _post(client, tokens, changed)
    assert resp.status_code == 409
    assert resp.json()["status"] == 409


def test_resubmitting_the_same_request_is_denied_as_a_replay(
    client: TestClient, tokens: Tokens
) -> None:
    body = sc.fbi_i2()
    first = _post(client, tokens, body).json()
    second = _post(client, tokens, body).json()
    assert first["outcome"] == "allowed"
    assert second["outcome"] == "denied"
    assert "GW-3" in sc.rule_ids(second)
    assert second["results"][0]["address"] is None


def test_same_ask_under_a_new_request_id_is_denied_as_a_duplicate(
    client: TestClient, tokens: Tokens
) -> None:
    body = sc.fbi_i2()
    first = _post(client, tokens, body).json()
    again = _post(client, tokens, dict(body, request_id=body["request_id"] + "-again")).json()
    assert first["outcome"] == "allowed"
    assert again["outcome"] == "denied"
    assert "GW-3b" in sc.rule_ids(again)


def test_asking_again_about_a_disclosed_taxpayer_is_a_duplicate(
    client: TestClient, tokens: Tokens
) -> None:
    first = _post(client, tokens, sc.fbi_i2()).json()
    reworded = sc.fbi_i2()
    reworded["purpose"]["case_number"] = "FBI-BA-2026-0999"
    reworded["subjects"][0]["specific_reason"] = "Seen again near the bank on 14 Jan 2026."
    again = _post(client, tokens, reworded).json()
    assert first["outcome"] == "allowed"
    assert again["outcome"] == "denied"
    assert "GW-3b" in sc.rule_ids(again)


def test_corrected_resend_of_a_denied_request_is_decided_afresh(
    client: TestClient, tokens: Tokens
) -> None:
    broken = sc.fbi_i2()
    broken["subjects"][0]["address"] = None
    assert _post(client, tokens, broken).json()["outcome"] == "denied"
    fixed = _post(client, tokens, sc.fbi_i2()).json()
    assert fixed["outcome"] == "allowed"


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda b: b.update(surprise=1), "surprise"),
        (lambda b: b["subjects"][0].update(taxable_periods=["2023"]), "taxable_periods"),
        (lambda b: b["purpose"].update(category="NONTAX_CRIMINAL"), "category"),
        (lambda b: b["subjects"][0].update(tin="12-345"), "tin"),
        (lambda b: b.update(subjects=[]), "subjects"),
        (lambda b: b.update(fields=["last_known_address", "photo"]), "fields"),
        (lambda b: b["subjects"][0].update(specific_reason="x" * 5000), "specific_reason"),
        (lambda b: b["recipients"][0].update(open_caseload="3"), "open_caseload"),
    ],
)
def test_invalid_body_is_a_422_problem_and_decides_nothing(
    client: TestClient, tokens: Tokens, mutate: Any, where: str
) -> None:
    body = sc.fbi_i2()
    mutate(body)
    size = _log(client).size()
    resp = _post(client, tokens, body)
    assert resp.status_code == 422
    assert resp.headers["content-type"] == "application/problem+json"
    problem = resp.json()
    assert any(where in e["loc"] for e in problem["errors"])
    assert "Rivera" not in resp.text
    assert "123-45-6789" not in resp.text
    assert _log(client).size() == size


def test_malformed_json_is_a_422_problem(client: TestClient, tokens: Tokens) -> None:
    resp = client.post(
        "/v1/address-lookups",
        content=b'{"request_id": ',
        headers={"content-type": "application/json", **tokens.agency("DOJ-FBI", "FBI_DIRECTOR")},
    )
    assert resp.status_code == 422
    assert resp.json()["title"] == "Invalid request"


def test_oversized_body_is_refused_before_it_is_read(client: TestClient, tokens: Tokens) -> None:
    body = sc.fbi_i2()
    body["purpose"]["description"] = "x" * 3_000_000
    resp = _post(client, tokens, body)
    assert resp.status_code == 413
    assert resp.headers["content-type"] == "application/problem+json"


def test_too_many_subjects_is_a_422(client: TestClient, tokens: Tokens) -> None:
    body = sc.fbi_i2()
    body["subjects"] = [dict(body["subjects"][0], ref=f"r{i}") for i in range(2001)]
    assert _post(client, tokens, body).status_code == 422


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic dXNlcjpwYXNz"}],
)
def test_missing_or_bad_token_is_401_and_nothing_is_decided(
    client: TestClient, headers: dict[str, str]
) -> None:
    size = _log(client).size()
    resp = client.post("/v1/address-lookups", json=sc.fbi_i2(), headers=headers)
    assert resp.status_code == 401
    assert resp.headers["content-type"] == "application/problem+json"
    assert _log(client).size() == size


def test_replayed_token_is_401(client: TestClient, tokens: Tokens) -> None:
    headers = tokens.agency("DOJ-FBI", "FBI_DIRECTOR")
    assert client.post("/v1/address-lookups", json=sc.fbi_i2(), headers=headers).status_code == 200
    resp = client.post("/v1/address-lookups", json=sc.fbi_i2(), headers=headers)
    assert resp.status_code == 401
    assert "replayed" in resp.json()["detail"]


def test_staff_token_cannot_request_addresses(client: TestClient, tokens: Tokens) -> None:
    resp = client.post("/v1/address-lookups", json=sc.fbi_i2(), headers=tokens.staff("auditor"))
    assert resp.status_code == 403


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {
        "opa": True,
        "datastore": True,
        "log": True,
        "checkpoint": True,
    }


def test_request_log_line_has_no_personal_data(client: TestClient, tokens: Tokens) -> None:
    with capture_logs() as logs:
        answer = _post(client, tokens, sc.fbi_i2()).json()
    completed = [e for e in logs if e["event"] == "request.completed"]
    assert len(completed) == 1
    assert completed[0]["status"] == 200
    assert completed[0]["decision_id"] == answer["decision_id"]
    text = repr(logs)
    for secret in PERSONAL:
        assert secret not in text
