"""Decision-log records: what a leaf says, in canonical JSON (RFC 8785).

A record names who asked, on what basis, which policy revision decided, the
outcome and rule ids per subject, and which fields left the gateway — enough
for the §6103(p)(3)(A) accounting — but no TIN, name, date of birth or
address in clear: subjects are HMAC pseudonyms and the policy input is sealed
(``gateway.audit.sealing``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.audit.canonical import JsonValue, canonical_json
from gateway.audit.sealing import AuditKeys

RECORD_VERSION = 1


@dataclass(frozen=True)
class SubjectEntry:
    ref: str
    taxpayer_key: str
    """What identifies the taxpayer before pseudonymization: ``tin:<TIN>`` or ``person:<...>``."""
    outcome: str
    rules: list[str]
    released: list[str]
    withheld: list[str]
    released_tax_year: int | None


def _ts(t: datetime) -> str:
    return t.isoformat()


def decision_record(
    *,
    keys: AuditKeys,
    decision_id: str,
    decided_at: datetime,
    policy_revision: str,
    agency_id: str,
    official_id: str,
    request_id: str,
    legal_basis: str,
    purpose_category: str,
    outcome: str,
    request_rules: list[str],
    subjects: list[SubjectEntry],
    obligations: list[str],
    policy_input: dict[str, Any],
    penalties: Sequence[str] = (),
) -> bytes:
    """The canonical bytes of a ``decision`` leaf.

    ``penalties`` are the PEN tags of the decision: the penalty provisions
    (§§7213, 7213A, 7431) at stake if this disclosure or inspection is later
    found unauthorized.
    """
    sealed = keys.seal(
        json.dumps(policy_input, sort_keys=True).encode(), associated_data=decision_id.encode()
    )
    record: dict[str, JsonValue] = {
        "v": RECORD_VERSION,
        "kind": "decision",
        "decision_id": decision_id,
        "decided_at": _ts(decided_at),
        "policy_revision": policy_revision,
        "requester": {"agency": agency_id, "official": official_id},
        "request_id_hmac": keys.pseudonym("request", f"{agency_id}:{request_id}"),
        "legal_basis": legal_basis,
        "purpose": purpose_category,
        "outcome": outcome,
        "rules": tuple(request_rules),
        "obligations": tuple(obligations),
        "penalties": tuple(penalties),
        "pseudonym_key_id": keys.pseudonym_key_id,
        "subjects": [
            {
                "ref_hmac": keys.pseudonym("ref", f"{agency_id}:{s.ref}"),
                "taxpayer": keys.pseudonym("taxpayer", s.taxpayer_key),
                "outcome": s.outcome,
                "rules": tuple(s.rules),
                "released": tuple(s.released),
                "withheld": tuple(s.withheld),
                "released_tax_year": s.released_tax_year,
            }
            for s in subjects
        ],
        "sealed_input": sealed,
    }
    return canonical_json(record)


def failure_record(
    *, decision_id: str, at: datetime, agency_id: str, stage: str, error: str
) -> bytes:
    """The canonical bytes of a ``decision_failure`` leaf.

    A request refused for want of a decision is still a fact the accounting must show.
    """
    return canonical_json(
        {
            "v": RECORD_VERSION,
            "kind": "decision_failure",
            "decision_id": decision_id,
            "at": _ts(at),
            "requester": {"agency": agency_id},
            "stage": stage,
            "error": error,
            "outcome": "denied",
        }
    )


def review_record(
    *,
    keys: AuditKeys,
    decision_id: str,
    position: int,
    agency_id: str,
    ref: str,
    action: str,
    officer: str,
    at: datetime,
    note: str,
    released_tax_year: int | None,
    first_approval_index: int | None = None,
    court_notice_filing_index: int | None = None,
) -> bytes:
    """The canonical bytes of a ``review`` leaf: a disclosure officer settled one subject.

    The officer's note is sealed like the policy input: it may name the taxpayer.
    ``officer`` is the staff registry id. A release that waited for another
    officer's first approval (two-person rule) or for a court-notice filing names
    those leaves (``first_approval_index``, ``court_notice_filing_index``); the
    keys are absent otherwise.
    """
    record: dict[str, JsonValue] = {
        "v": RECORD_VERSION,
        "kind": "review",
        "decision_id": decision_id,
        "subject_position": position,
        "ref_hmac": keys.pseudonym("ref", f"{agency_id}:{ref}"),
        "pseudonym_key_id": keys.pseudonym_key_id,
        "action": action,
        "officer": officer,
        "at": _ts(at),
        "released": ("last_known_address",) if released_tax_year is not None else (),
        "released_tax_year": released_tax_year,
        # A human released it: the provisions at stake if that release was unauthorized.
        "penalties": ("PEN-1", "PEN-3") if released_tax_year is not None else (),
        "sealed_note": keys.seal(
            note.encode(), associated_data=f"{decision_id}:{position}".encode()
        ),
    }
    if first_approval_index is not None:
        record["first_approval_index"] = first_approval_index
    if court_notice_filing_index is not None:
        record["court_notice_filing_index"] = court_notice_filing_index
    return canonical_json(record)


def review_first_approval_record(
    *,
    keys: AuditKeys,
    decision_id: str,
    position: int,
    agency_id: str,
    ref: str,
    officer: str,
    at: datetime,
    note: str,
) -> bytes:
    """The canonical bytes of a ``review_first_approval`` leaf (two-person rule).

    The first of two officers approved a subject that touches DHS or an
    injunction rule; nothing is released until another officer approves too (a
    ``review`` leaf naming this one). The note is sealed as in a ``review`` leaf.
    """
    record: dict[str, JsonValue] = {
        "v": RECORD_VERSION,
        "kind": "review_first_approval",
        "decision_id": decision_id,
        "subject_position": position,
        "ref_hmac": keys.pseudonym("ref", f"{agency_id}:{ref}"),
        "pseudonym_key_id": keys.pseudonym_key_id,
        "officer": officer,
        "at": _ts(at),
        "sealed_note": keys.seal(
            note.encode(), associated_data=f"first:{decision_id}:{position}".encode()
        ),
    }
    return canonical_json(record)


def court_notice_filing_record(
    *,
    decision_id: str,
    filed_by: str,
    filed_at: datetime,
    court: str,
    reference: str,
    recorded_by: str,
    recorded_by_role: str,
    recorded_at: datetime,
) -> bytes:
    """The canonical bytes of a ``court_notice_filing`` leaf.

    A decision's ``COURT_NOTICE`` obligation (INJ-0, INJ-3) was met: who filed
    the notice, when, with which court and under which reference (a docket
    entry or filing number). Nothing here names a taxpayer, so it is in clear.
    """
    return canonical_json(
        {
            "v": RECORD_VERSION,
            "kind": "court_notice_filing",
            "decision_id": decision_id,
            "obligation": "COURT_NOTICE",
            "filed_by": filed_by,
            "filed_at": _ts(filed_at),
            "court": court,
            "reference": reference,
            "recorded_by": {"subject": recorded_by, "role": recorded_by_role},
            "recorded_at": _ts(recorded_at),
        }
    )


def policy_activation_record(revision: str, at: datetime, files: list[str]) -> bytes:
    """The canonical bytes of a ``policy_activation`` leaf.

    Appended when a policy revision (the digest of the policy files and data)
    starts deciding; every later decision names this revision. ``files`` are
    the policy and data file names the revision covers (sorted here, so the
    leaf does not depend on directory order).
    """
    return canonical_json(
        {
            "v": RECORD_VERSION,
            "kind": "policy_activation",
            "policy_revision": revision,
            "activated_at": _ts(at),
            "files": tuple(sorted(files)),
        }
    )


def key_rotation_record(
    *,
    at: datetime,
    key_role: str,
    new_key_id: str,
    old_key_id: str | None = None,
    verifier_key: str | None = None,
    old_verifier_key: str | None = None,
    statement: str | None = None,
) -> bytes:
    """The canonical bytes of a ``key_rotation`` leaf.

    ``key_role`` names which key changed: ``checkpoint`` (the log's signing
    key; ``verifier_key`` is then its public verifier key text), ``pseudonym``
    or ``sealing`` (the audit keys; only their key ids are recorded, never the
    key material).

    A checkpoint rotation also carries the old key's verifier key text and the
    rotation ``statement`` the old and new keys signed
    (:mod:`gateway.audit.rotation`); without them (the log's first key) the
    leaf is as it always was, so older leaves keep their bytes.
    """
    if key_role not in ("checkpoint", "pseudonym", "sealing"):
        raise ValueError(f"unknown key role {key_role!r}")
    record: dict[str, JsonValue] = {
        "v": RECORD_VERSION,
        "kind": "key_rotation",
        "key_role": key_role,
        "rotated_at": _ts(at),
        "old_key_id": old_key_id,
        "new_key_id": new_key_id,
        "verifier_key": verifier_key,
    }
    if old_verifier_key is not None:
        record["old_verifier_key"] = old_verifier_key
    if statement is not None:
        record["statement"] = statement
    return canonical_json(record)


def court_order_record(
    *,
    keys: AuditKeys,
    order_id: str,
    version: int,
    supersedes: str | None,
    recorded_at: datetime,
    recorded_by: str,
    recorded_by_role: str,
    match_key: str,
    scope: dict[str, JsonValue],
    covered_tins: Sequence[str],
    full_record: dict[str, Any],
) -> bytes:
    """The canonical bytes of a ``court_order`` leaf: staff recorded a verified order (version).

    What the order permits is in clear (``scope``: order and court type, issuing
    court, authorizer, dates, covered periods and data, warrant), so an auditor
    without the sealing key can still see which orders existed and who recorded
    them. The covered TINs are the same keyed pseudonyms decision leaves give
    their subjects (``taxpayer``, ``tin:<TIN>``), so a disclosure can be matched
    to the order that covered it; the docket number (ex parte dockets are often
    sealed) is an HMAC of the registry's matching key. Everything else — judge,
    named recipients, the verification source and note, the TINs themselves —
    is in ``sealed_order``, bound to the order's id.
    """
    record: dict[str, JsonValue] = {
        "v": RECORD_VERSION,
        "kind": "court_order",
        "order_id": order_id,
        "version": version,
        "supersedes": supersedes,
        "recorded_at": _ts(recorded_at),
        "recorded_by": {"subject": recorded_by, "role": recorded_by_role},
        "docket_hmac": keys.pseudonym("docket", match_key),
        "scope": scope,
        "covered_tins": tuple(sorted(keys.pseudonym("taxpayer", f"tin:{t}") for t in covered_tins)),
        "pseudonym_key_id": keys.pseudonym_key_id,
        "sealed_order": keys.seal(
            json.dumps(full_record, sort_keys=True).encode(),
            associated_data=f"court_order:{order_id}".encode(),
        ),
    }
    return canonical_json(record)
