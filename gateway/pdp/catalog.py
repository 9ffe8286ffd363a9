"""The rule catalogue: what each rule id cites, read from the policy's own METADATA by OPA.

A decision leaf names the rules that fired by id only; their citation, title
and message live in the Rego METADATA of the revision that decided
(``custom.rule_id``, ``custom.citation``, ``custom.message``, ``custom.outcome``;
see ``policies/README.md``). Auditors are shown exactly those words, so they
are read with ``opa inspect --annotations`` from the policy snapshot of that
revision when the gateway still keeps it, else from the live policy directory
(and the caller is told which revision answered). Results are cached per
revision: a revision's files never change.
"""

from __future__ import annotations

import json
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.pdp.revision import policy_revision

INSPECT_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class RuleMetadata:
    rule: str
    title: str | None
    citation: str | None
    message: str | None
    outcome: str | None


@dataclass(frozen=True)
class Catalog:
    revision: str
    rules: dict[str, RuleMetadata]


class CatalogUnavailableError(Exception):
    """OPA could not read the policy's annotations."""


def read_catalog(opa_binary: Path, directory: Path) -> dict[str, RuleMetadata]:
    """Every rule id in ``directory`` with its METADATA (test modules left out)."""
    try:
        done = subprocess.run(  # noqa: S603 - fixed argv
            [str(opa_binary), "inspect", "--annotations", "--format", "json", str(directory)],
            capture_output=True,
            text=True,
            timeout=INSPECT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CatalogUnavailableError(f"opa inspect could not run: {exc}") from exc
    if done.returncode != 0:
        raise CatalogUnavailableError(f"opa inspect failed: {done.stderr.strip()[-500:]}")
    rules: dict[str, RuleMetadata] = {}
    for entry in json.loads(done.stdout).get("annotations", []):
        if str(entry.get("location", {}).get("file", "")).endswith("_test.rego"):
            continue
        annotations: dict[str, Any] = entry.get("annotations", {})
        custom = annotations.get("custom") or {}
        rule_id = custom.get("rule_id")
        if not isinstance(rule_id, str) or rule_id in rules:
            continue
        rules[rule_id] = RuleMetadata(
            rule=rule_id,
            title=annotations.get("title"),
            citation=custom.get("citation"),
            message=custom.get("message"),
            outcome=custom.get("outcome"),
        )
    return rules


class RuleCatalog:
    """Rule METADATA by policy revision, from the kept snapshot of that revision if any."""

    def __init__(self, *, opa_binary: Path, snapshots_dir: Path, policy_dir: Path) -> None:
        self._opa = opa_binary
        self._snapshots = snapshots_dir
        self._policy_dir = policy_dir
        self._cache: dict[str, Catalog] = {}
        self._lock = threading.Lock()

    def _directory_for(self, revision: str | None) -> tuple[Path, str]:
        if revision is not None and revision.startswith("sha256:"):
            candidate = self._snapshots / revision.removeprefix("sha256:")[:24]
            if candidate.is_dir() and policy_revision(candidate) == revision:
                return candidate, revision
        return self._policy_dir, policy_revision(self._policy_dir)

    def for_revision(self, revision: str | None) -> Catalog:
        """The catalogue of ``revision``, or of the live policy when that one is gone."""
        directory, found = self._directory_for(revision)
        with self._lock:
            cached = self._cache.get(found)
        if cached is not None:
            return cached
        catalog = Catalog(revision=found, rules=read_catalog(self._opa, directory))
        with self._lock:
            self._cache[found] = catalog
        return catalog
