"""The shape a policy decision must have before the gateway acts on it.

OPA's answer is untrusted until it parses into :class:`Decision`: a missing
key, an unknown outcome or a subject list that does not line up with the
request makes the adapter fail closed (see ``gateway.pdp.opa``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Effect = Literal["ALLOW", "ALLOW_WITH_REDACTION", "REQUIRE_HUMAN_REVIEW", "DENY"]
FindingOutcome = Literal[
    "ALLOW", "ALLOW_WITH_REDACTION", "REQUIRE_HUMAN_REVIEW", "DENY", "OBLIGATION"
]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)


class Finding(_Frozen):
    """One rule that fired: its id traces back to the Rego rule's METADATA."""

    rule: str
    outcome: FindingOutcome
    citation: str
    message: str


class Penalty(_Frozen):
    """A penalty provision at stake (PEN-1..3): written to the log, never shown to agencies."""

    rule: str
    citation: str
    message: str


class SubjectDecision(_Frozen):
    ref: str
    outcome: Effect
    release_tax_year: int | None
    redacted: list[str]
    findings: list[Finding]
    reasons: list[Finding]

    @property
    def releases_address(self) -> bool:
        """Only ALLOW and ALLOW_WITH_REDACTION release anything, and only the address."""
        return (
            self.outcome in ("ALLOW", "ALLOW_WITH_REDACTION") and self.release_tax_year is not None
        )


class Decision(_Frozen):
    outcome: Effect
    reasons: list[Finding]
    subjects: list[SubjectDecision]
    obligations: list[str]
    penalties: list[Penalty] = []

    @property
    def request_effect(self) -> Effect:
        """What the request-level findings do to every subject: DENY denies them all.

        DENY when a request-level finding denies, or when the policy calls the request
        DENY yet denies none of its subjects: its outcome is the most restrictive
        subject outcome, so such a decision contradicts itself, and the contradiction
        is resolved closed. Otherwise the most restrictive request-level finding
        (ALLOW when there is none), so that a DENY of one subject's own leaves the
        others to their own outcomes (API.md ``partially_allowed``).
        """
        if self.outcome == "DENY" and all(s.outcome != "DENY" for s in self.subjects):
            return "DENY"
        effects = [f.outcome for f in self.reasons if f.outcome != "OBLIGATION"]
        for effect in ("DENY", "REQUIRE_HUMAN_REVIEW", "ALLOW_WITH_REDACTION"):
            if effect in effects:
                return effect
        return "ALLOW"
