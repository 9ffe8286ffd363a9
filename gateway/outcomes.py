"""The outcome vocabulary on the wire, and the two mappings into it, written once.

A subject's policy effect becomes one of three wire outcomes; a request's outcome
follows from its subjects'. Both are needed by the pipeline, the review service,
policy replay and the auditor's views, so they live here, below all of them, and
import nothing of the gateway.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final, Literal

SubjectOutcome = Literal["disclosed", "pending_review", "denied"]
RequestOutcome = Literal["allowed", "partially_allowed", "pending_review", "denied"]

SUBJECT_OUTCOME: Final[Mapping[str, SubjectOutcome]] = {
    "ALLOW": "disclosed",
    "ALLOW_WITH_REDACTION": "disclosed",
    "REQUIRE_HUMAN_REVIEW": "pending_review",
    "DENY": "denied",
}
"""A policy effect (``gateway.pdp.decision.Effect``) as the subject's wire outcome."""


def request_outcome(subjects: Iterable[SubjectOutcome]) -> RequestOutcome:
    """``allowed`` only if every subject was disclosed; any disclosure makes it partial.

    A request with no disclosure is ``pending_review`` while any subject awaits an
    officer, else ``denied`` (API.md).
    """
    outcomes = list(subjects)
    if outcomes and all(o == "disclosed" for o in outcomes):
        return "allowed"
    if "disclosed" in outcomes:
        return "partially_allowed"
    if "pending_review" in outcomes:
        return "pending_review"
    return "denied"
