"""Load taxpayers from a JSON Lines file (API.md, "Taxpayer datastore import"): all or nothing.

Guarantees:

* Every non-blank line must be one :class:`~gateway.store.records.TaxpayerRecord`
  (strict: unknown keys, wrong types, malformed TINs, dates, states and ZIP
  codes are refused); blank lines are skipped but still counted.
* A TIN may appear once in the file and must not already be in the store.
* The first bad line stops the import with :class:`ImportFileError` carrying
  its 1-based line number and the reason, and nothing from the file is kept:
  the whole file is written in one transaction.
* Reasons name the field and the rule, never the value: an import file is
  full of TINs, names and addresses, and error messages end up in logs.
* Lines are bounded (:data:`MAX_LINE_BYTES`), so a malformed file cannot
  make the importer read it whole into memory.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from gateway.store.bulk import (
    NextIds,
    Row,
    advance_sequences,
    dates_as_text,
    insert_rows,
    lock_taxpayer_tables,
    next_ids,
    refresh_statistics,
    refresh_taxpayer_names,
)
from gateway.store.db import datastore_errors, write_transaction
from gateway.store.errors import ImportFileError
from gateway.store.models import TAXPAYER
from gateway.store.names import name_key
from gateway.store.records import TaxpayerRecord, record_rows

MAX_LINE_BYTES = 64 * 1024
"""Longest accepted line; a real record is well under 4 KiB."""

BATCH_SIZE = 1_000
"""Records checked against the store and inserted together."""

_MAX_REASONS = 3
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,40}$")
_JSON_POSITION = re.compile(r" at line 1 column (\d+)$")


def import_jsonl(
    engine: Engine, path: Path, *, on_progress: Callable[[int], None] | None = None
) -> int:
    """Import every taxpayer in ``path`` in one transaction; returns how many were imported.

    ``on_progress`` is called with the number imported so far after each
    batch. Raises :class:`ImportFileError` (nothing imported) for the first
    bad line and :class:`~gateway.errors.DatastoreUnavailableError` when the
    database fails.
    """
    imported = 0
    with (
        path.open("rb") as handle,
        datastore_errors("import taxpayers"),
        write_transaction(engine) as conn,
    ):
        lock_taxpayer_tables(conn)
        text_dates = dates_as_text(conn)
        ids = next_ids(conn)
        first_seen: dict[str, int] = {}
        surnames: set[str] = set()
        batch: list[tuple[int, TaxpayerRecord]] = []
        for number, raw in _lines(handle):
            if not raw.strip():
                continue
            record = _parse(number, raw)
            if record.tin in first_seen:
                raise ImportFileError(
                    number, f"tin duplicates the one on line {first_seen[record.tin]}"
                )
            first_seen[record.tin] = number
            surnames.add(name_key(record.name.last))
            batch.append((number, record))
            if len(batch) >= BATCH_SIZE:
                imported += _write(conn, batch, ids, text_dates=text_dates)
                batch.clear()
                if on_progress is not None:
                    on_progress(imported)
        if batch:
            imported += _write(conn, batch, ids, text_dates=text_dates)
            if on_progress is not None:
                on_progress(imported)
        refresh_taxpayer_names(conn, surnames)  # name-only search reads these (v0011)
        advance_sequences(conn)
        refresh_statistics(conn)
    return imported


def _lines(handle: BinaryIO) -> Iterator[tuple[int, bytes]]:
    number = 0
    while True:
        raw = handle.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES:
            raise ImportFileError(number, f"line is longer than {MAX_LINE_BYTES} bytes")
        yield number, raw


def _parse(number: int, raw: bytes) -> TaxpayerRecord:
    try:
        return TaxpayerRecord.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        reasons = [_describe(error) for error in errors[:_MAX_REASONS]]
        if len(errors) > _MAX_REASONS:
            reasons.append(f"and {len(errors) - _MAX_REASONS} more")
        raise ImportFileError(number, "; ".join(reasons)) from None


def _describe(error: ErrorDetails) -> str:
    """One validation error as "where: what", holding no value from the file."""
    if error["type"] == "json_invalid":
        detail = error["msg"].removeprefix("Invalid JSON: ")
        return "invalid JSON: " + _JSON_POSITION.sub(r" at column \1", detail)
    where = _location(error["loc"])
    if error["type"] == "extra_forbidden":
        return f"{where}: unknown key"
    message = error["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _location(loc: tuple[int | str, ...]) -> str:
    where = ""
    for part in loc:
        if isinstance(part, int):
            where += f"[{part}]"
        else:
            # An unexpected key is shown only if it looks like a key, not like data.
            shown = part if _PLAIN_KEY.match(part) else "<key>"
            where += f".{shown}" if where else shown
    return where


def _write(
    conn: Connection,
    batch: list[tuple[int, TaxpayerRecord]],
    ids: NextIds,
    *,
    text_dates: bool,
) -> int:
    """Refuse TINs already stored, then insert the batch; returns its size."""
    tins = [record.tin for _, record in batch]
    stored = set(conn.execute(select(TAXPAYER.c.tin).where(TAXPAYER.c.tin.in_(tins))).scalars())
    for number, record in batch:
        if record.tin in stored:
            raise ImportFileError(number, "tin is already in the store")
    taxpayers: list[Row] = []
    addresses: list[Row] = []
    returns: list[Row] = []
    for _, record in batch:
        row, record_addresses, record_returns = record_rows(
            record, ids.taxpayer, ids.address, ids.tax_return, dates_as_text=text_dates
        )
        taxpayers.append(row)
        addresses.extend(record_addresses)
        returns.extend(record_returns)
        ids.taxpayer += 1
        ids.address += len(record_addresses)
        ids.tax_return += len(record_returns)
    insert_rows(conn, taxpayers, addresses, returns)
    return len(batch)
