"""Applies a subject's decision to its record: the only place fields are released.

``redact`` is pure and total: whatever the decision, the result holds at most
the last known mailing address (POLICY_MODEL.md §3.3), and only when the
decision released it; every other requested field is listed as withheld.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.pdp.decision import SubjectDecision
from gateway.pdp.input import WIRE_FIELD_NAMES
from gateway.store.taxpayers import MailingAddress

_OUTCOMES = {
    "ALLOW": "disclosed",
    "ALLOW_WITH_REDACTION": "disclosed",
    "REQUIRE_HUMAN_REVIEW": "pending_review",
    "DENY": "denied",
}


@dataclass(frozen=True)
class RedactedResult:
    outcome: str
    address: MailingAddress | None
    redacted: list[str]


def redact(
    decision: SubjectDecision, address: MailingAddress | None, requested: list[str]
) -> RedactedResult:
    """``requested`` uses the wire names (``last_known_address``, ``income``...)."""
    outcome = _OUTCOMES[decision.outcome]
    release = (
        outcome == "disclosed"
        and decision.release_tax_year is not None
        and address is not None
        and address.tax_year == decision.release_tax_year
        and "last_known_address" in requested
    )
    withheld = {WIRE_FIELD_NAMES.get(f, f.lower()) for f in decision.redacted}
    withheld |= {f for f in requested if f != "last_known_address"}
    if not release and "last_known_address" in requested:
        withheld.add("last_known_address")
    if outcome == "disclosed" and not release:
        # The policy allowed the subject but there is no address to release; nothing leaves.
        outcome = "denied"
    return RedactedResult(
        outcome=outcome, address=address if release else None, redacted=sorted(withheld)
    )
