"""Which policy decides right now: an engine, its revision and its registry, swapped together.

A request reads the pair once (``current``) and uses it for its whole
decision, so a policy change can never make one decision mix the old engine
with the new revision's name.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta

from gateway.facts.finder import FactFinder
from gateway.pdp.opa import PolicyEngine
from gateway.pdp.texts import GatewayTexts


@dataclass(frozen=True)
class PolicyInUse:
    engine: PolicyEngine
    revision: str
    facts: FactFinder
    """Statutes and agency names read against the same revision's registry."""
    duplicate_window: timedelta = timedelta(hours=24)
    """DUP_WINDOW of the same revision's parameters: the gateway computes GW-3b's facts."""
    texts: GatewayTexts = field(kw_only=True)
    """The legal texts the gateway adds itself, from the same revision's METADATA."""


class ActivePolicy:
    def __init__(self, policy: PolicyInUse) -> None:
        self._lock = threading.Lock()
        self._current = policy

    def current(self) -> PolicyInUse:
        with self._lock:
            return self._current

    def swap(self, policy: PolicyInUse) -> PolicyInUse:
        """Make ``policy`` the active one; returns the one it replaced."""
        with self._lock:
            old, self._current = self._current, policy
        return old
