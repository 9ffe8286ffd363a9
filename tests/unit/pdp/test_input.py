from __future__ import annotations

import pytest

from gateway.domain import normalize_tin
from gateway.pdp.input import policy_basis


@pytest.mark.parametrize(
    ("wire", "policy"),
    [
        ("6103(i)(1)", "6103_i_1"),
        ("6103(i)(2)", "6103_i_2"),
        ("6103(i)(3)(A)", "6103_i_3_A"),
        ("6103(i)(7)(A)", "6103_i_7_A"),
        ("6103(d)", "6103_d"),
        ("6103(m)(4)", "6103_m_4"),
        ("MOU_IRS_DHS_2025", "MOU_IRS_DHS_2025"),
    ],
)
def test_known_bases_map_to_policy_names(wire: str, policy: str) -> None:
    assert policy_basis(wire) == policy


@pytest.mark.parametrize(
    "wire", ["", "NONE", "6103(I)(2)", "6103(i)(2) ", "6103(i)(9)", "6103_i_2", "MOU", "6103(x)"]
)
def test_anything_else_is_no_basis(wire: str) -> None:
    assert policy_basis(wire) == "NONE"


def test_tin_with_and_without_dashes_is_the_same() -> None:
    assert normalize_tin("123456789") == normalize_tin("123-45-6789") == "123-45-6789"
    assert normalize_tin(None) is None
