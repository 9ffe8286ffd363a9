"""The golden log: rebuilt byte for byte by its script, verifiable offline, and tamper-evident."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.audit.checkpoint import open_note
from gateway.audit.export import read_leaves, verify_export, write_leaf
from gateway.audit.merkle import leaf_hash, verify_consistency, verify_inclusion
from gateway.audit.signer import NoteSigner, NoteVerifier
from gateway.audit.verify import LogVerificationError
from tests.conftest import REPO

GOLDEN = REPO / "tests" / "assets" / "golden_log"
EXPORT = GOLDEN / "export"
# Pinned here, independently of the export's own copy of the key.
VERIFIER_KEY = (
    "golden.taxpayer-gateway.example/decisions+2947bb8a"
    "+AZqg0hHBpqov+NHelna7Mjl2GZ013V4DMSGFGiqQRP1x"
)


def _verifier() -> NoteVerifier:
    return NoteVerifier.from_text(VERIFIER_KEY)


def test_golden_log_is_exactly_what_its_script_builds() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "build_golden_log.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_golden_export_verifies_offline_with_the_pinned_key() -> None:
    result = verify_export(EXPORT, [_verifier()])
    assert result.size == 8
    assert result.checkpoints == 7
    assert result.uncovered == 0


def test_golden_proofs_verify_against_the_golden_checkpoint() -> None:
    proofs = json.loads((GOLDEN / "proofs.json").read_text())
    checkpoint = open_note((EXPORT / "checkpoint.txt").read_text(), [_verifier()])
    leaves = [data for batch in read_leaves(EXPORT) for data in batch]
    assert [leaf_hash(d).hex() for d in leaves] == proofs["leaf_hashes"]
    for case in proofs["inclusion"]:
        verify_inclusion(
            leaf_hash=leaf_hash(leaves[case["index"]]),
            index=case["index"],
            size=checkpoint.size,
            proof=[bytes.fromhex(h) for h in case["hashes"]],
            root=checkpoint.root,
        )
    roots = [bytes.fromhex(r) for r in proofs["roots"]]
    for case in proofs["consistency"]:
        verify_consistency(
            first=case["first"],
            second=case["second"],
            first_root=roots[case["first"]],
            second_root=roots[case["second"]],
            proof=[bytes.fromhex(h) for h in case["hashes"]],
        )


def test_golden_leaves_hold_no_personal_data() -> None:
    text = (GOLDEN / "leaves.jsonl").read_bytes()
    for secret in (b"123-45-6789", b"Jane", b"Doe", b"1990-01-01"):
        assert secret not in text


@pytest.fixture
def export(tmp_path: Path) -> Path:
    copy = tmp_path / "export"
    shutil.copytree(EXPORT, copy)
    return copy


def _rewrite_leaves(export: Path, leaves: list[bytes]) -> None:
    with (export / "leaves.bin").open("wb") as out:
        for data in leaves:
            write_leaf(out, data)


def _leaves(export: Path) -> list[bytes]:
    return [data for batch in read_leaves(export) for data in batch]


def _fails_at(export: Path, index: int, words: str) -> None:
    with pytest.raises(LogVerificationError, match=words) as caught:
        verify_export(export, [_verifier()])
    assert caught.value.index == index


def test_one_changed_byte_in_an_exported_leaf_is_named(export: Path) -> None:
    leaves = _leaves(export)
    leaves[2] = leaves[2].replace(b"golden-d-1", b"golden-d-9")
    _rewrite_leaves(export, leaves)
    _fails_at(export, 2, "root signed for size 3")


def test_a_changed_leaf_between_sparser_checkpoints_names_the_first_index_it_may_be(
    export: Path,
) -> None:
    leaves = _leaves(export)
    leaves[5] = leaves[5].replace(b"denied", b"allowd")
    _rewrite_leaves(export, leaves)
    _fails_at(export, 4, "among indices 4..5")


def test_a_deleted_exported_leaf_is_named(export: Path) -> None:
    leaves = _leaves(export)
    del leaves[3]
    _rewrite_leaves(export, leaves)
    _fails_at(export, 3, "root signed for size 4")


def test_swapped_exported_leaves_are_named(export: Path) -> None:
    leaves = _leaves(export)
    leaves[1], leaves[6] = leaves[6], leaves[1]
    _rewrite_leaves(export, leaves)
    _fails_at(export, 1, "root signed for size 2")


def test_a_truncated_export_is_named(export: Path) -> None:
    _rewrite_leaves(export, _leaves(export)[:5])
    _fails_at(export, 5, "checkpoint was signed for size 6")


def test_a_torn_last_leaf_is_named(export: Path) -> None:
    data = (export / "leaves.bin").read_bytes()
    (export / "leaves.bin").write_bytes(data[:-3])
    _fails_at(export, 7, "ends inside a leaf")


def test_a_replaced_exported_checkpoint_is_named(export: Path) -> None:
    lines = (export / "checkpoints.jsonl").read_text().splitlines()
    record = json.loads(lines[4])
    assert record["size"] == 4
    record["note"] = json.loads(lines[3])["note"]  # the genuine checkpoint of size 3
    lines[4] = json.dumps(record)
    (export / "checkpoints.jsonl").write_text("\n".join(lines) + "\n")
    _fails_at(export, 3, "stored for size 4 is signed for size 3")


def test_an_export_under_another_key_does_not_verify(export: Path) -> None:
    name = _verifier().name
    other = NoteSigner(name, Ed25519PrivateKey.from_private_bytes(bytes(32))).verifier
    with pytest.raises(LogVerificationError, match="does not verify") as caught:
        verify_export(export, [other])
    assert caught.value.index == 0
