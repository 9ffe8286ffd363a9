"""Decisions on the LIVE court-order and statute registries, at pinned decision times.

The Rego tests decide against a fixture copy of the court-order registry
(policies/gateway/testkit), so that operators can record a stay or vacatur by
editing data alone. That leaves the live ``registry/court_orders/data.json``
untested: marking an injunction VACATED there would pass ``opa test``. These
tests decide pipeline-built inputs on the live data (whatever directory the
tests run on) with ``decision_time`` pinned inside each order's term, and say
what the registry as shipped must produce: the injunction rules fire, and no
INJ-6 says one was lifted.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.invariants.conftest import Ask
from tests.invariants.harness import OpaServer
from tests.invariants.profiles import PROFILE
from tests.invariants.properties import RELEASED
from tests.invariants.spellings import REGISTRY_TITLE8_SECTIONS, Written
from tests.invariants.world import AddRecipient, AskAs, Category, CiteStatute, Drop, Edit

pytestmark = pytest.mark.invariant

BEFORE = "2025-08-01T12:00:00-04:00"
"""No order in force yet (the first, CTR-INTERIM, took effect on 5 Sep 2025)."""
INTERIM = "2025-10-01T12:00:00-04:00"
"""CTR-INTERIM in force (5 Sep - 21 Nov 2025); neither preliminary injunction yet."""
CTR_ONLY = "2026-01-15T12:00:00-05:00"
"""CTR-PI in force (from 21 Nov 2025); CEDC-PI not yet (5 Feb 2026)."""
BOTH = "2026-03-02T15:00:00-05:00"
"""CTR-PI and CEDC-PI in force."""
CEDC_FROM = datetime(2026, 2, 5, 5, 0, tzinfo=UTC)


def _at(policy_input: dict[str, Any], when: str) -> dict[str, Any]:
    return dict(policy_input, decision_time=when, received_at=when)


def _rules(decision: dict[str, Any]) -> set[str]:
    rules = {f["rule"] for f in decision["reasons"]}
    for s in decision["subjects"]:
        rules |= {f["rule"] for f in s["findings"]}
    return rules


@pytest.fixture(scope="session")
def ice_immigration(ask: Ask) -> dict[str, Any]:
    """ICE (HSI) asks for an address for an immigration-criminal case, without the MOU."""
    return ask(
        "S06",
        [
            AskAs("DHS-ICE-HSI"),
            Category("immigration_criminal"),
            CiteStatute(Written("8 U.S.C. 1326", title8=True)),
        ],
    ).policy_input


@pytest.fixture(scope="session")
def ssa_with_dhs_recipient(ask: Ask) -> dict[str, Any]:
    """An SSA statement mailing whose recipients include a DHS employee (no immigration purpose)."""
    return ask("S23", [AddRecipient(Written("DHS", dhs=True))]).policy_input


def test_interim_order_requires_notice_for_a_dhs_recipient(
    opa: OpaServer, ssa_with_dhs_recipient: dict[str, Any]
) -> None:
    decision = opa.decide(_at(ssa_with_dhs_recipient, INTERIM))
    assert "INJ-0" in _rules(decision)
    assert "COURT_NOTICE" in decision["obligations"]
    assert "INJ-6" not in _rules(decision)
    assert not any(s["outcome"] in RELEASED for s in decision["subjects"])


def test_ctr_injunction_alone_denies_ice_immigration_request(
    opa: OpaServer, ice_immigration: dict[str, Any]
) -> None:
    decision = opa.decide(_at(ice_immigration, CTR_ONLY))
    assert "INJ-1" in _rules(decision)
    assert "INJ-4" not in _rules(decision)
    assert "INJ-6" not in _rules(decision)
    assert decision["outcome"] == "DENY"


def test_both_injunctions_deny_ice_immigration_request(
    opa: OpaServer, ice_immigration: dict[str, Any]
) -> None:
    decision = opa.decide(_at(ice_immigration, BOTH))
    assert {"INJ-1", "INJ-4"} <= _rules(decision)
    assert "INJ-6" not in _rules(decision)
    assert decision["outcome"] == "DENY"


def test_both_injunctions_are_in_force_today(
    opa: OpaServer, ice_immigration: dict[str, Any]
) -> None:
    """The premise of the lookup invariants: the gateway's own clock is inside both terms."""
    decision = opa.decide(ice_immigration)  # decided at the time the gateway stamped
    assert {"INJ-1", "INJ-4"} <= _rules(decision)
    assert "INJ-6" not in _rules(decision)


def test_ctr_injunction_sends_a_dhs_recipient_to_review(
    opa: OpaServer, ssa_with_dhs_recipient: dict[str, Any]
) -> None:
    decision = opa.decide(_at(ssa_with_dhs_recipient, BOTH))
    assert "INJ-2" in _rules(decision)
    assert not any(s["outcome"] in RELEASED for s in decision["subjects"])


@PROFILE
@given(offset=st.integers(min_value=60, max_value=9 * 365 * 86400))
def test_ice_immigration_request_is_denied_at_any_time_after_both_injunctions(
    opa: OpaServer, ice_immigration: dict[str, Any], offset: int
) -> None:
    when = (CEDC_FROM + timedelta(seconds=offset)).isoformat()
    decision = opa.decide(_at(ice_immigration, when))
    assert {"INJ-1", "INJ-4"} <= _rules(decision)
    assert "INJ-6" not in _rules(decision)
    assert decision["outcome"] == "DENY"


@pytest.mark.parametrize("section", REGISTRY_TITLE8_SECTIONS)
def test_fbi_request_citing_a_registry_title_8_statute_is_not_released(
    ask: Ask, opa: OpaServer, section: str
) -> None:
    """Each Title 8 entry of the statute registry counts as immigration (INJ-5) on its own."""
    ex = ask("S06", [CiteStatute(Written(f"8 U.S.C. {section}", title8=True))])
    decision = opa.decide(_at(ex.policy_input, BOTH))
    assert "INJ-5" in _rules(decision) or "INJ-1" in _rules(decision)
    assert not any(s["outcome"] in RELEASED for s in decision["subjects"])


def test_interim_order_leaves_a_request_without_dhs_alone(ask: Ask, opa: OpaServer) -> None:
    """INJ-0 is about DHS: the FBI's own (i)(2) request was released under the interim order."""
    decision = opa.decide(_at(ask("S06", []).policy_input, INTERIM))
    assert "INJ-0" not in _rules(decision)
    assert all(s["outcome"] in RELEASED for s in decision["subjects"])


# The statute registry, read against the law as these tests know it (POLICY_MODEL.md §3.4):
# which Title 8 sections are crimes, which are civil removal provisions, which Title 26
# sections are tax administration, and which non-tax crimes (i)(2) serves.
CRIMINAL_TITLE_8 = ("1253(a)(1)", "1306", "1324", "1325", "1325(a)", "1326", "1326(a)")
CIVIL_TITLE_8 = ("1227", "1229a", "1229c(d)", "1231")
TAX_CRIMES = tuple(f"26 U.S.C. {s}" for s in range(7201, 7208))
NONTAX_CRIMES = ("18 U.S.C. 1343", "18 U.S.C. 1951", "18 U.S.C. 2113(a)", "21 U.S.C. 841(a)")


def _ice_citing(ask: Ask, citation: str) -> dict[str, Any]:
    """ICE (HSI) asks under (i)(2) for a non-tax criminal matter, citing one more statute."""
    edits: list[Edit] = [
        AskAs("DHS-ICE-HSI"),
        Category("nontax_criminal"),
        CiteStatute(Written(citation, title8=True)),
    ]
    return ask("S06", edits).policy_input


@pytest.mark.parametrize("section", CRIMINAL_TITLE_8)
def test_before_any_order_dhs_citing_a_title_8_crime_goes_to_review(
    ask: Ask, opa: OpaServer, section: str
) -> None:
    """DHS-IMM-REVIEW (no injunction in force): the registry must know the section is a crime."""
    decision = opa.decide(_at(_ice_citing(ask, f"8 U.S.C. {section}"), BEFORE))
    assert "DHS-IMM-REVIEW" in _rules(decision)
    assert not ({"INJ-0", "INJ-1", "INJ-4", "INJ-6"} & _rules(decision))
    assert not any(s["outcome"] in RELEASED for s in decision["subjects"])


@pytest.mark.parametrize("section", CIVIL_TITLE_8)
def test_before_any_order_a_civil_title_8_citation_is_not_an_immigration_crime(
    ask: Ask, opa: OpaServer, section: str
) -> None:
    decision = opa.decide(_at(_ice_citing(ask, f"8 U.S.C. {section}"), BEFORE))
    assert "DHS-IMM-REVIEW" not in _rules(decision)


@pytest.mark.parametrize("citation", TAX_CRIMES)
def test_tax_crime_alone_is_no_i2_matter(ask: Ask, opa: OpaServer, citation: str) -> None:
    """6103-I2-5b: tax crimes go through §6103(h); a known citation is not sent to review."""
    ex = ask("S06", [Drop("statutes"), CiteStatute(Written(citation))])
    decision = opa.decide(ex.policy_input)
    assert "6103-I2-5b" in _rules(decision)
    assert "GW-13" not in _rules(decision), "a registry statute was not recognised"
    assert not any(s["outcome"] in RELEASED for s in decision["subjects"])


@pytest.mark.parametrize("citation", NONTAX_CRIMES)
def test_nontax_crime_alone_supports_an_i2_release(ask: Ask, opa: OpaServer, citation: str) -> None:
    ex = ask("S06", [Drop("statutes"), CiteStatute(Written(citation))])
    decision = opa.decide(ex.policy_input)
    assert all(s["outcome"] in RELEASED for s in decision["subjects"]), _rules(decision)


@pytest.mark.parametrize(
    "purpose", ["immigration_criminal", "civil_immigration_enforcement", "data_remediation"]
)
def test_dhs_requester_with_an_immigration_purpose_meets_both_injunctions(
    ask: Ask, opa: OpaServer, purpose: str
) -> None:
    """CTR-PI (INJ-1) and CEDC-PI (INJ-4, a DHS requester with an immigration purpose) each
    forbid it; the log must name both orders, not whichever rule fires first."""
    ex = ask("S06", [AskAs("DHS-ICE"), Category(purpose)])
    decision = opa.decide(_at(ex.policy_input, BOTH))
    assert {"INJ-1", "INJ-4"} <= _rules(decision)
    assert decision["outcome"] == "DENY"
