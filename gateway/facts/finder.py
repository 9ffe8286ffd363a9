"""One policy revision's fact finder: statutes parsed, agency names resolved.

Built from the same policy snapshot that OPA decides with, so a registry edit
changes the names the gateway recognises in the same step as the policy that
reads them (``gateway.pdp.manager`` activates both together).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gateway.auth.registry import load_policy_data
from gateway.facts.agencies import AgencyFact, AgencyResolver
from gateway.facts.statutes import StatuteFact, parse_citation


@dataclass(frozen=True)
class FactFinder:
    agencies: AgencyResolver

    @classmethod
    def load(cls, policy_dir: Path) -> FactFinder:
        return cls(AgencyResolver.from_policy_data(load_policy_data(policy_dir)))

    def statute(self, text: str) -> StatuteFact:
        return parse_citation(text)

    def agency(self, text: str) -> AgencyFact:
        return self.agencies.resolve(text)
