"""The /v1/log endpoints in-process, against real OPA and SQLite / PostgreSQL."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gateway.audit.checkpoint import open_note, verify_checkpoint_consistency
from gateway.audit.merkle import leaf_hash, verify_inclusion
from gateway.audit.signer import NoteVerifier
from gateway.settings import Settings
from tests import scenarios as sc
from tests.support import Tokens, make_settings, prepare_home

ORIGIN = "irs.example.gov/taxpayer-gateway/decisions"


@pytest.fixture
def settings(tmp_path: Path, database_url: str, opa_binary: Path) -> Settings:
    s = make_settings(tmp_path / "home", database_url, opa_binary, log_origin=ORIGIN)
    prepare_home(s)
    return s


def _lookup(client: TestClient, tokens: Tokens, case: str) -> int:
    body = sc.fbi_i2()
    body["purpose"]["case_number"] = case
    resp = client.post(
        "/v1/address-lookups", json=body, headers=tokens.agency("DOJ-FBI", "FBI_DIRECTOR")
    )
    assert resp.status_code == 200, resp.text
    index: int = resp.json()["log_index"]
    return index


def _verifier(client: TestClient, tokens: Tokens) -> NoteVerifier:
    resp = client.get("/v1/log/public-key", headers=tokens.staff("operator"))
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    return NoteVerifier.from_text(resp.text.strip())


def _b64(values: list[str]) -> list[bytes]:
    return [base64.b64decode(v) for v in values]


def test_public_key_is_a_verifier_key_named_after_the_origin(
    client: TestClient, tokens: Tokens
) -> None:
    verifier = _verifier(client, tokens)
    assert verifier.name == ORIGIN
    assert verifier.verifier_key_text().startswith(f"{ORIGIN}+{verifier.key_id.hex()}+")


def test_checkpoint_is_a_signed_note_that_opens_with_the_public_key(
    client: TestClient, tokens: Tokens
) -> None:
    resp = client.get("/v1/log/checkpoint", headers=tokens.agency("DOJ-FBI", "FBI_DIRECTOR"))
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    checkpoint = open_note(resp.text, [_verifier(client, tokens)])
    assert checkpoint.origin == ORIGIN


def test_a_lookup_log_index_is_proven_in_the_next_checkpoint(
    client: TestClient, tokens: Tokens
) -> None:
    index = _lookup(client, tokens, "CASE-A")
    note = client.post("/v1/log/checkpoint", headers=tokens.staff("auditor")).text
    checkpoint = open_note(note, [_verifier(client, tokens)])
    assert checkpoint.size > index
    entries = client.get(
        f"/v1/log/entries?start={index}&end={index + 1}", headers=tokens.staff("auditor")
    )
    assert entries.status_code == 200
    [entry] = entries.json()["entries"]
    assert entry["index"] == index
    data = base64.b64decode(entry["data"])
    assert b'"kind":"decision"' in data
    proof = client.get(
        f"/v1/log/proofs/inclusion?index={index}&tree_size={checkpoint.size}",
        headers=tokens.agency("DOJ-FBI", "FBI_DIRECTOR"),
    )
    assert proof.status_code == 200
    body = proof.json()
    assert (body["leaf_index"], body["tree_size"]) == (index, checkpoint.size)
    verify_inclusion(
        leaf_hash=leaf_hash(data),
        index=index,
        size=checkpoint.size,
        proof=_b64(body["hashes"]),
        root=checkpoint.root,
    )


def test_consistency_proof_links_two_checkpoints(client: TestClient, tokens: Tokens) -> None:
    verifier = _verifier(client, tokens)
    _lookup(client, tokens, "CASE-B")
    staff = tokens.staff("operator")
    older = open_note(client.post("/v1/log/checkpoint", headers=staff).text, [verifier])
    _lookup(client, tokens, "CASE-C")
    _lookup(client, tokens, "CASE-D")
    staff = tokens.staff("operator")
    newer = open_note(client.post("/v1/log/checkpoint", headers=staff).text, [verifier])
    resp = client.get(
        f"/v1/log/proofs/consistency?first={older.size}&second={newer.size}",
        headers=tokens.staff("operator"),
    )
    assert resp.status_code == 200
    body = resp.json()
    assert (body["first"], body["second"]) == (older.size, newer.size)
    verify_checkpoint_consistency(older, newer, _b64(body["hashes"]))


def test_entries_are_for_auditors_only(client: TestClient, tokens: Tokens) -> None:
    _lookup(client, tokens, "CASE-E")
    for headers in (tokens.agency("DOJ-FBI", "FBI_DIRECTOR"), tokens.staff("operator")):
        resp = client.get("/v1/log/entries?start=0&end=1", headers=headers)
        assert resp.status_code == 403
        assert resp.headers["content-type"] == "application/problem+json"


def test_entries_page_is_bounded_and_ends_at_the_log(client: TestClient, tokens: Tokens) -> None:
    _lookup(client, tokens, "CASE-F")
    resp = client.get("/v1/log/entries?start=0&end=100000", headers=tokens.staff("auditor"))
    assert resp.status_code == 200
    body = resp.json()
    assert [e["index"] for e in body["entries"]] == list(range(body["end"]))
    assert 0 < body["end"] <= 1000


def test_every_log_endpoint_needs_a_token(client: TestClient) -> None:
    for path in (
        "/v1/log/checkpoint",
        "/v1/log/public-key",
        "/v1/log/proofs/inclusion?index=0&tree_size=1",
        "/v1/log/proofs/consistency?first=0&second=1",
        "/v1/log/entries?start=0&end=1",
    ):
        assert client.get(path).status_code == 401, path


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/v1/log/proofs/inclusion?index=5&tree_size=5", 422),
        ("/v1/log/proofs/inclusion?index=-1&tree_size=5", 422),
        ("/v1/log/proofs/inclusion?index=0&tree_size=1000000", 404),
        ("/v1/log/proofs/consistency?first=3&second=2", 422),
        ("/v1/log/proofs/consistency?first=1&second=1000000", 404),
        ("/v1/log/entries?start=5&end=2", 422),
    ],
)
def test_impossible_proof_requests_are_refused(
    client: TestClient, tokens: Tokens, path: str, status: int
) -> None:
    resp = client.get(path, headers=tokens.staff("auditor"))
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
