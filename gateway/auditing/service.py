"""The auditors' service: search, one decision with its proof, a taxpayer's accounting, reports.

Every method reads the projection (:mod:`gateway.auditing.projection`), never
scans the log, and first appends an ``audit_access`` leaf naming who looked,
through which channel, at what and with which filters — a taxpayer only as the
pseudonym of the TIN — so that looking is as accountable as disclosing. The
leaf is durable before anything is answered: if it cannot be written the call
fails (503) and nothing is shown.

The taxpayer accounting (§6103(p)(3)(A)) finds the taxpayer by recomputing the
keyed pseudonym of the TIN with the audit key, then opens each decision's
sealed policy input on the server for what the log keeps only sealed (the
recipients, the requested fields, the official's name and title); only the
request-level parts are returned, never another subject of a bulk request.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from gateway.audit.canonical import JsonValue, canonical_json
from gateway.audit.checkpoint import open_note
from gateway.audit.checkpoints import Checkpointer
from gateway.audit.errors import AuditVerificationError
from gateway.audit.log import DecisionLog
from gateway.audit.merkle import leaf_hash, verify_inclusion
from gateway.audit.sealing import AuditKeys
from gateway.auditing import queries
from gateway.auditing.views import (
    Accounting,
    AccountingEntry,
    Dashboard,
    DecisionDetail,
    InclusionEvidence,
    ProjectionRow,
    Recipient,
    ReviewView,
    RuleCitation,
    SearchFilters,
    SearchPage,
    SummaryReport,
    Viewer,
)
from gateway.clock import Clock
from gateway.domain import normalize_tin
from gateway.errors import DatastoreUnavailableError, InvalidRequestError, NotFoundError
from gateway.pdp.catalog import CatalogUnavailableError, RuleCatalog

__all__ = [
    "ACCESS_KIND",
    "MAX_PAGE",
    "AuditService",
    "access_record",
    "taxpayer_pseudonym",
    "taxpayer_pseudonyms",
]

ACCESS_KIND = "audit_access"
MAX_PAGE = 500
"""Most rows one search page returns; exports page through everything."""
MAX_REPORT_DAYS = 3660
RECORD_VERSION = 1
_TIN = re.compile(r"[0-9]{3}-[0-9]{2}-[0-9]{4}")


def taxpayer_pseudonym(keys: AuditKeys, tin: str) -> str:
    """The pseudonym decision leaves give a taxpayer identified by ``tin`` (any spelling)."""
    return keys.pseudonym("taxpayer", _tin_key(tin))


def taxpayer_pseudonyms(keys: AuditKeys, tin: str) -> list[str]:
    """The taxpayer's pseudonym under every pseudonym key, in force first: leaves from
    before a pseudonym key rotation name the taxpayer under the key of their day."""
    return list(keys.pseudonyms("taxpayer", _tin_key(tin)).values())


def _tin_key(tin: str) -> str:
    normalized = normalize_tin(tin)
    if normalized is None or not _TIN.fullmatch(normalized):
        raise InvalidRequestError(
            "tin must be nine digits, optionally written 123-45-6789",
            extra={"errors": [{"loc": ["query", "tin"], "msg": "not a TIN"}]},
        )
    return f"tin:{normalized}"


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _filters_json(f: SearchFilters) -> dict[str, JsonValue]:
    return {k: (_iso(v) if isinstance(v, datetime) else v) for k, v in asdict(f).items()}


def access_record(
    *,
    viewer: Viewer,
    at: datetime,
    action: str,
    keys: AuditKeys,
    filters: dict[str, JsonValue] | None = None,
    decision_id: str | None = None,
    taxpayer: str | None = None,
) -> bytes:
    """The canonical bytes of an ``audit_access`` leaf: an auditor looked at the log's contents."""
    record: dict[str, JsonValue] = {
        "v": RECORD_VERSION,
        "kind": ACCESS_KIND,
        "at": at.isoformat(),
        "viewer": {"subject": viewer.subject, "role": viewer.role},
        "channel": viewer.channel,
        "action": action,
        "filters": filters or {},
        "decision_id": decision_id,
        "taxpayer": taxpayer,
        "pseudonym_key_id": keys.pseudonym_key_id,
    }
    return canonical_json(record)


def _filter_digest(f: SearchFilters) -> str:
    return hashlib.sha256(canonical_json(_filters_json(f))).hexdigest()[:16]


def encode_cursor(row: ProjectionRow, f: SearchFilters) -> str:
    raw = json.dumps({"i": row.log_index, "p": row.position, "f": _filter_digest(f)})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, f: SearchFilters) -> tuple[int, int]:
    """The keyset position a cursor names; a problem (422) if it is not one of ours for ``f``."""

    def bad(why: str) -> InvalidRequestError:
        return InvalidRequestError(
            f"cursor {why}", extra={"errors": [{"loc": ["query", "cursor"], "msg": why}]}
        )

    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        index, position, digest = data["i"], data["p"], data["f"]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError) as exc:
        raise bad("is not a cursor this gateway issued") from exc
    if not (isinstance(index, int) and isinstance(position, int) and isinstance(digest, str)):
        raise bad("is not a cursor this gateway issued")
    if index < 0 or position < 0:
        raise bad("is not a cursor this gateway issued")
    if digest != _filter_digest(f):
        raise bad("belongs to a search with other filters")
    return index, position


def _check_range(since: datetime, until: datetime) -> None:
    if since.tzinfo is None or until.tzinfo is None:
        raise InvalidRequestError("since and until need a time zone (e.g. 2026-01-01T00:00:00Z)")
    if until <= since:
        raise InvalidRequestError("until must be later than since")
    if until - since > timedelta(days=MAX_REPORT_DAYS):
        raise InvalidRequestError(f"a report covers at most {MAX_REPORT_DAYS} days")


class AuditService:
    """Read-only access to the decision log for auditors, itself recorded in the log."""

    def __init__(
        self,
        *,
        engine: Engine,
        decision_log: DecisionLog,
        checkpointer: Checkpointer,
        audit_keys: AuditKeys,
        clock: Clock,
        catalog: RuleCatalog,
    ) -> None:
        self._engine = engine
        self._log = decision_log
        self._checkpointer = checkpointer
        self._keys = audit_keys
        self._clock = clock
        self._catalog = catalog

    # -- recording ---------------------------------------------------------------------------

    def _record(
        self,
        viewer: Viewer,
        action: str,
        *,
        filters: dict[str, JsonValue] | None = None,
        decision_id: str | None = None,
        taxpayer: str | None = None,
    ) -> int:
        now = self._clock.now()
        body = access_record(
            viewer=viewer,
            at=now,
            action=action,
            keys=self._keys,
            filters=filters,
            decision_id=decision_id,
            taxpayer=taxpayer,
        )
        return self._log.append(ACCESS_KIND, body, at=now)

    def _read(self, action: str, fn: Any) -> Any:
        try:
            with self._engine.connect() as conn:
                return fn(conn)
        except SQLAlchemyError as exc:
            raise DatastoreUnavailableError(f"could not {action}") from exc

    # -- search ------------------------------------------------------------------------------

    def search(
        self, viewer: Viewer, filters: SearchFilters, cursor: str | None, limit: int
    ) -> SearchPage:
        """One page of (decision, subject) rows, newest first."""
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidRequestError(f"limit must be between 1 and {MAX_PAGE}")
        after = decode_cursor(cursor, filters) if cursor else None
        self._record(viewer, "search", filters={**_filters_json(filters), "cursor": cursor})
        return self._page(filters, after, limit)

    def _page(
        self, filters: SearchFilters, after: tuple[int, int] | None, limit: int
    ) -> SearchPage:
        rows: list[ProjectionRow] = self._read(
            "search the audit projection",
            lambda c: queries.search(c, filters, after, limit + 1),
        )
        more = len(rows) > limit
        rows = rows[:limit]
        return SearchPage(
            rows=rows, next_cursor=encode_cursor(rows[-1], filters) if more and rows else None
        )

    def export(self, viewer: Viewer, filters: SearchFilters, fmt: str) -> Iterator[ProjectionRow]:
        """Every matching row, page by page (for CSV / JSON Lines streams); one access leaf.

        The leaf is appended here, before an iterator is returned: a stream starts only
        once the look is on record, so its headers are never sent for an unrecorded look.
        """
        self._record(viewer, "export", filters={**_filters_json(filters), "format": fmt})
        return self._all_rows(filters)

    def _all_rows(self, filters: SearchFilters) -> Iterator[ProjectionRow]:
        after: tuple[int, int] | None = None
        while True:
            page = self._page(filters, after, MAX_PAGE)
            yield from page.rows
            if page.next_cursor is None:
                return
            last = page.rows[-1]
            after = (last.log_index, last.position)

    def count(self, filters: SearchFilters) -> int:
        """How many rows a search matches (for progress bars; not recorded: shows nothing)."""
        from sqlalchemy import func, select

        from gateway.auditing.tables import PROJECTION

        def run(conn: Any) -> int:
            query = select(func.count()).select_from(PROJECTION)
            query = query.where(*queries._conditions(filters))
            return int(conn.execute(query).scalar_one())

        result: int = self._read("count the audit projection", run)
        return result

    # -- one decision ------------------------------------------------------------------------

    def decision(self, viewer: Viewer, decision_id: str) -> DecisionDetail:
        """The decision, its reviews, its rules with citations, and its verified inclusion proof."""
        self._record(viewer, "decision", decision_id=decision_id)
        rows: list[ProjectionRow] = self._read(
            "read the audit projection", lambda c: queries.decision_rows(c, decision_id)
        )
        if not rows:
            raise NotFoundError("no decision with this id in the log")
        first = rows[0]
        bodies: dict[int, bytes] = self._read(
            "read the decision log", lambda c: queries.leaf_bodies(c, [first.log_index])
        )
        leaf = bodies[first.log_index]
        record = json.loads(leaf)
        reviews = [
            ReviewView(
                position=row.position,
                action=row.review_action,
                officer=row.review_officer,
                at=row.reviewed_at,
                log_index=row.review_log_index,
                final_outcome=row.final_outcome,
                tax_year=row.tax_year,
            )
            for row in rows
            if row.review_action is not None
        ]
        rule_ids = list(dict.fromkeys(rule for row in rows for rule in row.rules))
        citations, revision = self._citations(first.policy_revision, rule_ids)
        return DecisionDetail(
            decision_id=decision_id,
            rows=rows,
            reviews=reviews,
            rules=citations,
            citations_revision=revision,
            obligations=tuple(str(o) for o in record.get("obligations", ())),
            penalties=tuple(str(p) for p in record.get("penalties", ())),
            proof=self._prove(first.log_index, leaf),
        )

    def _citations(
        self, revision: str | None, rule_ids: list[str]
    ) -> tuple[list[RuleCitation], str | None]:
        try:
            catalog = self._catalog.for_revision(revision)
        except CatalogUnavailableError:
            return [RuleCitation(r, None, None, None, None) for r in rule_ids], None
        out = []
        for rule in rule_ids:
            meta = catalog.rules.get(rule)
            out.append(
                RuleCitation(rule, None, None, None, None)
                if meta is None
                else RuleCitation(rule, meta.title, meta.citation, meta.message, meta.outcome)
            )
        return out, catalog.revision

    def _prove(self, index: int, leaf: bytes) -> InclusionEvidence:
        """Prove the leaf against the newest signed checkpoint (one is signed if none covers it)."""
        latest = self._checkpointer.latest()
        if latest is None or latest.size <= index:
            latest = self._checkpointer.publish(self._clock.now())
        verifier = self._checkpointer.signer.verifier
        hashed = leaf_hash(leaf)
        proof = self._log.inclusion_proof(index, latest.size)
        problem: str | None = None
        try:
            checkpoint = open_note(latest.note, [verifier])
            verify_inclusion(
                leaf_hash=hashed,
                index=index,
                size=checkpoint.size,
                proof=proof,
                root=checkpoint.root,
            )
        except AuditVerificationError as exc:
            problem = str(exc)
        return InclusionEvidence(
            leaf_index=index,
            leaf=leaf,
            leaf_hash=hashed,
            tree_size=latest.size,
            root=latest.root,
            proof=proof,
            checkpoint_note=latest.note,
            verifier_key=verifier.verifier_key_text(),
            verified=problem is None,
            problem=problem,
        )

    # -- accounting --------------------------------------------------------------------------

    def accounting(self, viewer: Viewer, tin: str) -> Accounting:
        """Every disclosure and every pending or denied request about the taxpayer ``tin``."""
        pseudonyms = taxpayer_pseudonyms(self._keys, tin)
        pseudonym = pseudonyms[0]
        self._record(viewer, "accounting", taxpayer=pseudonym)
        rows: list[ProjectionRow] = self._read(
            "read the audit projection", lambda c: queries.taxpayer_rows(c, pseudonyms)
        )
        bodies: dict[int, bytes] = self._read(
            "read the decision log",
            lambda c: queries.leaf_bodies(c, [row.log_index for row in rows]),
        )
        return Accounting(
            taxpayer=pseudonym,
            entries=[self._entry(row, bodies.get(row.log_index)) for row in rows],
        )

    def _unseal(self, decision_id: str, body: bytes | None) -> dict[str, Any] | None:
        if body is None:
            return None
        sealed = json.loads(body).get("sealed_input")
        if not isinstance(sealed, dict):
            return None
        try:
            opened: dict[str, Any] = json.loads(
                self._keys.unseal(sealed, associated_data=decision_id.encode())
            )
        except (ValueError, KeyError):  # another key (rotated), or damaged
            return None
        return opened

    def _entry(self, row: ProjectionRow, body: bytes | None) -> AccountingEntry:
        opened = self._unseal(row.decision_id, body)
        requester = (opened or {}).get("requester", {})
        signer = requester.get("signer", {})
        return AccountingEntry(
            decision_id=row.decision_id,
            position=row.position,
            log_index=row.log_index,
            decided_at=row.decided_at,
            agency=row.agency,
            official=row.official,
            official_name=signer.get("name"),
            official_title=signer.get("title"),
            recipients=[
                Recipient(
                    name=str(r.get("name", "")),
                    title=str(r.get("title", "")),
                    employer_agency=str(r.get("employer_agency", "")),
                )
                for r in requester.get("recipients", [])
            ],
            legal_basis=row.legal_basis,
            purpose=row.purpose,
            requested_fields=[str(f) for f in (opened or {}).get("requested_fields", [])],
            released=row.released,
            tax_year=row.tax_year,
            outcome=row.final_outcome,
            outcome_as_decided=row.subject_outcome,
            reviewed_at=row.reviewed_at,
            rules=row.rules,
            sealed_details=opened is not None,
        )

    # -- reports -----------------------------------------------------------------------------

    def summary(self, viewer: Viewer, since: datetime, until: datetime) -> SummaryReport:
        """Counts by agency, basis, purpose, final outcome and rule (§6103(p)(3)(C))."""
        _check_range(since, until)
        self._record(
            viewer, "summary", filters={"since": since.isoformat(), "until": until.isoformat()}
        )

        def run(conn: Any) -> SummaryReport:
            return SummaryReport(
                since=since,
                until=until,
                total=queries.total(conn, since, until),
                by_agency=queries.grouped(conn, "agency", since, until),
                by_legal_basis=queries.grouped(conn, "legal_basis", since, until),
                by_purpose=queries.grouped(conn, "purpose", since, until),
                by_outcome=queries.grouped(conn, "decision_final_outcome", since, until),
                by_rule=queries.grouped(conn, "rule", since, until),
            )

        report: SummaryReport = self._read("report on the audit projection", run)
        return report

    def dashboard(self, viewer: Viewer, since: datetime, until: datetime) -> Dashboard:
        """Decisions per day by outcome, top rules, denials by agency, the review backlog."""
        _check_range(since, until)
        self._record(
            viewer, "dashboard", filters={"since": since.isoformat(), "until": until.isoformat()}
        )
        now = self._clock.now()

        def run(conn: Any) -> Dashboard:
            return Dashboard(
                since=since,
                until=until,
                per_day=queries.per_day(conn, since, until),
                top_rules=queries.grouped(conn, "rule", since, until, limit=10),
                denials_by_agency=queries.grouped(
                    conn, "agency", since, until, only_outcome="denied"
                ),
                backlog=queries.backlog(conn, now),
            )

        board: Dashboard = self._read("report on the audit projection", run)
        return board
