"""Which policy decides right now: an engine and its revision, swapped together.

A request reads the pair once (``current``) and uses it for its whole
decision, so a policy change can never make one decision mix the old engine
with the new revision's name.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from gateway.pdp.opa import PolicyEngine


@dataclass(frozen=True)
class PolicyInUse:
    engine: PolicyEngine
    revision: str


class ActivePolicy:
    def __init__(self, engine: PolicyEngine, revision: str) -> None:
        self._lock = threading.Lock()
        self._current = PolicyInUse(engine, revision)

    def current(self) -> PolicyInUse:
        with self._lock:
            return self._current

    def swap(self, engine: PolicyEngine, revision: str) -> PolicyInUse:
        """Make (engine, revision) the active pair; returns the pair it replaced."""
        with self._lock:
            old, self._current = self._current, PolicyInUse(engine, revision)
        return old
