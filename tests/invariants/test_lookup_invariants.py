"""Invariants of the address lookup, searched through the whole gateway (in-process, real OPA).

Every example is a known-good request (one the gateway releases today) with
edits, sent as its agency's official about a taxpayer nobody asked about
before, while the injunctions are in force (the gateway decides at its own
clock). Each test names the property of issue 7 item 7 it searches for a
counterexample to.

The ``documented`` variants search the same property over the spellings the
policy documents (policies/README.md, registry ids and registry citations);
the ``any_spelling`` variants add the look-alikes an agency might write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.invariants import strategies as s
from tests.invariants.conftest import NAME_SCORE_FLOOR, Ask, Bases
from tests.invariants.harness import Exchange, OpaServer
from tests.invariants.profiles import PROFILE
from tests.invariants.properties import (
    assert_decided_by_rules,
    assert_injunction_named,
    assert_nothing_disclosed,
    assert_only_the_last_known_address,
    assert_weak_match_not_released,
    disclosed,
    weak_match,
)
from tests.invariants.spellings import dhs_names
from tests.invariants.world import (
    DHS_AGENCIES,
    IMMIGRATION_PURPOSES,
    AddRecipient,
    AskAs,
    Base,
    Basis,
    Category,
    CivilUse,
    Drop,
    Edit,
    ExpireOrder,
    FreshTaxpayers,
    contents,
    required_elements,
)

pytestmark = pytest.mark.invariant

SPELLINGS = [pytest.param(True, id="documented"), pytest.param(False, id="any_spelling")]


def _premise(ex: Exchange) -> str:
    c = contents(ex.draft)
    assert c.enjoined, "the strategy did not write what the test is about"
    return ", ".join(k for k, v in vars(c).items() if v)


def _enjoined(ex: Exchange, *, documented: bool) -> None:
    """Property (1); with a documented spelling, also that an injunction rule says why."""
    assert_nothing_disclosed(ex, _premise(ex))
    if documented:
        assert_injunction_named(ex)


# (1) no disclosure touching DHS or immigration while the injunctions are in force -----


def _each(edits: list[Edit]) -> Callable[[Any], Any]:
    """Explicit examples, tried before the search: each edit once on the FBI's (i)(2) request."""

    def add(test: Any) -> Any:
        for edit in reversed(edits):
            test = example(request=("S06", [edit]))(test)
        return test

    return add


@PROFILE
@given(request=s.requests(then=s.dhs_requester))
@_each([AskAs(agency) for agency in sorted(DHS_AGENCIES)])
def test_dhs_requester_never_gets_an_address(ask: Ask, request: tuple[str, list[Edit]]) -> None:
    _enjoined(ask(*request), documented=True)


@pytest.mark.parametrize("documented_only", SPELLINGS)
@PROFILE
@given(data=st.data())
def test_request_naming_a_dhs_recipient_discloses_nothing(
    ask: Ask, documented_only: bool, data: st.DataObject
) -> None:
    ex = ask(*data.draw(s.requests(then=s.dhs_recipient(documented_only=documented_only))))
    _enjoined(ex, documented=documented_only)


@pytest.mark.parametrize("documented_only", SPELLINGS)
@PROFILE
@given(data=st.data())
def test_request_sharing_onward_with_dhs_discloses_nothing(
    ask: Ask, documented_only: bool, data: st.DataObject
) -> None:
    ex = ask(*data.draw(s.requests(then=s.dhs_onward(documented_only=documented_only))))
    _enjoined(ex, documented=documented_only)


@pytest.mark.parametrize("documented_only", SPELLINGS)
@PROFILE
@given(data=st.data())
def test_request_citing_title_8_discloses_nothing(
    ask: Ask, documented_only: bool, data: st.DataObject
) -> None:
    ex = ask(*data.draw(s.requests(then=s.title8(documented_only=documented_only))))
    _enjoined(ex, documented=documented_only)


@PROFILE
@given(request=s.requests(noise=st.one_of(s.quiet_edits, s.any_basis), then=s.immigration_purpose))
@_each([Category(purpose) for purpose in IMMIGRATION_PURPOSES])
def test_immigration_purpose_discloses_nothing_on_any_basis(
    ask: Ask, request: tuple[str, list[Edit]]
) -> None:
    _enjoined(ask(*request), documented=True)


# (2) nothing but the last known mailing address ----------------------------------------


@PROFILE
@given(request=s.requests(noise=s.any_edit))
def test_answer_releases_nothing_but_the_last_known_mailing_address(
    ask: Ask, request: tuple[str, list[Edit]]
) -> None:
    assert_only_the_last_known_address(ask(*request))


# (3) every outcome rests on a rule -----------------------------------------------------


@PROFILE
@given(request=s.requests(noise=s.any_edit))
def test_disclosure_rests_on_a_basis_rule_and_denial_on_a_deny_rule(
    ask: Ask, request: tuple[str, list[Edit]]
) -> None:
    assert_decided_by_rules(ask(*request))


# (4) weak matches ------------------------------------------------------------------------


@PROFILE
@given(request=s.requests(then=s.weak_identity))
def test_weak_match_is_never_disclosed(ask: Ask, request: tuple[str, list[Edit]]) -> None:
    ex = ask(*request)
    assert_weak_match_not_released(ex.policy_input, ex.decision, NAME_SCORE_FLOOR)
    for t, result in zip(ex.policy_input["taxpayers"], ex.answer["results"], strict=True):
        why = weak_match(t, NAME_SCORE_FLOOR)
        if why is not None:
            assert result["address"] is None, f"address released on a weak match ({why})"


# (5) monotonicity --------------------------------------------------------------------------


def _monotone_edits(base: Base, edits: list[Edit]) -> st.SearchStrategy[Edit]:
    """Edits that can only take a disclosure away from this request (see issue 7, (5))."""
    body: dict[str, Any] = base.body
    basis = body["legal_basis"]
    has_order = bool(body.get("court_order"))
    for e in edits:
        if isinstance(e, Basis):
            basis = e.legal_basis
        if isinstance(e, Drop) and e.element == "court_order":
            has_order = False
    options: list[st.SearchStrategy[Edit]] = [
        st.sampled_from(required_elements(basis)).map(Drop),
        st.builds(AddRecipient, dhs_names(), st.just(False)),
        s.dhs_onward(),
        st.just(CivilUse()),
    ]
    if has_order:
        options.append(st.integers(1, 400 * 86400).map(ExpireOrder))
    return st.one_of(options)


@PROFILE
@given(data=st.data())
def test_removing_a_requirement_or_adding_risk_never_turns_a_denial_into_a_disclosure(
    ask: Ask, bases: Bases, pool: FreshTaxpayers, data: st.DataObject
) -> None:
    base, edits = data.draw(s.requests(noise=s.any_edit), label="request")
    worse = data.draw(_monotone_edits(bases[base], edits), label="then")
    # Both about one taxpayer: asked by name alone, two taxpayers need not match alike. A
    # disclosed or pending first answer makes the second a GW-3b repeat; a denied one does
    # not (GW-3b counts only releases and pending reviews), so that case is decided afresh.
    taxpayer = pool.take()
    before = ask(base, edits, taxpayer)
    after = ask(base, [*edits, worse], taxpayer)
    if not disclosed(before.answer):
        assert not disclosed(after.answer), (
            f"{worse} turned {before.answer['outcome']} into {after.answer['outcome']}; "
            f"rules after: {after.record['rules']}, "
            f"{[x['rules'] for x in after.record['subjects']]}"
        )


# (6) determinism -----------------------------------------------------------------------------


@PROFILE
@given(request=s.requests(noise=s.any_edit))
def test_same_input_decided_twice_gives_the_same_decision(
    ask: Ask, opa: OpaServer, request: tuple[str, list[Edit]]
) -> None:
    ex = ask(*request)
    again = opa.decide(ex.policy_input)
    assert again == ex.decision
    # and the gateway's own OPA decided it the same way: same outcome, same rules
    assert set(ex.record["rules"]) == {f["rule"] for f in again["reasons"]}
    for logged, subject in zip(ex.record["subjects"], again["subjects"], strict=True):
        assert set(logged["rules"]) == {f["rule"] for f in subject["findings"]}
