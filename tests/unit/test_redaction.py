from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from gateway.pdp.decision import Effect, Finding, SubjectDecision
from gateway.redaction import redact
from gateway.store.taxpayers import MailingAddress

WIRE_FIELDS = [
    "last_known_address",
    "tin",
    "date_of_birth",
    "filing_status",
    "income",
    "employer",
    "bank_account",
    "dependents",
]
POLICY_FIELDS = [
    "TIN",
    "DOB",
    "FILING_STATUS",
    "INCOME",
    "EMPLOYER_PAYOR",
    "BANK_ACCOUNT",
    "DEPENDENTS",
    "LAST_KNOWN_ADDRESS",
]
ADDRESS = MailingAddress(
    line1="1 Main St", line2=None, city="Towson", state="MD", zip="21204", tax_year=2024
)
OK = Finding(rule="6103-I2-OK", outcome="ALLOW", citation="c", message="m")

decisions = st.builds(
    SubjectDecision,
    ref=st.just("r"),
    outcome=st.sampled_from(["ALLOW", "ALLOW_WITH_REDACTION", "REQUIRE_HUMAN_REVIEW", "DENY"]),
    release_tax_year=st.one_of(st.none(), st.sampled_from([2022, 2023, 2024])),
    redacted=st.lists(st.sampled_from(POLICY_FIELDS), unique=True),
    findings=st.just([OK]),
    reasons=st.just([OK]),
)
requests = st.lists(st.sampled_from(WIRE_FIELDS), min_size=1, unique=True)
addresses = st.one_of(st.none(), st.just(ADDRESS))
request_outcomes = st.sampled_from(
    ["ALLOW", "ALLOW_WITH_REDACTION", "REQUIRE_HUMAN_REVIEW", "DENY"]
)


@given(decisions, addresses, requests, request_outcomes)
def test_nothing_but_the_address_ever_leaves(
    d: SubjectDecision, a: MailingAddress | None, requested: list[str], request: Effect
) -> None:
    out = redact(d, a, requested, request_outcome=request)
    if out.address is not None:
        assert out.address.model_dump() == dataclasses.asdict(ADDRESS)
        assert out.outcome == "disclosed"
        assert request != "DENY"
        assert d.outcome in ("ALLOW", "ALLOW_WITH_REDACTION")
        assert d.release_tax_year == ADDRESS.tax_year
        assert "last_known_address" in requested


@given(decisions, addresses, requests, request_outcomes)
def test_every_other_requested_field_is_listed_as_withheld(
    d: SubjectDecision, a: MailingAddress | None, requested: list[str], request: Effect
) -> None:
    out = redact(d, a, requested, request_outcome=request)
    assert {f for f in requested if f != "last_known_address"} <= set(out.redacted)
    if out.address is None and "last_known_address" in requested:
        assert "last_known_address" in out.redacted
    assert out.redacted == sorted(out.redacted)


def test_address_of_another_tax_year_than_the_decision_named_is_not_released() -> None:
    d = SubjectDecision(
        ref="r",
        outcome="ALLOW_WITH_REDACTION",
        release_tax_year=2023,
        redacted=[],
        findings=[OK],
        reasons=[OK],
    )
    out = redact(d, ADDRESS, ["last_known_address"], request_outcome="ALLOW_WITH_REDACTION")
    assert out.address is None
    assert out.outcome == "denied"


def test_review_and_denial_release_nothing() -> None:
    for outcome in ("REQUIRE_HUMAN_REVIEW", "DENY"):
        d = SubjectDecision(
            ref="r",
            outcome=outcome,
            release_tax_year=2024,
            redacted=[],
            findings=[OK],
            reasons=[OK],
        )
        assert redact(d, ADDRESS, ["last_known_address"], request_outcome=outcome).address is None


@given(decisions, addresses, requests)
def test_a_denied_request_denies_every_subject_whatever_its_entry_says(
    d: SubjectDecision, a: MailingAddress | None, requested: list[str]
) -> None:
    out = redact(d, a, requested, request_outcome="DENY")
    assert out.outcome == "denied"
    assert out.address is None
    assert "last_known_address" in out.redacted or "last_known_address" not in requested


def test_an_allowed_subject_of_a_denied_request_is_denied() -> None:
    d = SubjectDecision(
        ref="r",
        outcome="ALLOW",
        release_tax_year=2024,
        redacted=[],
        findings=[OK],
        reasons=[OK],
    )
    allowed = redact(d, ADDRESS, ["last_known_address"], request_outcome="ALLOW").address
    assert allowed is not None
    assert allowed.model_dump() == dataclasses.asdict(ADDRESS)
    denied = redact(d, ADDRESS, ["last_known_address"], request_outcome="DENY")
    assert (denied.outcome, denied.address) == ("denied", None)
    assert denied.redacted == ["last_known_address"]
