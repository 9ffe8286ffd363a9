"""The datastore queries the enforcement pipeline needs: subject matching and mailing addresses.

These compute the facts POLICY_MODEL.md §3.2 says the gateway, never the
requester, supplies: ``match.*``, ``record_flags.*``, the tax years with an
address on file and the last known one. Everything returned is a frozen
dataclass, never a table model, and any database failure becomes
:class:`~gateway.errors.DatastoreUnavailableError` (fail closed).

Matching (:func:`resolve_subject`):

* TIN supplied (method ``TIN_NAME``): the candidate is the record with that
  TIN. Found: ``candidates=1``, ``tin_match=True``, ``name_score`` against that
  record, ``dob_match`` when a date of birth was supplied. Not found (or not
  a well-formed TIN): ``candidates=0``, ``tin_match=False``, ``name_score=0``.
  A TIN is never searched by name as a fallback: a wrong TIN is a fact the
  policy must see (6103-I2-10), not something to paper over.
* No TIN: candidates are the records whose normalized last name
  (``name_key``) equals the supplied one and, when a date of birth was
  supplied, with that date of birth. ``name_score`` is the best candidate's;
  ``dob_match`` is ``True`` when a date of birth narrowed the search and
  something was found. Method ``NAME_DOB_ADDRESS`` when a date of birth and a
  usable address (``line1`` with a ZIP code or with city and state) were
  supplied, else ``NAME_ONLY``. The address only names the method; it never
  narrows candidates (a person moves, the record lags). Without a date of
  birth the records are not read at all: ``taxpayer_name`` (v0011) holds, in
  one row per surname, what the facts need of them (how many, their flags,
  their distinct first names with middle initials), so the cost is bounded by
  the distinct first names of a surname, not by its population (issue 11
  item 2).
* No candidate: ``name_score=0``, ``tin_match`` and ``dob_match`` ``None``
  (``tin_match=False`` when a TIN was supplied).
* Only a single candidate is identified (``taxpayer_id``, ``record_tin``,
  address years). With several, the record flags are the OR over all of them,
  so that an ambiguous match can never hide a flagged record.

Name similarity is :func:`gateway.store.names.name_score` (per-part
Jaro-Winkler; the module says why).

Statements (issue 11 item 3): subjects are resolved :data:`CHUNK` at a time,
each search one statement with an IN list for the whole chunk, never one per
subject. A chunk of subjects with a TIN is one statement: the records with
those TINs, each with every address on file and, per address, the number of
other taxpayers at it (the household, by ``ix_address_household``). Subjects without
one add the name search (``taxpayer_name`` for names alone, the records of
the (surname, date of birth) pairs for names with one; a statement for each
kind the chunk holds), then that same records-and-addresses statement by the
ids identified. The address rows carry their lines:
the address a decision releases is taken from them
(:func:`released_address`), not read again.

Constant work (GW-11, issue 8): a denied person on file gets the same answer
as a person who is not on file, so the time to answer must not tell them
apart either. Which statements a chunk runs depends only on what was asked
(which subjects have a TIN, which a date of birth), and each IN list has one
entry per subject of its kind, whatever was found: a subject with no single
candidate (none, or several) puts :data:`NO_TAXPAYER`, an id no row has, into
the records-and-addresses statement, and its name is scored against
:data:`_PLACEHOLDER`; their results are not used. The only difference left is
the handful of rows the statements return. ``bench/oracle.py`` measures it
over HTTP (figures in ``bench/README.md``). Reading a real person as the decoy
would equalise row counts too, but would be an inspection of a record nobody
asked about (§7213A).

Last known address: the address with the newest tax year; within that year
a taxpayer-supplied one beats a third-party information return, then a form
8822 change of address beats the other forms, then the highest id (the most
recently recorded) wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, NamedTuple, TypeVar

from sqlalchemy import (
    ColumnElement,
    UnaryExpression,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
)
from sqlalchemy.engine import Connection, Row
from sqlmodel import Session

from gateway.domain import normalize_tin
from gateway.store.db import datastore_errors
from gateway.store.models import ADDRESS, TAXPAYER, TAXPAYER_NAME
from gateway.store.names import first_name_entries, name_key, name_score, packed_best_score

MatchMethod = Literal["TIN_NAME", "NAME_DOB_ADDRESS", "NAME_ONLY"]

_READ = "read the taxpayer datastore"


@dataclass(frozen=True)
class SubjectQuery:
    """What the requesting agency supplied about one subject."""

    tin: str | None = None
    first: str | None = None
    middle: str | None = None
    last: str | None = None
    date_of_birth: date | None = None
    line1: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None


@dataclass(frozen=True)
class MatchFacts:
    """Match quality as the gateway computed it (POLICY_MODEL.md §3.2 ``match``)."""

    candidates: int
    name_score: float
    tin_match: bool | None
    dob_match: bool | None
    method: MatchMethod


@dataclass(frozen=True)
class MailingAddress:
    """One mailing address on file and the tax year it belongs to."""

    line1: str
    line2: str | None
    city: str
    state: str
    zip: str
    tax_year: int


@dataclass(frozen=True)
class SubjectResolution:
    """Everything the policy may learn about one subject from the datastore."""

    match: MatchFacts
    taxpayer_id: int | None
    """Set only when exactly one candidate matched."""
    record_tin: str | None
    confidential_informant: bool
    tax_investigation_impairment: bool
    address_tax_years: tuple[int, ...]
    """Tax years with a mailing address on file, newest first."""
    last_known_tax_year: int | None
    household_members: int = 0
    """Other taxpayers with an address on file at this record's last known address."""
    addresses: tuple[MailingAddress, ...] = field(default=(), repr=False)
    """The identified record's addresses on file, newest tax year first (tie-break below).

    Read by the same statement as the address years, so that releasing one needs
    no second read (:func:`released_address`). Not a policy fact, never logged:
    the enforcement point puts into an answer only the one its decision releases.
    """


def _has_address(query: SubjectQuery) -> bool:
    def present(value: str | None) -> bool:
        return bool(value and value.strip())

    return present(query.line1) and (
        present(query.zip) or (present(query.city) and present(query.state))
    )


NO_TAXPAYER = -1
"""The taxpayer id the address statement reads when no single record is identified.

Ids count up from 1, so no row has it: the statement probes the same indexes
and finds nothing.
"""

CHUNK = 256
"""Subjects resolved together: each IN list of a chunk's statements has at most this many."""

_PREFERRED_ADDRESS: tuple[UnaryExpression[int] | UnaryExpression[bool], ...] = (
    ADDRESS.c.tax_year.desc(),
    ADDRESS.c.taxpayer_supplied.desc(),
    case((ADDRESS.c.source == "form_8822", 1), else_=0).desc(),
    ADDRESS.c.id.desc(),
)
"""Newest tax year first, then the tie-break of the module docstring."""


@dataclass(frozen=True)
class _Candidate:
    id: int
    tin: str
    first_name: str
    middle_name: str | None
    last_name: str
    date_of_birth: date
    confidential_informant: bool
    tax_investigation_impairment: bool


_CANDIDATE_COLUMNS = (
    TAXPAYER.c.id,
    TAXPAYER.c.tin,
    TAXPAYER.c.first_name,
    TAXPAYER.c.middle_name,
    TAXPAYER.c.last_name,
    TAXPAYER.c.date_of_birth,
    TAXPAYER.c.confidential_informant,
    TAXPAYER.c.tax_investigation_impairment,
)


def _candidate(columns: Sequence[Any]) -> _Candidate:
    """A candidate from the values of :data:`_CANDIDATE_COLUMNS`, in their order."""
    id_, tin, first, middle, last, born, informant, impairment = columns
    return _Candidate(id_, tin, first, middle, last, born, bool(informant), bool(impairment))


_PLACEHOLDER = _Candidate(
    id=NO_TAXPAYER,
    tin="000-00-0000",
    first_name="Placeholder",
    middle_name=None,
    last_name="Placeholder",
    date_of_birth=date(1970, 1, 1),
    confidential_informant=False,
    tax_investigation_impairment=False,
)
"""What a supplied name is scored against when the search found nobody (never a fact)."""


# -- the statements (built once; SQLAlchemy caches their compiled form) ---------------------

_HOUSEHOLD_ADDRESS = ADDRESS.alias("household")
_HOUSEHOLD = (
    select(func.count(func.distinct(_HOUSEHOLD_ADDRESS.c.taxpayer_id)))
    .where(
        _HOUSEHOLD_ADDRESS.c.zip == ADDRESS.c.zip,
        func.upper(_HOUSEHOLD_ADDRESS.c.line1) == func.upper(ADDRESS.c.line1),
        _HOUSEHOLD_ADDRESS.c.taxpayer_id != ADDRESS.c.taxpayer_id,
    )
    .scalar_subquery()
)
"""Other taxpayers with an address on file at this address (ix_address_household)."""


def _on_file_statement(key: ColumnElement[Any]) -> Any:
    """Records whose ``key`` is in ``:keys``, each with every address and its household."""
    return (
        select(
            *_CANDIDATE_COLUMNS,
            ADDRESS.c.tax_year,
            ADDRESS.c.line1,
            ADDRESS.c.line2,
            ADDRESS.c.city,
            ADDRESS.c.state,
            ADDRESS.c.zip,
            _HOUSEHOLD,
        )
        .select_from(TAXPAYER.outerjoin(ADDRESS, ADDRESS.c.taxpayer_id == TAXPAYER.c.id))
        .where(key.in_(bindparam("keys", expanding=True)))
        .order_by(TAXPAYER.c.id, *_PREFERRED_ADDRESS)
    )


_BY_TIN = _on_file_statement(TAXPAYER.c.tin)
_BY_ID = _on_file_statement(TAXPAYER.c.id)


def _by_name_and_birth(pairs: list[tuple[str, date]]) -> Any:
    """Records of each (surname key, date of birth) pair (``ix_taxpayer_name_key_dob``).

    An OR of one equality pair per subject rather than a row-value IN: SQLite
    scans the whole table for ``(a, b) IN (VALUES ...)`` but seeks the index once
    per term of an OR (PostgreSQL does both by index).
    """
    return select(TAXPAYER.c.name_key, *_CANDIDATE_COLUMNS).where(
        or_(
            *(
                and_(TAXPAYER.c.name_key == key, TAXPAYER.c.date_of_birth == born)
                for key, born in pairs
            )
        )
    )


_BY_NAME = select(
    TAXPAYER_NAME.c.name_key,
    TAXPAYER_NAME.c.records,
    TAXPAYER_NAME.c.confidential_informant,
    TAXPAYER_NAME.c.tax_investigation_impairment,
    TAXPAYER_NAME.c.taxpayer_id,
    TAXPAYER_NAME.c.first_names,
).where(TAXPAYER_NAME.c.name_key.in_(bindparam("keys", expanding=True)))

K = TypeVar("K")


def _padded(keys: list[K]) -> list[K]:
    """``keys`` repeated at the end up to the next power of two.

    An IN list's length is part of the statement's text: padding keeps the
    texts of a chunk's statements to a handful (each one prepared and cached
    once), and repeating a key adds nothing to what the statement finds.
    """
    size = 1
    while size < len(keys):
        size *= 2
    return keys + [keys[-1]] * (size - len(keys))


@dataclass(frozen=True)
class _OnFile:
    """One record as the address statement read it."""

    record: _Candidate
    addresses: tuple[MailingAddress, ...]
    """Newest tax year first, tie-break of the module docstring."""
    household_members: int
    """At the first (the last known) address; 0 without one."""


def _on_file(conn: Connection, statement: Any, keys: list[Any]) -> dict[Any, _OnFile]:
    """Run one address statement; the records found, by id and by TIN."""
    found: dict[Any, _OnFile] = {}
    rows: list[Row[Any]] = []

    def flush() -> None:
        first = rows[0]
        record = _candidate(first[:8])
        addresses = tuple(
            MailingAddress(
                line1=r.line1,
                line2=r.line2,
                city=r.city,
                state=r.state,
                zip=r.zip,
                tax_year=r.tax_year,
            )
            for r in rows
            if r.tax_year is not None
        )
        on_file = _OnFile(record, addresses, int(first[-1] or 0) if addresses else 0)
        found[record.id] = found[record.tin] = on_file
        rows.clear()

    for row in conn.execute(statement, {"keys": _padded(keys)}):
        if rows and rows[0].id != row.id:
            flush()
        rows.append(row)
    if rows:
        flush()
    return found


def _resolution(
    single: _OnFile | None,
    match: MatchFacts,
    *,
    confidential_informant: bool,
    tax_investigation_impairment: bool,
) -> SubjectResolution:
    """Only a single candidate is identified; with several, the flags are the OR (the caller's)."""
    if single is None:
        return SubjectResolution(
            match=match,
            taxpayer_id=None,
            record_tin=None,
            confidential_informant=confidential_informant,
            tax_investigation_impairment=tax_investigation_impairment,
            address_tax_years=(),
            last_known_tax_year=None,
        )
    years = tuple(dict.fromkeys(a.tax_year for a in single.addresses))
    return SubjectResolution(
        match=match,
        taxpayer_id=single.record.id,
        record_tin=single.record.tin,
        confidential_informant=single.record.confidential_informant,
        tax_investigation_impairment=single.record.tax_investigation_impairment,
        address_tax_years=years,
        last_known_tax_year=years[0] if years else None,
        household_members=single.household_members,
        addresses=single.addresses,
    )


def resolve_subject(session: Session, query: SubjectQuery) -> SubjectResolution:
    """Match one requested subject against the store (rules in the module docstring)."""
    return resolve_subjects(session, [query])[0]


def resolve_subjects(session: Session, queries: Sequence[SubjectQuery]) -> list[SubjectResolution]:
    """Match every requested subject, :data:`CHUNK` at a time (rules in the module docstring)."""
    with datastore_errors(_READ):
        conn = session.connection()
        resolved: list[SubjectResolution] = []
        for start in range(0, len(queries), CHUNK):
            resolved.extend(_resolve_chunk(conn, queries[start : start + CHUNK]))
        return resolved


def _resolve_chunk(conn: Connection, chunk: Sequence[SubjectQuery]) -> list[SubjectResolution]:
    tins = [normalize_tin(q.tin) for q in chunk]
    by_tin = [i for i, tin in enumerate(tins) if tin is not None]
    by_name = [i for i, tin in enumerate(tins) if tin is None]
    keys = [name_key(q.last or "") for q in chunk]
    resolved: dict[int, SubjectResolution] = {}
    if by_tin:
        records = _on_file(conn, _BY_TIN, [tins[i] for i in by_tin])
        for i in by_tin:
            single = records.get(tins[i])
            resolved[i] = _resolution(
                single,
                _tin_match(chunk[i], single.record if single else None),
                confidential_informant=bool(single and single.record.confidential_informant),
                tax_investigation_impairment=bool(
                    single and single.record.tax_investigation_impairment
                ),
            )
    if by_name:
        found = _name_search(conn, chunk, keys, by_name)
        singles = {i: _only_record(found[i]) for i in by_name}
        # One id per subject, identified or not: the statement is the same whoever matched.
        records = _on_file(
            conn, _BY_ID, [s if s is not None else NO_TAXPAYER for s in singles.values()]
        )
        for i in by_name:
            single_id = singles[i]
            resolved[i] = _resolution(
                records.get(single_id) if single_id is not None else None,
                _name_match(chunk[i], hit := found[i]),
                confidential_informant=bool(hit and hit.confidential_informant),
                tax_investigation_impairment=bool(hit and hit.tax_investigation_impairment),
            )
    return [resolved[i] for i in range(len(chunk))]


def _tin_match(query: SubjectQuery, record: _Candidate | None) -> MatchFacts:
    # Scored against the placeholder when the TIN is not on file: the same work.
    score = _score(query, record or _PLACEHOLDER)
    if record is None:
        return MatchFacts(
            candidates=0, name_score=0.0, tin_match=False, dob_match=None, method="TIN_NAME"
        )
    return MatchFacts(
        candidates=1,
        name_score=score,
        tin_match=True,
        dob_match=(
            None if query.date_of_birth is None else record.date_of_birth == query.date_of_birth
        ),
        method="TIN_NAME",
    )


def _score(query: SubjectQuery, record: _Candidate) -> float:
    return name_score(
        query.first,
        query.middle,
        query.last,
        record.first_name,
        record.middle_name,
        record.last_name,
    )


class _Found(NamedTuple):
    """What a name search found of one surname: a ``taxpayer_name`` row, in its order.

    ``taxpayer_id`` is the smallest, the record's own when ``records`` is 1 (the
    only case in which it is used); the flags are the OR over the records;
    ``first_names`` as :func:`gateway.store.names.first_name_entries` packs them.
    """

    name_key: str
    records: int
    confidential_informant: bool
    tax_investigation_impairment: bool
    taxpayer_id: int
    first_names: str


_PLACEHOLDER_FOUND = _Found(
    name_key=name_key(_PLACEHOLDER.last_name),
    records=0,
    confidential_informant=False,
    tax_investigation_impairment=False,
    taxpayer_id=NO_TAXPAYER,
    first_names=first_name_entries([(_PLACEHOLDER.first_name, _PLACEHOLDER.middle_name)]),
)
"""What a supplied name is scored against when the name search found nobody (never a fact)."""


def _name_search(
    conn: Connection, chunk: Sequence[SubjectQuery], keys: list[str], by_name: list[int]
) -> dict[int, _Found | None]:
    """What the search found for every subject searched by name (``None``: nobody).

    Name only: one statement over ``taxpayer_name``, one row per surname (v0011).
    Name and date of birth: one statement over the records of those (surname,
    date) pairs, summed up here the same way. Only the kinds the chunk holds are
    searched; which they are is the request's, not the store's. A name with no
    letters finds nothing (its key is searched all the same).
    """
    found: dict[int, _Found | None] = {}
    only = [i for i in by_name if chunk[i].date_of_birth is None]
    born = [i for i in by_name if chunk[i].date_of_birth is not None]
    if only:
        surnames = {
            row.name_key: _Found._make(row)
            for row in conn.execute(_BY_NAME, {"keys": _padded([keys[i] for i in only])})
        }
        for i in only:
            found[i] = surnames.get(keys[i]) if keys[i] else None
    if born:
        pairs = [(keys[i], dob) for i in born if (dob := chunk[i].date_of_birth) is not None]
        records: dict[tuple[str, date], list[_Candidate]] = {}
        for key, *columns in conn.execute(_by_name_and_birth(_padded(pairs))):
            record = _candidate(columns)
            records.setdefault((key, record.date_of_birth), []).append(record)
        for i, pair in zip(born, pairs, strict=True):
            matched = records.get(pair) if pair[0] else None
            found[i] = _summed(pair[0], matched) if matched else None
    return found


def _summed(key: str, records: list[_Candidate]) -> _Found:
    """Records of one surname summed up as its ``taxpayer_name`` row would be."""
    return _Found(
        name_key=key,
        records=len(records),
        confidential_informant=any(r.confidential_informant for r in records),
        tax_investigation_impairment=any(r.tax_investigation_impairment for r in records),
        taxpayer_id=min(r.id for r in records),
        first_names=first_name_entries((r.first_name, r.middle_name) for r in records),
    )


def _only_record(found: _Found | None) -> int | None:
    """The candidate's id when the search found exactly one record, else ``None``."""
    return found.taxpayer_id if found is not None and found.records == 1 else None


def _name_match(query: SubjectQuery, found: _Found | None) -> MatchFacts:
    method: MatchMethod = (
        "NAME_DOB_ADDRESS"
        if query.date_of_birth is not None and _has_address(query)
        else "NAME_ONLY"
    )
    # Scored against the placeholder when nobody was found: the same work.
    scored = found or _PLACEHOLDER_FOUND
    best = packed_best_score(
        query.first, query.middle, query.last, scored.name_key, scored.first_names
    )
    if found is None:
        return MatchFacts(
            candidates=0, name_score=0.0, tin_match=None, dob_match=None, method=method
        )
    return MatchFacts(
        candidates=found.records,
        name_score=best,
        tin_match=None,
        dob_match=True if query.date_of_birth is not None else None,
        method=method,
    )


def released_address(resolution: SubjectResolution, tax_year: int) -> MailingAddress | None:
    """The address of ``tax_year`` among those read with the resolution (tie-break above)."""
    return next((a for a in resolution.addresses if a.tax_year == tax_year), None)


_ADDRESS_OF_YEAR = (
    select(
        ADDRESS.c.line1,
        ADDRESS.c.line2,
        ADDRESS.c.city,
        ADDRESS.c.state,
        ADDRESS.c.zip,
        ADDRESS.c.tax_year,
    )
    .where(
        ADDRESS.c.taxpayer_id == bindparam("taxpayer_id"),
        ADDRESS.c.tax_year == bindparam("tax_year"),
    )
    .order_by(*_PREFERRED_ADDRESS[1:])
    .limit(1)
)


def mailing_address(session: Session, taxpayer_id: int, tax_year: int) -> MailingAddress | None:
    """The mailing address on file for one tax year (tie-break in the module docstring).

    For a release decided later (review): a lookup's own release is
    :func:`released_address`, from what resolution read.
    """
    with datastore_errors(_READ):
        row = (
            session.connection()
            .execute(_ADDRESS_OF_YEAR, {"taxpayer_id": taxpayer_id, "tax_year": tax_year})
            .first()
        )
    return None if row is None else MailingAddress(*row)


def last_known_address(session: Session, taxpayer_id: int) -> MailingAddress | None:
    """The address of the newest tax year on file, or ``None`` when there is none."""
    with datastore_errors(_READ):
        newest = (
            session.connection()
            .execute(
                select(func.max(ADDRESS.c.tax_year)).where(ADDRESS.c.taxpayer_id == taxpayer_id)
            )
            .scalar_one()
        )
    if newest is None:
        return None
    return mailing_address(session, taxpayer_id, int(newest))


def count_taxpayers(session: Session) -> int:
    """How many taxpayers the store holds."""
    with datastore_errors(_READ):
        return int(
            session.connection().execute(select(func.count()).select_from(TAXPAYER)).scalar_one()
        )
