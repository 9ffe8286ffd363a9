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
