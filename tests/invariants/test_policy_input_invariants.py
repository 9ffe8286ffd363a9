"""Invariants of the policy itself, on inputs the real pipeline built and then edited.

The inputs are captured from the in-process gateway (the sealed input of each
decision-log leaf, unsealed with the audit key): one per known-good request,
each released as it stands. Edited copies go straight to a real OPA server
loaded with the policy directory under test. This layer reaches what an agency
cannot write: absent, null, contradictory or mistyped match facts (4), a
missing signer or a decision time after an order expired (5).
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.invariants import inputs as ie
from tests.invariants.conftest import NAME_SCORE_FLOOR, Ask
from tests.invariants.harness import OpaServer
from tests.invariants.profiles import PROFILE
from tests.invariants.properties import (
    RELEASED,
    assert_decision_rules,
    assert_weak_match_not_released,
    released_refs,
)
from tests.invariants.spellings import Written
from tests.invariants.world import KNOWN_GOOD, AddRecipient, ShareOnward

pytestmark = pytest.mark.invariant


class Captured(dict[str, dict[str, Any]]):
    """Policy inputs by known-good request id; shown by name, not content, in a failure."""

    def __repr__(self) -> str:
        return f"<captured inputs of {', '.join(self)}>"


class Probe(dict[str, Any]):
    def __repr__(self) -> str:
        return "<probe input with a DHS recipient and onward sharing>"


@pytest.fixture(scope="session")
def captured(ask: Ask) -> Captured:
    """The policy input of every known-good request, as the pipeline built it."""
    return Captured({base: ask(base, []).policy_input for base in KNOWN_GOOD})


@pytest.fixture(scope="session")
def probe(ask: Ask) -> Probe:
    """An input with a DHS recipient and onward sharing to DHS, as the pipeline writes them."""
    dhs = Written("DHS", dhs=True)
    return Probe(ask("S23", [AddRecipient(dhs), ShareOnward(dhs)]).policy_input)


def test_known_good_requests_are_released_on_their_captured_input(
    captured: Captured, opa: OpaServer
) -> None:
    """The search starts from disclosures; without them the properties would have no teeth."""
    for base, policy_input in captured.items():
        decision = opa.decide(policy_input)
        assert released_refs(decision), (
            f"{base} is no longer released: {decision['reasons']}, {decision['subjects']}"
        )


# (4) weak, absent, contradictory match facts -------------------------------------------


@PROFILE
@given(
    base=st.sampled_from(KNOWN_GOOD),
    edits=st.lists(ie.match_edits, min_size=1, max_size=4),
)
def test_weak_absent_or_contradictory_match_facts_never_release(
    captured: Captured, opa: OpaServer, base: str, edits: list[ie.InputEdit]
) -> None:
    policy_input = ie.edited(captured[base], edits)
    decision = opa.decide(policy_input)
    assert_weak_match_not_released(policy_input, decision, NAME_SCORE_FLOOR)


@pytest.mark.parametrize("edits", [pytest.param(c, id=k) for k, c in ie.CONTRADICTIONS.items()])
def test_contradictory_match_facts_never_release(
    captured: Captured, opa: OpaServer, edits: list[ie.InputEdit]
) -> None:
    for policy_input in captured.values():
        changed = ie.edited(policy_input, edits)
        assert_weak_match_not_released(changed, opa.decide(changed), NAME_SCORE_FLOOR)


# (5) monotonicity --------------------------------------------------------------------------


@PROFILE
@given(data=st.data())
def test_removing_a_requirement_or_adding_risk_never_releases_what_was_withheld(
    captured: Captured, probe: Probe, opa: OpaServer, data: st.DataObject
) -> None:
    base = data.draw(st.sampled_from(KNOWN_GOOD), label="base")
    before_edits = data.draw(st.lists(ie.any_edits(probe, probe), max_size=3), label="before")
    before = ie.edited(captured[base], before_edits)
    worse = data.draw(st.one_of(ie.drop_required(before), ie.risks(probe, probe)), label="then")
    after = ie.edited(before, [worse])
    was, now = opa.decide(before), opa.decide(after)
    for old, new in zip(was["subjects"], now["subjects"], strict=True):
        if old["outcome"] not in RELEASED:
            assert new["outcome"] not in RELEASED, (
                f"{worse!r} turned {old['outcome']} into {new['outcome']}: {new['findings']}"
            )


# (6) determinism ---------------------------------------------------------------------------


@PROFILE
@given(data=st.data())
def test_same_policy_input_decided_twice_gives_the_same_decision(
    captured: Captured, probe: Probe, opa: OpaServer, data: st.DataObject
) -> None:
    base = data.draw(st.sampled_from(KNOWN_GOOD), label="base")
    edits = data.draw(st.lists(ie.any_edits(probe, probe), max_size=4), label="edits")
    policy_input = ie.edited(captured[base], edits)
    assert opa.decide(policy_input) == opa.decide(policy_input)


# (2) and (3) on the decision itself ------------------------------------------------------


@PROFILE
@given(data=st.data())
def test_released_subject_names_a_basis_withholds_every_other_field_and_a_year_on_file(
    captured: Captured, probe: Probe, opa: OpaServer, data: st.DataObject
) -> None:
    base = data.draw(st.sampled_from(KNOWN_GOOD), label="base")
    edits = data.draw(st.lists(ie.any_edits(probe, probe), max_size=4), label="edits")
    policy_input = ie.edited(captured[base], edits)
    decision = opa.decide(policy_input)
    assert_decision_rules(decision)
    fields = policy_input.get("requested_fields") or []
    for t, subject in zip(policy_input["taxpayers"], decision["subjects"], strict=True):
        if subject["outcome"] not in RELEASED:
            continue
        assert set(fields) - {"LAST_KNOWN_ADDRESS"} <= set(subject["redacted"])
        assert "LAST_KNOWN_ADDRESS" in fields
        year = subject["release_tax_year"]
        assert year is None or year in t["record"]["address_tax_years"]


# An order without an expiry date, one year old (ORDER_NO_EXPIRY_MAX_AGE_DAYS, 365) -------


@pytest.mark.parametrize(
    ("age", "reviewed"),
    [
        pytest.param(timedelta(days=365, minutes=1), True, id="a_minute_past_a_year"),
        pytest.param(timedelta(days=365, minutes=-1), False, id="a_minute_short_of_a_year"),
    ],
)
def test_order_without_expiry_goes_to_review_once_a_year_old(
    captured: Captured, opa: OpaServer, age: timedelta, reviewed: bool
) -> None:
    """6103-I1-4 (review): an open-ended order older than a year is checked by a person."""
    policy_input = copy.deepcopy(captured["S03"])
    now = datetime.fromisoformat(policy_input["decision_time"])
    policy_input["court_order"].update(expires_at=None, issued_at=(now - age).isoformat())
    decision = opa.decide(policy_input)
    found = [f for f in decision["reasons"] if f["rule"] == "6103-I1-4"]
    if reviewed:
        assert [f["outcome"] for f in found] == ["REQUIRE_HUMAN_REVIEW"]
        assert not released_refs(decision)
    else:
        assert found == []
        assert released_refs(decision)
