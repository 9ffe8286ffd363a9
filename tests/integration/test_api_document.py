"""The API document against the running gateway: what it declares is what happens.

Each call below provokes one problem answer on a real gateway (real OPA, SQLite and
PostgreSQL, a non-default subject limit); the status must be one the document
declares for that operation, and the body must be a problem document of its schema.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from gateway.api.problems import PROBLEM_MEDIA_TYPE, ProblemDocument
from gateway.settings import Settings
from tests import scenarios as sc
from tests.support import Tokens, make_settings, prepare_home

LIMIT = 3


@pytest.fixture
def settings(tmp_path: Path, database_url: str, opa_binary: Path) -> Settings:
    s = make_settings(tmp_path / "home", database_url, opa_binary, max_subjects=LIMIT)
    prepare_home(s)
    return s


def _subjects(n: int) -> dict[str, Any]:
    body = sc.fbi_i2()
    body["subjects"] = [dict(body["subjects"][0], ref=f"r{i}") for i in range(n)]
    return body


def _declared(client: TestClient, method: str, path: str) -> set[int]:
    operation = client.get("/openapi.json").json()["paths"][path][method.lower()]
    return {int(status) for status in operation["responses"]}


def test_the_documented_subject_limit_is_the_one_enforced(
    client: TestClient, tokens: Tokens
) -> None:
    doc = client.get("/openapi.json").json()
    limit = doc["components"]["schemas"]["LookupRequest"]["properties"]["subjects"]["maxItems"]
    assert limit == LIMIT
    headers = tokens.agency("DOJ-FBI", "FBI_DIRECTOR")
    over = client.post("/v1/address-lookups", json=_subjects(limit + 1), headers=headers)
    assert over.status_code == 422
    at = client.post(
        "/v1/address-lookups",
        json=_subjects(limit),
        headers=tokens.agency("DOJ-FBI", "FBI_DIRECTOR"),
    )
    assert at.status_code == 200, at.text


def _lookup(tokens: Tokens, **headers: str) -> dict[str, str]:
    return {**tokens.agency("DOJ-FBI", "FBI_DIRECTOR"), **headers}


Provoke = Callable[[TestClient, Tokens], Response]

CASES: list[tuple[str, str, int, Provoke]] = [
    (
        "POST",
        "/v1/address-lookups",
        401,
        lambda c, t: c.post("/v1/address-lookups", json=sc.fbi_i2()),
    ),
    (
        "POST",
        "/v1/address-lookups",
        403,
        lambda c, t: c.post("/v1/address-lookups", json=sc.fbi_i2(), headers=t.staff("auditor")),
    ),
    (
        "POST",
        "/v1/address-lookups",
        413,
        lambda c, t: c.post(
            "/v1/address-lookups",
            content=b'{"x": "' + b"a" * (3 * 1024 * 1024) + b'"}',
            headers=_lookup(t, **{"content-type": "application/json"}),
        ),
    ),
    (
        "POST",
        "/v1/address-lookups",
        415,
        lambda c, t: c.post(
            "/v1/address-lookups",
            content=b"request_id=1",
            headers=_lookup(t, **{"content-type": "application/x-www-form-urlencoded"}),
        ),
    ),
    (
        "POST",
        "/v1/address-lookups",
        422,
        lambda c, t: c.post("/v1/address-lookups", json={"request_id": "x"}, headers=_lookup(t)),
    ),
    (
        "GET",
        "/v1/address-lookups/{decision_id}",
        404,
        lambda c, t: c.get("/v1/address-lookups/no-such-decision", headers=_lookup(t)),
    ),
    (
        "POST",
        "/v1/reviews/{decision_id}/{ref}",
        404,
        lambda c, t: c.post(
            "/v1/reviews/no-such-decision/TP-1",
            json={"action": "deny", "note": "n"},
            headers=t.staff("disclosure_officer"),
        ),
    ),
    (
        "GET",
        "/v1/log/proofs/inclusion",
        404,
        lambda c, t: c.get(
            "/v1/log/proofs/inclusion?index=0&tree_size=9007199254740991",
            headers=t.staff("auditor"),
        ),
    ),
]


def _conflict(client: TestClient, tokens: Tokens) -> Response:
    body = sc.fbi_i2()
    first = client.post("/v1/address-lookups", json=body, headers=_lookup(tokens))
    assert first.status_code == 200, first.text
    changed = dict(body, fields=["last_known_address", "income"])
    return client.post("/v1/address-lookups", json=changed, headers=_lookup(tokens))


CASES.append(("POST", "/v1/address-lookups", 409, _conflict))


@pytest.mark.parametrize(
    ("method", "path", "status", "provoke"),
    CASES,
    ids=[f"{status}-{method}-{path}" for method, path, status, _ in CASES],
)
def test_a_problem_the_gateway_answers_is_declared_for_its_operation(
    client: TestClient,
    tokens: Tokens,
    method: str,
    path: str,
    status: int,
    provoke: Provoke,
) -> None:
    resp = provoke(client, tokens)
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == PROBLEM_MEDIA_TYPE
    problem = ProblemDocument.model_validate(resp.json())
    assert problem.status == status
    assert status in _declared(client, method, path)
