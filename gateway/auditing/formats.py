"""One flat shape per view, for JSON, JSON Lines and CSV alike (API exports and the CLI).

Lists become ``;``-joined text in CSV and stay lists in JSON; times are RFC 3339
in UTC. A cell that a spreadsheet would run as a formula (leading ``=``, ``+``,
``-``, ``@``, tab or CR) is prefixed with ``'`` in CSV (OWASP "CSV injection"):
agency ids, officers and recipients' names come from requesters.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from gateway.auditing.views import AccountingEntry, Count, ProjectionRow, SummaryReport

Flat = dict[str, Any]

ROW_COLUMNS = (
    "decision_id",
    "position",
    "log_index",
    "kind",
    "decided_at",
    "agency",
    "official",
    "legal_basis",
    "purpose",
    "policy_revision",
    "decision_outcome",
    "decision_final_outcome",
    "taxpayer",
    "subject_outcome",
    "final_outcome",
    "request_rules",
    "subject_rules",
    "released",
    "tax_year",
    "review_action",
    "reviewed_at",
    "review_officer",
    "review_log_index",
)

ACCOUNTING_COLUMNS = (
    "decided_at",
    "outcome",
    "outcome_as_decided",
    "agency",
    "official",
    "official_name",
    "official_title",
    "recipients",
    "legal_basis",
    "purpose",
    "requested_fields",
    "released",
    "tax_year",
    "reviewed_at",
    "rules",
    "decision_id",
    "log_index",
    "sealed_details",
)

COUNT_COLUMNS = ("group", "key", "decisions", "subjects", "disclosed", "pending_review", "denied")


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def row_flat(row: ProjectionRow) -> Flat:
    return {
        "decision_id": row.decision_id,
        "position": row.position,
        "log_index": row.log_index,
        "kind": row.kind,
        "decided_at": _time(row.decided_at),
        "agency": row.agency,
        "official": row.official,
        "legal_basis": row.legal_basis,
        "purpose": row.purpose,
        "policy_revision": row.policy_revision,
        "decision_outcome": row.decision_outcome,
        "decision_final_outcome": row.decision_final_outcome,
        "taxpayer": row.taxpayer,
        "subject_outcome": row.subject_outcome,
        "final_outcome": row.final_outcome,
        "request_rules": list(row.request_rules),
        "subject_rules": list(row.subject_rules),
        "released": list(row.released),
        "tax_year": row.tax_year,
        "review_action": row.review_action,
        "reviewed_at": _time(row.reviewed_at),
        "review_officer": row.review_officer,
        "review_log_index": row.review_log_index,
    }


def accounting_flat(entry: AccountingEntry) -> Flat:
    return {
        "decided_at": _time(entry.decided_at),
        "outcome": entry.outcome,
        "outcome_as_decided": entry.outcome_as_decided,
        "agency": entry.agency,
        "official": entry.official,
        "official_name": entry.official_name,
        "official_title": entry.official_title,
        "recipients": [
            {"name": r.name, "title": r.title, "employer_agency": r.employer_agency}
            for r in entry.recipients
        ],
        "legal_basis": entry.legal_basis,
        "purpose": entry.purpose,
        "requested_fields": list(entry.requested_fields),
        "released": list(entry.released),
        "tax_year": entry.tax_year,
        "reviewed_at": _time(entry.reviewed_at),
        "rules": list(entry.rules),
        "decision_id": entry.decision_id,
        "log_index": entry.log_index,
        "sealed_details": entry.sealed_details,
    }


def count_flat(group: str, count: Count) -> Flat:
    return {
        "group": group,
        "key": count.key,
        "decisions": count.decisions,
        "subjects": count.subjects,
        "disclosed": count.disclosed,
        "pending_review": count.pending_review,
        "denied": count.denied,
    }


def summary_counts(report: SummaryReport) -> Iterator[Flat]:
    """Every count of the report as one table: ``group`` says which breakdown it is."""
    yield count_flat("total", report.total)
    for group, counts in (
        ("agency", report.by_agency),
        ("legal_basis", report.by_legal_basis),
        ("purpose", report.by_purpose),
        ("outcome", report.by_outcome),
        ("rule", report.by_rule),
    ):
        for count in counts:
            yield count_flat(group, count)


def summary_flat(report: SummaryReport) -> Flat:
    def counts(values: list[Count]) -> list[Flat]:
        return [{k: v for k, v in count_flat("", c).items() if k != "group"} for c in values]

    return {
        "since": _time(report.since),
        "until": _time(report.until),
        "total": counts([report.total])[0],
        "by_agency": counts(report.by_agency),
        "by_legal_basis": counts(report.by_legal_basis),
        "by_purpose": counts(report.by_purpose),
        "by_outcome": counts(report.by_outcome),
        "by_rule": counts(report.by_rule),
    }


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        text = ";".join(
            (
                f"{v['name']} ({v['title']}, {v['employer_agency']})"
                if isinstance(v, dict)
                else str(v)
            )
            for v in value
        )
    else:
        text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def csv_lines(columns: Iterable[str], rows: Iterable[Flat]) -> Iterator[str]:
    """CSV text, a header line then one line per row (RFC 4180, CRLF), produced lazily."""
    names = list(columns)
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def take() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(names)
    yield take()
    for row in rows:
        writer.writerow([csv_cell(row.get(name)) for name in names])
        yield take()


def jsonl_lines(rows: Iterable[Flat]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n"
