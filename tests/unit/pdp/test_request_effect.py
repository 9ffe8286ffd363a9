"""What a decision's request-level findings do to every subject (``Decision.request_effect``)."""

from __future__ import annotations

from gateway.pdp.decision import Decision, Effect, Finding, SubjectDecision


def _finding(outcome: str) -> Finding:
    return Finding.model_validate(
        {"rule": "T", "outcome": outcome, "citation": "c", "message": "m"}
    )


def _subject(outcome: Effect) -> SubjectDecision:
    return SubjectDecision(
        ref=f"r-{outcome}",
        outcome=outcome,
        release_tax_year=2024 if outcome != "DENY" else None,
        redacted=[],
        findings=[],
        reasons=[],
    )


def _decision(outcome: Effect, reasons: list[str], subjects: list[Effect]) -> Decision:
    return Decision(
        outcome=outcome,
        reasons=[_finding(r) for r in reasons],
        subjects=[_subject(s) for s in subjects],
        obligations=[],
    )


def test_a_request_level_deny_finding_denies_every_subject() -> None:
    assert _decision("ALLOW", ["DENY"], ["ALLOW", "ALLOW"]).request_effect == "DENY"


def test_a_denied_request_that_denies_no_subject_is_resolved_closed() -> None:
    assert _decision("DENY", [], ["ALLOW", "REQUIRE_HUMAN_REVIEW"]).request_effect == "DENY"


def test_one_subjects_own_denial_leaves_the_others_to_their_outcomes() -> None:
    assert _decision("DENY", [], ["ALLOW", "DENY"]).request_effect == "ALLOW"


def test_the_most_restrictive_request_finding_is_the_effect() -> None:
    decision = _decision("REQUIRE_HUMAN_REVIEW", ["OBLIGATION", "REQUIRE_HUMAN_REVIEW"], ["ALLOW"])
    assert decision.request_effect == "REQUIRE_HUMAN_REVIEW"
    assert _decision("ALLOW", ["OBLIGATION"], ["ALLOW"]).request_effect == "ALLOW"
