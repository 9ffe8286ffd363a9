"""The edges of the HTTP API: bounded query integers, what the request log may say, and
the headers every answer owes its caller (caching, authentication challenge, Allow).

In-process, against real OPA and a real database (SQLite and PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.settings import Settings
from tests import scenarios as sc
from tests.support import Tokens, running_gateway

BEYOND_SQL_BIGINT = str(2**63)  # 9223372036854775808: an OverflowError in the driver


@pytest.fixture
def unraised(settings: Settings) -> Iterator[TestClient]:
    """The gateway as a caller sees it: a crash is a 500 answer, not a test exception."""
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


def test_every_integer_query_parameter_past_its_bound_is_a_422_problem_never_a_500(
    unraised: TestClient, tokens: Tokens
) -> None:
    big = BEYOND_SQL_BIGINT
    asks = [
        f"/v1/log/entries?start={big}&end={big}",
        f"/v1/log/entries?start=0&end={big}",
        f"/v1/log/proofs/inclusion?index=0&tree_size={big}",
        f"/v1/log/proofs/inclusion?index={big}&tree_size={big}",
        f"/v1/log/proofs/consistency?first=0&second={big}",
        f"/v1/log/proofs/consistency?first={big}&second={big}",
    ]
    for url in asks:
        resp = unraised.get(url, headers=tokens.staff("auditor"))
        assert resp.status_code == 422, (url, resp.status_code, resp.text)
        assert resp.headers["content-type"] == "application/problem+json"
        assert resp.json()["errors"][0]["loc"][0] == "query"


def test_the_request_log_names_the_route_template_never_the_raw_path(
    settings: Settings, tokens: Tokens, capsys: pytest.CaptureFixture[str]
) -> None:
    # A review ref is chosen by the requesting agency and may carry personal data.
    secret = "RIVERA-JORDAN-1985"
    # Started here, not in a fixture: the app's logger writes to the stderr of its start.
    with running_gateway(settings) as client:
        client.post(
            f"/v1/reviews/d-0000/{secret}",
            json={"action": "approve", "note": "checked"},
            headers=tokens.staff("disclosure_officer"),
        )
        client.get(f"/v1/no-such-route/{secret}", headers=tokens.staff("auditor"))
    logged = capsys.readouterr().err
    assert "request.completed" in logged
    assert "/v1/reviews/{decision_id}/{ref}" in logged
    assert secret not in logged


def test_every_v1_answer_says_no_store(client: TestClient, tokens: Tokens) -> None:
    answers = [
        client.post(
            "/v1/address-lookups",
            json=sc.fbi_i2(),
            headers=tokens.agency("DOJ-FBI", "FBI_DIRECTOR"),
        ),
        client.get("/v1/address-lookups/nope", headers=tokens.agency("DOJ-FBI", "FBI_DIRECTOR")),
        client.get("/v1/reviews"),
        client.get("/v1/log/entries?start=x&end=1", headers=tokens.staff("auditor")),
        client.delete("/v1/address-lookups", headers=tokens.staff("auditor")),
    ]
    assert [a.status_code for a in answers] == [200, 404, 401, 422, 405]
    assert answers[0].json()["results"][0]["address"] is not None
    for answer in answers:
        assert answer.headers.get("cache-control") == "no-store", answer.request.url


def test_401_challenges_with_bearer_and_says_when_the_token_was_refused(
    client: TestClient,
) -> None:
    missing = client.get("/v1/reviews")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == 'Bearer realm="taxpayer-gateway"'
    refused = client.get("/v1/reviews", headers={"Authorization": "Bearer not.a.jwt"})
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == (
        'Bearer realm="taxpayer-gateway", error="invalid_token"'
    )


def test_405_names_the_allowed_methods(client: TestClient, tokens: Tokens) -> None:
    resp = client.delete("/v1/address-lookups", headers=tokens.staff("auditor"))
    assert resp.status_code == 405
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.headers["allow"] == "POST"
