"""Replay and shadow read a subject's outcome exactly as the pipeline's redaction does."""

from __future__ import annotations

from itertools import product
from typing import get_args

import pytest

from gateway.pdp.decision import Decision, Effect
from gateway.pdp.replay import subject_verdicts
from gateway.redaction import final_outcome

EFFECTS = get_args(Effect)


def _finding(rule: str, outcome: str) -> dict[str, str]:
    return {"rule": rule, "outcome": outcome, "citation": "c", "message": "m"}


@pytest.mark.parametrize(("request_finding", "subject_effect"), list(product(EFFECTS, EFFECTS)))
def test_replay_outcome_is_the_pipelines_final_outcome(
    request_finding: str, subject_effect: str
) -> None:
    decision = Decision.model_validate(
        {
            "outcome": subject_effect,
            "reasons": [_finding("REQ-1", request_finding)],
            "subjects": [
                {
                    "ref": "a",
                    "outcome": subject_effect,
                    "release_tax_year": 2024,
                    "redacted": [],
                    "findings": [_finding("SUB-1", subject_effect)],
                    "reasons": [],
                }
            ],
            "obligations": [],
        }
    )
    [verdict] = subject_verdicts(decision)
    assert verdict.outcome == final_outcome(decision.request_effect, decision.subjects[0])
    assert verdict.rules == {"REQ-1", "SUB-1"}
