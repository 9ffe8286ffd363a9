"""The checked-in vectors under tests/assets/merkle/, built by scripts/build_merkle_vectors.py.

Each vector is a valid input or a valid input with one named mutation; the
code must accept the first and raise exactly the labelled error for the second.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gateway.audit.checkpoint import open_note
from gateway.audit.errors import (
    AuditVerificationError,
    MalformedCheckpointError,
    MalformedProofError,
    RootMismatchError,
    SignatureVerificationError,
)
from gateway.audit.merkle import (
    CompactRange,
    consistency_proof_from_leaf_hashes,
    inclusion_proof_from_leaf_hashes,
    leaf_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)
from gateway.audit.signer import NoteVerifier

REPO = Path(__file__).resolve().parents[3]
ASSETS = REPO / "tests" / "assets" / "merkle"
ERRORS: dict[str, type[AuditVerificationError]] = {
    cls.__name__: cls
    for cls in (
        RootMismatchError,
        MalformedProofError,
        MalformedCheckpointError,
        SignatureVerificationError,
    )
}


def vectors(pattern: str) -> list[Any]:
    paths = sorted(ASSETS.glob(pattern))
    assert paths, f"no vectors match {pattern}"
    return [pytest.param(path, id=path.relative_to(ASSETS).as_posix()) for path in paths]


def load(path: Path) -> dict[str, Any]:
    content: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return content


def expect_outcome(vector: dict[str, Any], call: Callable[[], object]) -> None:
    if vector["want_error"] is None:
        call()
        return
    with pytest.raises(AuditVerificationError) as caught:
        call()
    assert type(caught.value) is ERRORS[vector["want_error"]], caught.value


def reference_leaf_hashes() -> list[bytes]:
    return [bytes.fromhex(h) for h in load(ASSETS / "roots.json")["leaf_hashes"]]


def test_reference_roots_match_every_root_computation() -> None:
    vector = load(ASSETS / "roots.json")
    leaves = [bytes.fromhex(h) for h in vector["leaves"]]
    hashes = [leaf_hash(leaf) for leaf in leaves]
    assert [h.hex() for h in hashes] == vector["leaf_hashes"]
    compact = CompactRange()
    for entry in vector["roots"]:
        size, root = entry["size"], bytes.fromhex(entry["root"])
        assert root_from_leaf_hashes(hashes[:size]) == root
        if size:
            compact.append(hashes[size - 1])
        assert compact.root() == root


@pytest.mark.parametrize("path", vectors("inclusion/*/*.json"))
def test_inclusion_vector_is_accepted_or_rejected_as_labelled(path: Path) -> None:
    v = load(path)
    proof = [bytes.fromhex(h) for h in v["proof"]]
    expect_outcome(
        v,
        lambda: verify_inclusion(
            leaf_hash=bytes.fromhex(v["leaf_hash"]),
            index=v["index"],
            size=v["size"],
            proof=proof,
            root=bytes.fromhex(v["root"]),
        ),
    )
    if path.stem.startswith("happy-path"):
        hashes = reference_leaf_hashes()[: v["size"]]
        assert inclusion_proof_from_leaf_hashes(v["index"], hashes) == proof


@pytest.mark.parametrize("path", vectors("consistency/*/*.json"))
def test_consistency_vector_is_accepted_or_rejected_as_labelled(path: Path) -> None:
    v = load(path)
    proof = [bytes.fromhex(h) for h in v["proof"]]
    expect_outcome(
        v,
        lambda: verify_consistency(
            first=v["first"],
            second=v["second"],
            first_root=bytes.fromhex(v["first_root"]),
            second_root=bytes.fromhex(v["second_root"]),
            proof=proof,
        ),
    )
    if path.stem == "happy-path":
        hashes = reference_leaf_hashes()[: v["second"]]
        assert consistency_proof_from_leaf_hashes(v["first"], hashes) == proof


@pytest.mark.parametrize("path", vectors("checkpoint/*.json"))
def test_signed_checkpoint_vector_is_accepted_or_rejected_as_labelled(path: Path) -> None:
    v = load(path)
    verifiers = [NoteVerifier.from_text(key) for key in v["verifier_keys"]]
    expect_outcome(v, lambda: open_note(v["note"], verifiers))
    if v["want_error"] is None:
        checkpoint = open_note(v["note"], verifiers)
        assert checkpoint.origin == v["checkpoint"]["origin"]
        assert checkpoint.size == v["checkpoint"]["size"]
        assert checkpoint.root.hex() == v["checkpoint"]["root"]
        assert list(checkpoint.extensions) == v["checkpoint"]["extensions"]


def test_checked_in_vectors_are_exactly_what_the_build_script_produces() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "build_merkle_vectors.py"), "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
