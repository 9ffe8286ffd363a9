"""The API document agencies build against, and its offline viewer: checked on the
document the app serves, without starting the policy engine or the database."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from gateway.api.problems import PROBLEM_MEDIA_TYPE
from gateway.app import create_app
from gateway.settings import Settings
from tests.support import make_settings

ISSUE_STATUSES = {"401", "403", "404", "409", "413", "415", "422", "503"}
PROBLEM = {"schema": {"$ref": "#/components/schemas/Problem"}}


def _client(tmp_path: Path, **extra: object) -> TestClient:
    # No `with`: the lifespan (OPA, database) is not needed to serve the document.
    settings: Settings = make_settings(
        tmp_path, f"sqlite:///{tmp_path / 'g.db'}", tmp_path / "no-opa", **extra
    )
    return TestClient(create_app(settings))


@pytest.fixture
def document(tmp_path: Path) -> dict[str, Any]:
    resp = _client(tmp_path).get("/openapi.json")
    assert resp.status_code == 200
    doc: dict[str, Any] = resp.json()
    return doc


def _operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def test_the_api_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)


def test_the_lookup_declares_its_request_body(document: dict[str, Any]) -> None:
    body = document["paths"]["/v1/address-lookups"]["post"]["requestBody"]
    assert body["required"] is True
    assert body["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/LookupRequest"
    }
    schema = document["components"]["schemas"]["LookupRequest"]
    assert {"request_id", "legal_basis", "purpose", "subjects"} <= set(schema["required"])
    assert schema["additionalProperties"] is False  # unknown fields are refused
    assert schema["properties"]["subjects"]["items"] == {"$ref": "#/components/schemas/Subject"}


def test_the_court_order_record_declares_its_request_body(document: dict[str, Any]) -> None:
    body = document["paths"]["/v1/court-orders"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/CourtOrderRecording"
    assert (
        "verification_source"
        in document["components"]["schemas"]["CourtOrderRecording"]["properties"]
    )


def test_the_subject_limit_is_the_runtime_setting(tmp_path: Path) -> None:
    default = _client(tmp_path / "a").get("/openapi.json").json()
    custom = _client(tmp_path / "b", max_subjects=37).get("/openapi.json").json()

    def limit(doc: dict[str, Any]) -> int:
        bound: int = doc["components"]["schemas"]["LookupRequest"]["properties"]["subjects"][
            "maxItems"
        ]
        return bound

    assert limit(default) == Settings().max_subjects == 2000
    assert limit(custom) == 37


def test_every_v1_operation_requires_the_bearer_scheme(document: dict[str, Any]) -> None:
    scheme = document["components"]["securitySchemes"]["bearer"]
    assert scheme == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": scheme["description"],
    }
    v1 = [(m, p, op) for m, p, op in _operations(document) if p.startswith("/v1/")]
    assert v1
    for method, path, operation in v1:
        assert operation.get("security") == [{"bearer": []}], (method, path)
        assert {"401", "503"} <= set(operation["responses"]), (method, path)
        assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]


def test_every_error_answer_is_a_problem_document(document: dict[str, Any]) -> None:
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert "HTTPValidationError" not in document["components"]["schemas"]
    seen: set[str] = set()
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                seen.add(status)
                assert response["content"] == {PROBLEM_MEDIA_TYPE: PROBLEM}, (method, path)
    assert seen >= ISSUE_STATUSES


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("POST", "/v1/address-lookups", {"401", "403", "409", "413", "415", "422", "503"}),
        ("GET", "/v1/address-lookups/{decision_id}", {"401", "403", "404", "503"}),
        ("POST", "/v1/reviews/{decision_id}/{ref}", {"401", "403", "404", "409", "422"}),
        ("POST", "/v1/court-orders", {"401", "403", "409", "413", "415", "422", "503"}),
        ("GET", "/v1/log/proofs/inclusion", {"401", "403", "404", "422", "503"}),
    ],
)
def test_each_route_declares_the_problems_it_can_answer(
    document: dict[str, Any], method: str, path: str, statuses: set[str]
) -> None:
    declared = set(document["paths"][path][method.lower()]["responses"])
    assert statuses <= declared


def test_docs_render_from_local_assets_only(tmp_path: Path) -> None:
    client = _client(tmp_path)
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.text
    assert "://" not in html  # no other host: no CDN, no validator, no remote favicon
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert {a.rsplit("/", 1)[-1] for a in assets} >= {"swagger-ui-bundle.js", "swagger-ui.css"}
    assert "url: '/openapi.json'" in html
    for asset in assets:
        assert asset.startswith("/docs/assets/"), asset
        resp = client.get(asset)
        assert resp.status_code == 200, asset
        assert len(resp.content) > 1000, asset
    js = client.get("/docs/assets/swagger-ui-bundle.js")
    assert "javascript" in js.headers["content-type"]
    assert "SwaggerUIBundle" in js.text
    assert "text/css" in client.get("/docs/assets/swagger-ui.css").headers["content-type"]
