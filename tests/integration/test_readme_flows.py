"""The README's flows, step by step as written, against a whole in-process gateway.

Each step uses a token the way the README's commands do: one token for a series of
read-only calls (``GET``), a fresh token for each state-changing call (``POST``).
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from fastapi.testclient import TestClient

from gateway.audit.checkpoint import open_note
from gateway.audit.merkle import leaf_hash, verify_inclusion
from gateway.audit.signer import NoteVerifier
from tests.conftest import REPO
from tests.support import Tokens

EXAMPLE = REPO / "docs" / "examples" / "lookup-f-fbi-i2.json"


def _example(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(EXAMPLE.read_text())
    body.update(changes)
    return body


def test_trying_it_then_reading_the_answer_with_one_read_token(
    client: TestClient, tokens: Tokens
) -> None:
    token = tokens.agency_official("DOJ-FBI", "fbi-director")
    answer = client.post("/v1/address-lookups", json=_example(), headers=token)
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"][0]["address"]["line1"] == "1420 Elm St"
    # "Each token is spent by the call that changes something"
    again = client.post("/v1/address-lookups", json=_example(), headers=token)
    assert again.status_code == 401
    assert "replayed" in again.json()["detail"]
    # the agency reads its stored answer with one token as often as it likes
    reader = tokens.agency_official("DOJ-FBI", "fbi-director")
    path = f"/v1/address-lookups/{answer.json()['decision_id']}"
    for _ in range(3):
        read = client.get(path, headers=reader)
        assert read.status_code == 200, read.text
        assert read.json()["decision_id"] == answer.json()["decision_id"]
    # a read token cannot ask for a disclosure
    stolen = client.post(
        "/v1/address-lookups",
        json=_example(request_id="FBI-DEMO-0002"),
        headers=reader,
    )
    assert stolen.status_code == 401
    assert "used for reading" in stolen.json()["detail"]


def test_human_review_steps_as_written(client: TestClient, tokens: Tokens) -> None:
    acting = tokens.agency_official("DOJ-FBI", "fbi-acting-director")
    pending = client.post("/v1/address-lookups", json=_example(), headers=acting).json()
    assert pending["outcome"] == "pending_review"
    decision_id, ref = pending["decision_id"], pending["results"][0]["ref"]
    # OFFICER=$(gateway token --role disclosure_officer): the queue, read as often as needed
    officer = tokens.staff("disclosure_officer")
    for _ in range(2):
        queue = client.get("/v1/reviews", headers=officer)
        assert queue.status_code == 200, queue.text
        assert decision_id in {item["decision_id"] for item in queue.json()["items"]}
    # the read token does not approve
    refused = client.post(
        f"/v1/reviews/{decision_id}/{ref}", json={"action": "approve"}, headers=officer
    )
    assert refused.status_code == 401
    # the approval, with a fresh token as the README's command mints it
    approved = client.post(
        f"/v1/reviews/{decision_id}/{ref}",
        json={"action": "approve", "note": "delegation verified"},
        headers=tokens.staff("disclosure_officer"),
    )
    assert approved.status_code == 200, approved.text
    # the agency reads the final outcome
    final = client.get(
        f"/v1/address-lookups/{decision_id}",
        headers=tokens.agency_official("DOJ-FBI", "fbi-acting-director"),
    )
    assert final.json()["outcome"] == "allowed"
    # the queue still answers the officer's first token
    assert client.get("/v1/reviews", headers=officer).status_code == 200


def test_an_auditor_verifies_a_decision_with_one_token(client: TestClient, tokens: Tokens) -> None:
    answer = client.post(
        "/v1/address-lookups",
        json=_example(),
        headers=tokens.agency_official("DOJ-FBI", "fbi-director"),
    ).json()
    index = answer["log_index"]
    auditor = tokens.staff("auditor")
    # 1. pin the key
    key = client.get("/v1/log/public-key", headers=auditor)
    assert key.status_code == 200, key.text
    verifier = NoteVerifier.from_text(key.text.strip())
    # 2. the next checkpoint (signed at least every second while the log grows)
    deadline = time.monotonic() + 10
    while True:
        note = client.get("/v1/log/checkpoint", headers=auditor)
        assert note.status_code == 200, note.text
        checkpoint = open_note(note.text, [verifier])
        if checkpoint.size > index or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert checkpoint.size > index
    proof = client.get(
        f"/v1/log/proofs/inclusion?index={index}&tree_size={checkpoint.size}", headers=auditor
    )
    entries = client.get(f"/v1/log/entries?start={index}&end={index + 1}", headers=auditor)
    assert proof.status_code == entries.status_code == 200, (proof.text, entries.text)
    [entry] = entries.json()["entries"]
    verify_inclusion(
        leaf_hash=leaf_hash(base64.b64decode(entry["data"])),
        index=index,
        size=checkpoint.size,
        proof=[base64.b64decode(h) for h in proof.json()["hashes"]],
        root=checkpoint.root,
    )
