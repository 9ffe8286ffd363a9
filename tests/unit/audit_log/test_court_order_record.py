"""The ``court_order`` leaf: what an order permits in clear, who it covers only as pseudonyms."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from gateway.audit.record import court_order_record
from gateway.audit.sealing import AuditKeys

AT = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
TINS = ["900-70-2002", "123-45-6789"]
KEY = "usdistrictcourtforthedistrictofmaryland|126mj00077"


def _leaf(keys: AuditKeys) -> bytes:
    return court_order_record(
        keys=keys,
        order_id="order-1",
        version=1,
        supersedes=None,
        recorded_at=AT,
        recorded_by="liaison-1",
        recorded_by_role="court_liaison",
        match_key=KEY,
        scope={"order_type": "ex_parte_6103_i_1", "covered_taxable_periods": (2023, 2024)},
        covered_tins=TINS,
        full_record={
            "docket_number": "1:26-mj-00077",
            "judge": "Hon. Elena M. Castellanos",
            "covered_tins": TINS,
        },
    )


def test_leaf_is_canonical_and_names_no_taxpayer_judge_or_docket(tmp_path: Path) -> None:
    keys = AuditKeys.load_or_create(tmp_path)
    body = _leaf(keys)
    leaf = json.loads(body)
    assert (leaf["v"], leaf["kind"], leaf["order_id"], leaf["version"]) == (
        1,
        "court_order",
        "order-1",
        1,
    )
    assert body == json.dumps(leaf, sort_keys=True, separators=(",", ":")).encode()
    for secret in ("900-70-2002", "900702002", "123-45-6789", "Castellanos", "1:26-mj-00077"):
        assert secret.encode() not in body
    assert leaf["recorded_by"] == {"subject": "liaison-1", "role": "court_liaison"}
    assert leaf["scope"]["covered_taxable_periods"] == [2023, 2024]


def test_covered_tins_are_the_pseudonyms_decision_leaves_use(tmp_path: Path) -> None:
    keys = AuditKeys.load_or_create(tmp_path)
    leaf = json.loads(_leaf(keys))
    assert leaf["covered_tins"] == sorted(keys.pseudonym("taxpayer", f"tin:{t}") for t in TINS)
    assert leaf["docket_hmac"] == keys.pseudonym("docket", KEY)
    assert leaf["pseudonym_key_id"] == keys.pseudonym_key_id


def test_the_sealed_order_opens_only_for_its_own_id(tmp_path: Path) -> None:
    keys = AuditKeys.load_or_create(tmp_path)
    sealed = json.loads(_leaf(keys))["sealed_order"]
    opened = json.loads(keys.unseal(sealed, associated_data=b"court_order:order-1"))
    assert opened["covered_tins"] == TINS
    assert opened["docket_number"] == "1:26-mj-00077"
    with pytest.raises(InvalidTag):
        keys.unseal(sealed, associated_data=b"court_order:order-2")
