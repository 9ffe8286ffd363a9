"""The impact of a policy change before it is live: replay logged decisions on it.

Every decision leaf carries its policy input, sealed with the audit key
(``gateway.audit.sealing``). Replaying unseals each input and asks a
candidate policy for a decision; the input keeps its original
``decision_time``, so the candidate judges each request as of the moment it
was decided (GW-12). Only outcomes and rule ids are compared — nothing here
reads the datastore or releases anything.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from gateway.audit.sealing import AuditKeys
from gateway.outcomes import SUBJECT_OUTCOME
from gateway.pdp.opa import PolicyEngine


@dataclass(frozen=True)
class SubjectChange:
    decision_id: str
    log_index: int
    position: int
    was: str
    now: str
    rules_added: tuple[str, ...]
    rules_removed: tuple[str, ...]


@dataclass(frozen=True)
class ReplaySummary:
    decisions: int
    subjects: int
    changes: list[SubjectChange]
    unreadable: int
    """Leaves whose input could not be unsealed (another audit key) or decided."""


def replay(
    leaves: Iterable[tuple[int, bytes]],
    keys: AuditKeys,
    candidate: PolicyEngine,
    *,
    on_leaf: Callable[[], None] | None = None,
) -> ReplaySummary:
    decisions = subjects = unreadable = 0
    changes: list[SubjectChange] = []
    for index, body in leaves:
        if on_leaf is not None:
            on_leaf()
        record = json.loads(body)
        if record.get("kind") != "decision":
            continue
        decision_id = record["decision_id"]
        try:
            policy_input = json.loads(
                keys.unseal(record["sealed_input"], associated_data=decision_id.encode())
            )
            new = candidate.decide(policy_input)
        except Exception:
            unreadable += 1
            continue
        decisions += 1
        request_rules = {f.rule for f in new.reasons}
        for position, (old, fresh) in enumerate(zip(record["subjects"], new.subjects, strict=True)):
            subjects += 1
            was_rules = set(record["rules"]) | set(old["rules"])
            now_rules = request_rules | {f.rule for f in fresh.findings}
            now = SUBJECT_OUTCOME[fresh.outcome]
            if now != old["outcome"] or was_rules != now_rules:
                changes.append(
                    SubjectChange(
                        decision_id=decision_id,
                        log_index=index,
                        position=position,
                        was=old["outcome"],
                        now=now,
                        rules_added=tuple(sorted(now_rules - was_rules)),
                        rules_removed=tuple(sorted(was_rules - now_rules)),
                    )
                )
    return ReplaySummary(decisions, subjects, changes, unreadable)
