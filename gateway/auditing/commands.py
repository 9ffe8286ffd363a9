"""``gateway audit accounting | report | decisions | rebuild-projection``: the workbench.

These read the database named by ``GATEWAY_DATABASE_URL`` directly, with the
audit keys under ``GATEWAY_HOME/keys`` (no running gateway needed), and each
look is an ``audit_access`` leaf like an API call, its viewer the operating
system user and its channel ``cli``. Tables go to stdout; ``--format json``
and ``csv`` are for scripts. An export of many rows (``decisions``) and a
rebuild show a progress bar on stderr.

They are registered on ``gateway audit`` by :func:`register`.
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from gateway.auditing import formats
from gateway.auditing.service import AuditService
from gateway.auditing.views import SearchFilters, SubjectOutcome, Viewer
from gateway.settings import Settings

_out = Console()
_err = Console(stderr=True)
_PROGRESS_THRESHOLD = 5_000
"""Exports of at least this many rows get a progress bar."""


class TableFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class ExportFormat(StrEnum):
    table = "table"
    jsonl = "jsonl"
    csv = "csv"


@contextmanager
def _service(settings: Settings) -> Iterator[AuditService]:
    """The audit service on the configured database, disposed of after the command."""
    from gateway.audit.checkpoints import Checkpointer
    from gateway.audit.log import DecisionLog
    from gateway.audit.logkey import log_signer_from_file
    from gateway.audit.provisioning import audit_keys
    from gateway.auditing.projection import project_leaves
    from gateway.clock import SystemClock
    from gateway.db import make_engine, migrate
    from gateway.pdp.catalog import RuleCatalog

    try:
        signer = log_signer_from_file(settings.checkpoint_key_path, settings.log_origin)
    except FileNotFoundError as exc:
        _err.print("no checkpoint key: run `gateway keys init` (or start the gateway) first")
        raise typer.Exit(2) from exc
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    log = DecisionLog(engine)
    log.add_leaf_writer(project_leaves)
    try:
        yield AuditService(
            engine=engine,
            decision_log=log,
            checkpointer=Checkpointer(log, signer),
            audit_keys=audit_keys(settings),
            clock=SystemClock(),
            catalog=RuleCatalog(
                opa_binary=settings.opa_binary,
                snapshots_dir=settings.home / "policy-snapshots",
                policy_dir=settings.policy_dir,
            ),
        )
    finally:
        engine.dispose()


def _viewer() -> Viewer:
    return Viewer(subject=f"os:{getpass.getuser()}", role="auditor", channel="cli")


def _time(text: str, name: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{name} must be an ISO 8601 date or time") from exc
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _write(lines: Iterable[str], stream: TextIO) -> None:
    for line in lines:
        stream.write(line)


def _table(title: str, columns: list[str], rows: Iterable[dict[str, Any]]) -> Table:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(formats.csv_cell(row.get(c)) for c in columns))
    return table


FormatOption = Annotated[TableFormat, typer.Option("--format", help="table, json or csv.")]


def accounting_command(
    tin: Annotated[str, typer.Option("--tin", help="The taxpayer's TIN (any spelling).")],
    fmt: FormatOption = TableFormat.table,
) -> None:
    """§6103(p)(3)(A) accounting: every disclosure and pending or denied request about a TIN."""
    with _service(Settings()) as service:
        accounting = service.accounting(_viewer(), tin)
    flat = [formats.accounting_flat(e) for e in accounting.entries]
    if fmt is TableFormat.json:
        payload = {"taxpayer": accounting.taxpayer, "entries": flat}
        _out.file.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    elif fmt is TableFormat.csv:
        _write(formats.csv_lines(formats.ACCOUNTING_COLUMNS, flat), sys.stdout)
    else:
        columns = [
            "decided_at",
            "outcome",
            "agency",
            "official",
            "recipients",
            "legal_basis",
            "purpose",
            "requested_fields",
            "released",
            "tax_year",
        ]
        _out.print(
            _table(
                f"Accounting for taxpayer {accounting.taxpayer[:16]}… "
                f"({len(accounting.disclosures)} disclosures, {len(flat)} requests)",
                columns,
                flat,
            )
        )


def report_command(
    since: Annotated[str, typer.Option("--since", help="Start (ISO 8601; UTC if no zone).")],
    until: Annotated[
        str | None, typer.Option("--until", help="End, exclusive (default: now).")
    ] = None,
    fmt: FormatOption = TableFormat.table,
) -> None:
    """§6103(p)(3)(C) summary: requests by agency, legal basis, purpose, outcome and rule."""
    start = _time(since, "--since")
    end = _time(until, "--until") if until else datetime.now(UTC) + timedelta(seconds=1)
    with _service(Settings()) as service:
        report = service.summary(_viewer(), start, end)
    if fmt is TableFormat.json:
        _out.file.write(json.dumps(formats.summary_flat(report), indent=2) + "\n")
        return
    counts = list(formats.summary_counts(report))
    if fmt is TableFormat.csv:
        _write(formats.csv_lines(formats.COUNT_COLUMNS, counts), sys.stdout)
        return
    _out.print(
        _table(
            f"Decisions from {start.isoformat()} to {end.isoformat()}",
            list(formats.COUNT_COLUMNS),
            counts,
        )
    )


def _progress_rows(rows: Iterator[Any], total: int) -> Iterator[Any]:
    if total < _PROGRESS_THRESHOLD:
        yield from rows
        return
    with Progress(
        TextColumn("exporting"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_err,
    ) as bar:
        task = bar.add_task("export", total=total)
        for row in rows:
            yield row
            bar.advance(task)


def decisions_command(
    agency: Annotated[str | None, typer.Option(help="Requesting agency id.")] = None,
    official: Annotated[str | None, typer.Option(help="Signing official id.")] = None,
    outcome: Annotated[
        str | None, typer.Option(help="Final outcome: disclosed, pending_review, denied.")
    ] = None,
    rule: Annotated[str | None, typer.Option(help="A rule that fired, e.g. INJ-1.")] = None,
    legal_basis: Annotated[str | None, typer.Option(help="As logged, e.g. 6103_i_2.")] = None,
    purpose: Annotated[str | None, typer.Option(help="As logged, e.g. NONTAX_CRIMINAL.")] = None,
    since: Annotated[str | None, typer.Option(help="From (ISO 8601).")] = None,
    until: Annotated[str | None, typer.Option(help="Until, exclusive (ISO 8601).")] = None,
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="table, jsonl or csv.")
    ] = ExportFormat.table,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Search (decision, subject) rows, newest first, and export every match."""
    if outcome is not None and outcome not in ("disclosed", "pending_review", "denied"):
        raise typer.BadParameter("--outcome must be disclosed, pending_review or denied")
    final: SubjectOutcome | None = outcome  # type: ignore[assignment]
    filters = SearchFilters(
        agency=agency,
        official=official,
        outcome=final,
        rule=rule,
        legal_basis=legal_basis,
        purpose=purpose,
        since=_time(since, "--since") if since else None,
        until=_time(until, "--until") if until else None,
    )
    with _service(Settings()) as service:
        total = service.count(filters)
        _export(service, filters, fmt, output, total)


def _export(
    service: AuditService,
    filters: SearchFilters,
    fmt: ExportFormat,
    output: Path | None,
    total: int,
) -> None:
    rows = _progress_rows(service.export(_viewer(), filters, fmt.value), total)
    flat = (formats.row_flat(r) for r in rows)
    if fmt is ExportFormat.table:
        columns = [
            "decided_at",
            "agency",
            "legal_basis",
            "purpose",
            "final_outcome",
            "request_rules",
            "subject_rules",
            "decision_id",
        ]
        _out.print(_table(f"{total} rows", columns, flat))
        return
    lines = (
        formats.csv_lines(formats.ROW_COLUMNS, flat)
        if fmt is ExportFormat.csv
        else formats.jsonl_lines(flat)
    )
    if output is None:
        _write(lines, sys.stdout)
        return
    with output.open("w", encoding="utf-8", newline="") as stream:
        _write(lines, stream)
    _err.print(f"{total} rows written to {output}")


def rebuild_command() -> None:
    """Rebuild the audit projection from the decision log (it is derived; the log is the truth)."""
    from gateway.audit.log import DecisionLog
    from gateway.auditing.projection import rebuild
    from gateway.db import make_engine, migrate

    settings = Settings()
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    total = DecisionLog(engine).size()
    try:
        with Progress(
            TextColumn("projecting"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=_err,
        ) as bar:
            task = bar.add_task("rebuild", total=total)
            done = rebuild(engine, progress=lambda n: bar.advance(task, n))
    finally:
        engine.dispose()
    _out.print(f"projection rebuilt from {done} leaves")


def register(app: typer.Typer) -> None:
    """Add these commands to ``gateway audit``."""
    app.command("accounting")(accounting_command)
    app.command("report")(report_command)
    app.command("decisions")(decisions_command)
    app.command("rebuild-projection")(rebuild_command)
