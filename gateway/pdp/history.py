"""Activation history: who changed the policy, when, and what the change was.

A revision hash says *that* the policy changed; an operator reviewing an
incident needs *what* changed and who brought it. Every start, accepted
reload and rejected reload is a ``policy_change`` leaf of the decision log
(next to the ``policy_activation`` leaf every later decision names), so the
history is as tamper-evident as the decisions and survives restarts:

* ``action``: ``start``, ``reload`` or ``rejection``;
* ``operator``: the staff id of the token that asked for the change, or
  ``os:<account>`` for the host account the gateway runs as when the file
  watcher picked an edit up (nobody else could have written ``policies/``);
* ``files``: policy and data files added, removed and changed since the active
  revision, by content;
* ``rules``: rule ids (``custom.rule_id`` of the METADATA, read by
  ``opa inspect``) added and removed — what an auditor will see in the
  findings;
* ``error``: for a rejection, OPA's words, with paths into the snapshot copy
  replaced by the operator's own policy directory.

A start has no earlier revision to compare with in this process, so its
summary counts files and rules instead.
"""

from __future__ import annotations

import getpass
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select

from gateway.audit.canonical import JsonValue, canonical_json
from gateway.audit.log import DecisionLog
from gateway.audit.record import RECORD_VERSION
from gateway.audit.tables import LOG_ENTRY
from gateway.pdp.catalog import CatalogUnavailableError, read_catalog
from gateway.pdp.revision import policy_files

Action = Literal["start", "reload", "rejection"]
KIND = "policy_change"
ERROR_CHARS_KEPT = 4000
"""OPA's message is kept whole up to this length: its first errors are the useful ones."""


def host_operator() -> str:
    """The host account the gateway runs as: whoever can write ``policies/`` beside it."""
    try:
        return f"os:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "os:unknown"


@dataclass(frozen=True)
class ChangeSummary:
    files_added: tuple[str, ...] = ()
    files_removed: tuple[str, ...] = ()
    files_changed: tuple[str, ...] = ()
    rules_added: tuple[str, ...] = ()
    rules_removed: tuple[str, ...] = ()
    files_total: int = 0
    rules_total: int = 0


@dataclass(frozen=True)
class ActivationEvent:
    action: Action
    at: datetime
    revision: str
    previous_revision: str | None
    operator: str
    summary: ChangeSummary = field(default_factory=ChangeSummary)
    error: str | None = None

    def as_json(self) -> dict[str, JsonValue]:
        s = self.summary
        return {
            "action": self.action,
            "at": self.at.isoformat(),
            "revision": self.revision,
            "previous_revision": self.previous_revision,
            "operator": self.operator,
            "files": {
                "added": s.files_added,
                "removed": s.files_removed,
                "changed": s.files_changed,
                "total": s.files_total,
            },
            "rules": {"added": s.rules_added, "removed": s.rules_removed, "total": s.rules_total},
            "error": self.error,
        }


def policy_change_record(event: ActivationEvent) -> bytes:
    """The canonical bytes of a ``policy_change`` leaf (nothing in it names a taxpayer)."""
    return canonical_json({"v": RECORD_VERSION, "kind": KIND, **event.as_json()})


def _digests(directory: Path) -> dict[str, str]:
    return {
        p.relative_to(directory).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in policy_files(directory)
    }


def _rule_ids(opa_binary: Path, directory: Path) -> set[str] | None:
    try:
        return set(read_catalog(opa_binary, directory))
    except CatalogUnavailableError:
        return None  # a policy OPA cannot inspect is refused anyway; its rules are unknown


def summarize(opa_binary: Path, old: Path | None, new: Path) -> ChangeSummary:
    """Files and rule ids that differ between two policy directories (``old`` None: counts)."""
    after = _digests(new)
    rules_after = _rule_ids(opa_binary, new) or set()
    if old is None or not old.is_dir():
        return ChangeSummary(files_total=len(after), rules_total=len(rules_after))
    before = _digests(old)
    rules_before = _rule_ids(opa_binary, old) or set()
    return ChangeSummary(
        files_added=tuple(sorted(after.keys() - before.keys())),
        files_removed=tuple(sorted(before.keys() - after.keys())),
        files_changed=tuple(
            sorted(f for f in after.keys() & before.keys() if after[f] != before[f])
        ),
        rules_added=tuple(sorted(rules_after - rules_before)),
        rules_removed=tuple(sorted(rules_before - rules_after)),
        files_total=len(after),
        rules_total=len(rules_after),
    )


def operators_error(error: str, snapshot: Path, policy_dir: Path) -> str:
    """OPA's message about the snapshot copy, pointing at the operator's file instead."""
    return error.replace(str(snapshot), str(policy_dir))[-ERROR_CHARS_KEPT:]


def read_history(log: DecisionLog, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Every ``policy_change`` leaf, newest first, with its log index.

    The leaves are found by kind in the database (no per-leaf parsing of the
    rest of the log); the decision log has no index on kind, so this is a scan,
    paid only when an operator asks.
    """
    t = LOG_ENTRY
    query = select(t.c.idx, t.c.body).where(t.c.kind == KIND).order_by(t.c.idx.desc())
    if limit is not None:
        query = query.limit(limit)
    with log.engine.connect() as conn:
        rows = conn.execute(query).all()
    return [{"log_index": int(idx), **json.loads(bytes(body))} for idx, body in rows]
