from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from gateway.audit.record import SubjectEntry, decision_record
from gateway.audit.sealing import AuditKeys

AT = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)


def _record(keys: AuditKeys, policy_input: dict[str, object]) -> bytes:
    return decision_record(
        keys=keys,
        decision_id="d-1",
        decided_at=AT,
        policy_revision="sha256:00",
        agency_id="DOJ-FBI",
        official_id="fbi-director",
        request_id="FBI-1",
        legal_basis="6103_i_2",
        purpose_category="NONTAX_CRIMINAL",
        outcome="allowed",
        request_rules=[],
        subjects=[
            SubjectEntry(
                ref="Rivera-row",
                taxpayer_key="tin:123-45-6789",
                outcome="disclosed",
                rules=["6103-I2-OK"],
                released=["last_known_address"],
                withheld=[],
                released_tax_year=2024,
            )
        ],
        obligations=["ACCOUNTING_RECORD"],
        policy_input=policy_input,
    )


def test_record_is_canonical_versioned_and_free_of_personal_data(tmp_path: Path) -> None:
    keys = AuditKeys.load_or_create(tmp_path)
    body = _record(keys, {"tin": "123-45-6789", "name": "Jordan Rivera"})
    record = json.loads(body)
    assert record["v"] == 1
    assert record["kind"] == "decision"
    assert body == json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
    for secret in (b"123-45-6789", b"Rivera", b"Jordan"):
        assert secret not in body
    assert record["subjects"][0]["taxpayer"] == keys.pseudonym("taxpayer", "tin:123-45-6789")


def test_sealed_input_opens_with_the_audit_key_and_is_bound_to_its_decision(tmp_path: Path) -> None:
    keys = AuditKeys.load_or_create(tmp_path)
    sealed = json.loads(_record(keys, {"tin": "123-45-6789"}))["sealed_input"]
    assert sealed["key_id"] == keys.sealing_key_id
    assert json.loads(keys.unseal(sealed, associated_data=b"d-1")) == {"tin": "123-45-6789"}
    with pytest.raises(InvalidTag):
        keys.unseal(sealed, associated_data=b"d-2")


def test_audit_keys_persist_and_pseudonyms_are_stable(tmp_path: Path) -> None:
    a = AuditKeys.load_or_create(tmp_path)
    b = AuditKeys.load_or_create(tmp_path)
    assert a == b
    assert a.pseudonym("taxpayer", "x") == b.pseudonym("taxpayer", "x")
    assert a.pseudonym("taxpayer", "x") != a.pseudonym("ref", "x")
    assert (tmp_path / "audit-sealing.key").stat().st_mode & 0o077 == 0


def test_an_audit_key_file_of_the_wrong_size_is_refused(tmp_path: Path) -> None:
    (tmp_path / "audit-pseudonym.key").write_bytes(b"short")
    with pytest.raises(ValueError, match="32 bytes"):
        AuditKeys.load_or_create(tmp_path)


def test_sealed_input_under_another_key_is_refused_by_key_id(tmp_path: Path) -> None:
    sealed = AuditKeys.load_or_create(tmp_path / "a").seal(b"x", associated_data=b"d")
    with pytest.raises(ValueError, match="different key"):
        AuditKeys.load_or_create(tmp_path / "b").unseal(sealed, associated_data=b"d")
