"""The impact of a policy change before it is live: replay logged decisions on it.

Every decision leaf carries its policy input, sealed with the audit key
(``gateway.audit.sealing``). Replaying unseals each input and asks a
candidate policy for a decision; the input keeps its original
``decision_time``, so the candidate judges each request as of the moment it
was decided (GW-12). Only outcomes and rule ids are compared — nothing here
reads the datastore or releases anything.

A subject's outcome is read the way the pipeline reads it: a request-level
DENY (:attr:`~gateway.pdp.decision.Decision.request_effect`) denies every
subject whatever its own entry says (``gateway.redaction.final_outcome``). A
candidate that moves a denial from the subjects to the request is therefore no
change, and one that only drops a request-level DENY finding is one.

The operator needs to find each change in the agencies' own terms, so a change
names the agency, its request id and the subject's ref (read from the unsealed
input: the leaf itself holds only their pseudonyms). They are printed to the
operator's terminal, never to the structured logs.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from gateway.audit.sealing import AuditKeys
from gateway.outcomes import SUBJECT_OUTCOME, SubjectOutcome
from gateway.pdp.decision import Decision
from gateway.pdp.opa import PolicyEngine


@dataclass(frozen=True)
class SubjectVerdict:
    """One subject as a decision leaves it: its wire outcome and every rule that fired on it."""

    outcome: str
    rules: frozenset[str]


def subject_verdicts(decision: Decision) -> list[SubjectVerdict]:
    """Each subject's outcome after the request-level effect, with request and own rules.

    A subject the policy allows without naming a tax year to release gets nothing,
    so it counts as denied here as in the pipeline's redaction. The request-level
    rule is ``gateway.redaction.final_outcome``'s (a layer above this package, so
    restated here; a test holds the two to the same answers).
    """
    effect = decision.request_effect
    request_rules = {f.rule for f in decision.reasons}
    verdicts = []
    for s in decision.subjects:
        outcome: SubjectOutcome = "denied" if effect == "DENY" else SUBJECT_OUTCOME[s.outcome]
        if outcome == "disclosed" and not s.releases_address:
            outcome = "denied"
        verdicts.append(
            SubjectVerdict(outcome, frozenset(request_rules | {f.rule for f in s.findings}))
        )
    return verdicts


def change_type(was: str, now: str) -> str:
    """``denied→pending_review``; ``rules only`` when the outcome stays and the rules move."""
    return f"{was}→{now}" if was != now else "rules only"


@dataclass(frozen=True)
class SubjectChange:
    decision_id: str
    log_index: int
    decided_at: str
    agency: str
    request_id: str
    ref: str
    position: int
    was: str
    now: str
    rules_was: tuple[str, ...]
    rules_now: tuple[str, ...]

    @property
    def kind(self) -> str:
        return change_type(self.was, self.now)

    @property
    def rules_added(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.rules_now) - set(self.rules_was)))

    @property
    def rules_removed(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.rules_was) - set(self.rules_now)))

    def as_json(self) -> dict[str, object]:
        return {
            "decision_id": self.decision_id,
            "log_index": self.log_index,
            "decided_at": self.decided_at,
            "agency": self.agency,
            "request_id": self.request_id,
            "ref": self.ref,
            "position": self.position,
            "change": self.kind,
            "was": {"outcome": self.was, "rules": list(self.rules_was)},
            "now": {"outcome": self.now, "rules": list(self.rules_now)},
            "rules_added": list(self.rules_added),
            "rules_removed": list(self.rules_removed),
        }


def differing(
    was: Sequence[SubjectVerdict], now: Sequence[SubjectVerdict]
) -> list[tuple[int, SubjectVerdict, SubjectVerdict]]:
    """The positions whose outcome or rules differ (the subject lists are parallel)."""
    return [
        (position, old, new)
        for position, (old, new) in enumerate(zip(was, now, strict=True))
        if old != new
    ]


@dataclass(frozen=True)
class ReplaySummary:
    decisions: int
    subjects: int
    changes: list[SubjectChange]
    unreadable: int
    """Leaves whose input could not be unsealed (another audit key) or decided."""
    outside: int = 0
    """Decision leaves left out by ``since``/``until``."""
    totals: dict[str, int] = field(default_factory=dict)
    """Changed subjects by :func:`change_type`."""


def _logged(record: dict[str, object]) -> list[SubjectVerdict]:
    request_rules = set(record["rules"])  # type: ignore[call-overload]
    return [
        SubjectVerdict(s["outcome"], frozenset(request_rules | set(s["rules"])))
        for s in record["subjects"]  # type: ignore[attr-defined]
    ]


def replay(
    leaves: Iterable[tuple[int, bytes]],
    keys: AuditKeys,
    candidate: PolicyEngine,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    on_leaf: Callable[[], None] | None = None,
) -> ReplaySummary:
    """Decide every decision leaf decided in ``[since, until)`` again on ``candidate``."""
    decisions = subjects = unreadable = outside = 0
    changes: list[SubjectChange] = []
    for index, body in leaves:
        if on_leaf is not None:
            on_leaf()
        record = json.loads(body)
        if record.get("kind") != "decision":
            continue
        decided_at = datetime.fromisoformat(record["decided_at"])
        if (since is not None and decided_at < since) or (
            until is not None and decided_at >= until
        ):
            outside += 1
            continue
        decision_id = record["decision_id"]
        try:
            policy_input = json.loads(
                keys.unseal(record["sealed_input"], associated_data=decision_id.encode())
            )
            new = subject_verdicts(candidate.decide(policy_input))
        except Exception:
            unreadable += 1
            continue
        decisions += 1
        subjects += len(new)
        refs = [str(t.get("ref", "")) for t in policy_input.get("taxpayers", [])]
        for position, old, fresh in differing(_logged(record), new):
            changes.append(
                SubjectChange(
                    decision_id=decision_id,
                    log_index=index,
                    decided_at=record["decided_at"],
                    agency=record["requester"]["agency"],
                    request_id=str(policy_input.get("request_id", "")),
                    ref=refs[position] if position < len(refs) else "",
                    position=position,
                    was=old.outcome,
                    now=fresh.outcome,
                    rules_was=tuple(sorted(old.rules)),
                    rules_now=tuple(sorted(fresh.rules)),
                )
            )
    totals = dict(Counter(c.kind for c in changes).most_common())
    return ReplaySummary(decisions, subjects, changes, unreadable, outside, totals)
