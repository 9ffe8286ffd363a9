"""Which fields of a presented order differ from the verified record (6103-I1-1c)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from gateway.court_orders.compare import discrepancies
from gateway.domain import CourtOrder

ISSUED = datetime(2026, 1, 10, 15, 30, tzinfo=UTC)
RECORD: dict[str, Any] = {
    "order_type": "ex_parte_6103_i_1",
    "court": "U.S. District Court for the District of Maryland",
    "court_type": "us_district_court",
    "judge": "Hon. Elena M. Castellanos",
    "judge_type": "magistrate_judge",
    "docket_number": "1:26-mj-00077",
    "issued_at": ISSUED,
    "expires_at": ISSUED + timedelta(days=170),
    "applicant_authorizer_role": "us_attorney",
    "covered_tins": ["900-70-2002", "123-45-6789"],
    "covered_taxable_periods": [2023, 2024],
    "covered_data": ["last_known_address"],
    "named_recipients": ["Special Agent Dana Whitfield", "Special Agent Luis Ortega"],
    "arrest_warrant": None,
}

# For every field of the wire model, a value that means something else.
DIFFERENT: dict[str, Any] = {
    "order_type": "ex_parte_6103_i_5",
    "court": "U.S. District Court for the District of Delaware",
    "court_type": "state_court",
    "judge": "Hon. A. Magistrate",
    "judge_type": "district_judge",
    "docket_number": "1:26-mj-00078",
    "issued_at": ISSUED - timedelta(seconds=1),
    "expires_at": None,
    "applicant_authorizer_role": "ausa",
    "covered_tins": ["900-70-2002", "123-45-3003"],
    "covered_taxable_periods": [2023, 2024, 2025],
    "covered_data": ["all_return_info"],
    "named_recipients": ["Special Agent Dana Whitfield"],
    "arrest_warrant": {"type": "judicial", "offense_class": "felony"},
}


def _order(**changes: Any) -> CourtOrder:
    return CourtOrder.model_validate({**RECORD, **changes})


def test_every_field_of_the_wire_model_is_compared() -> None:
    assert set(DIFFERENT) == set(CourtOrder.model_fields)


@pytest.mark.parametrize("field", sorted(DIFFERENT))
def test_a_field_that_says_something_else_is_named(field: str) -> None:
    assert discrepancies(_order(**{field: DIFFERENT[field]}), _order()) == [field]


def test_the_record_itself_has_no_discrepancy() -> None:
    assert discrepancies(_order(), _order()) == []


def test_several_fields_are_named_in_sorted_order() -> None:
    claimed = _order(judge="Someone Else", covered_tins=["123-45-3003"], expires_at=None)
    assert discrepancies(claimed, _order()) == ["covered_tins", "expires_at", "judge"]


def test_what_carries_no_meaning_is_not_a_discrepancy() -> None:
    eastern = timezone(timedelta(hours=-5))
    claimed = _order(
        court="US District Court for the District of Maryland",
        docket_number="1:26-MJ-00077",
        judge="HON ELENA M CASTELLANOS",
        issued_at=ISSUED.astimezone(eastern),
        covered_tins=["123456789", "900702002"],
        covered_taxable_periods=[2024, 2023],
        named_recipients=["special agent luis ortega", "Special Agent Dana Whitfield."],
    )
    assert discrepancies(claimed, _order()) == []
