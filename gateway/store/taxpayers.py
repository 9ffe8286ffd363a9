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
  (``name_key``, indexed) equals the supplied one and, when a date of birth
  was supplied, with that date of birth. ``name_score`` is the best
  candidate's; ``dob_match`` is ``True`` when a date of birth narrowed the
  search and something was found. Method ``NAME_DOB_ADDRESS`` when a date of
  birth and a usable address (``line1`` with a ZIP code or with city and
  state) were supplied, else ``NAME_ONLY``. The address only names the
  method; it never narrows candidates (a person moves, the record lags).
* No candidate: ``name_score=0``, ``tin_match`` and ``dob_match`` ``None``
  (``tin_match=False`` when a TIN was supplied).
* Only a single candidate is identified (``taxpayer_id``, ``record_tin``,
  address years). With several, the record flags are the OR over all of them,
  so that an ambiguous match can never hide a flagged record.

Name similarity is :func:`gateway.store.names.name_score` (per-part
Jaro-Winkler; the module says why).

Constant work (GW-11, issue 8): a denied person on file gets the same answer
as a person who is not on file, so the time to answer must not tell them
apart either. Every resolution runs the same three statements — the candidate
search, the addresses of one taxpayer, the household count at that
taxpayer's last known address — and scores the supplied name against one
record. When no single candidate is identified (none, or several), the
address statements run for :data:`NO_TAXPAYER`, an id no row has, and the
name is scored against :data:`_PLACEHOLDER`; their results are not used. The
only difference left is the handful of rows the statements return.
``bench/oracle.py`` measures it over HTTP (figures in ``bench/README.md``).
Reading a real person as the decoy would equalise row counts too, but would
be an inspection of a record nobody asked about (§7213A).

Last known address: the address with the newest tax year; within that year
a taxpayer-supplied one beats a third-party information return, then a form
8822 change of address beats the other forms, then the highest id (the most
recently recorded) wins.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Literal

from sqlalchemy import ColumnElement, UnaryExpression, case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from gateway.domain import normalize_tin
from gateway.store.db import datastore_errors
from gateway.store.models import ADDRESS, TAXPAYER, Address, Taxpayer
from gateway.store.names import name_key, name_score, normalize_part

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


@dataclass(frozen=True)
class MailingAddress:
    """One mailing address on file and the tax year it belongs to."""

    line1: str
    line2: str | None
    city: str
    state: str
    zip: str
    tax_year: int


def _has_address(query: SubjectQuery) -> bool:
    def present(value: str | None) -> bool:
        return bool(value and value.strip())

    return present(query.line1) and (
        present(query.zip) or (present(query.city) and present(query.state))
    )


NO_TAXPAYER = -1
"""The taxpayer id the address statements read when no single record is identified.

Ids count up from 1, so no row has it: the statements probe the same indexes
and find nothing.
"""

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


_CANDIDATE_COLUMNS = [TAXPAYER.c[field.name] for field in fields(_Candidate)]

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


def _candidates(session: Session, *conditions: ColumnElement[bool]) -> list[_Candidate]:
    """Candidate rows as plain tuples, not ORM objects (the TIN search: one row at most)."""
    rows = session.connection().execute(sa_select(*_CANDIDATE_COLUMNS).where(*conditions))
    return [_Candidate(*row) for row in rows]


def _score(query: SubjectQuery, record: _Candidate) -> float:
    return name_score(
        query.first,
        query.middle,
        query.last,
        record.first_name,
        record.middle_name,
        record.last_name,
    )


@dataclass(frozen=True)
class _AddressFacts:
    tax_years: tuple[int, ...]
    """Newest first."""
    household_members: int


def _address_facts(session: Session, taxpayer_id: int) -> _AddressFacts:
    """The tax years with an address on file and the size of the household at the last one.

    Two statements for every subject, whoever it is (constant work, module docstring).
    The household: how many other taxpayers have an address on file at this
    one's last known address. A shared household is where misidentification
    happens (CEDC v. Bessent): the policy wants more than a name to release such
    an address. Addresses compare by ZIP and case-folded first line, the indexed
    ZIP keeping the scan small.
    """
    conn = session.connection()
    rows = conn.execute(
        sa_select(ADDRESS.c.tax_year, ADDRESS.c.zip, ADDRESS.c.line1)
        .where(ADDRESS.c.taxpayer_id == taxpayer_id)
        .order_by(*_PREFERRED_ADDRESS)
    ).all()
    home = rows[0] if rows else None
    # Without an address the statement still runs, on values it cannot find in a
    # real household, and its count is not used.
    members = conn.execute(
        sa_select(func.count(func.distinct(ADDRESS.c.taxpayer_id))).where(
            ADDRESS.c.zip == (home.zip if home else ""),
            func.upper(ADDRESS.c.line1) == (home.line1.upper() if home else ""),
            ADDRESS.c.taxpayer_id != taxpayer_id,
        )
    ).scalar_one()
    return _AddressFacts(
        tax_years=tuple(dict.fromkeys(row.tax_year for row in rows)),
        household_members=int(members) if home else 0,
    )


def _resolution(
    session: Session,
    single: _Candidate | None,
    match: MatchFacts,
    *,
    confidential_informant: bool,
    tax_investigation_impairment: bool,
) -> SubjectResolution:
    """Only a single candidate is identified; the address work runs either way.

    With several candidates the flags are the OR over all of them (the caller's).
    """
    facts = _address_facts(session, single.id if single else NO_TAXPAYER)
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
    return SubjectResolution(
        match=match,
        taxpayer_id=single.id,
        record_tin=single.tin,
        confidential_informant=single.confidential_informant,
        tax_investigation_impairment=single.tax_investigation_impairment,
        address_tax_years=facts.tax_years,
        last_known_tax_year=facts.tax_years[0] if facts.tax_years else None,
        household_members=facts.household_members,
    )


def resolve_subject(session: Session, query: SubjectQuery) -> SubjectResolution:
    """Match one requested subject against the store (rules in the module docstring)."""
    with datastore_errors(_READ):
        tin = normalize_tin(query.tin)
        if tin is not None:
            records = _candidates(session, TAXPAYER.c.tin == tin)  # unique: one at most
            single = records[0] if records else None
            return _resolution(
                session,
                single,
                _tin_match(query, single),
                confidential_informant=bool(single and single.confidential_informant),
                tax_investigation_impairment=bool(single and single.tax_investigation_impairment),
            )
        groups = _name_candidates(session, query)
        return _resolution(
            session,
            _only_record(groups),
            _name_match(query, groups),
            confidential_informant=any(g.confidential_informant for g in groups),
            tax_investigation_impairment=any(g.tax_investigation_impairment for g in groups),
        )


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


@dataclass(frozen=True)
class _NameGroup:
    """The candidates sharing one spelling of a name, as one row of the grouped search.

    ``id``, ``tin`` and ``date_of_birth`` are the group's smallest, which are the
    record's own when ``count`` is 1 (the only case in which they are used); the
    flags are the OR over the group.
    """

    first_name: str
    middle_name: str | None
    last_name: str
    count: int
    confidential_informant: bool
    tax_investigation_impairment: bool
    id: int
    tin: str
    date_of_birth: date


def _any(flag: ColumnElement[bool]) -> ColumnElement[int]:
    """OR over a group, on both engines (PostgreSQL has no ``max`` of a boolean)."""
    return func.max(case((flag, 1), else_=0))


_NAME_GROUP_COLUMNS = (
    TAXPAYER.c.first_name,
    TAXPAYER.c.middle_name,
    TAXPAYER.c.last_name,
    func.count(),
    _any(TAXPAYER.c.confidential_informant),
    _any(TAXPAYER.c.tax_investigation_impairment),
    func.min(TAXPAYER.c.id),
    func.min(TAXPAYER.c.tin),
    func.min(TAXPAYER.c.date_of_birth),
)


def _name_candidates(session: Session, query: SubjectQuery) -> list[_NameGroup]:
    """Records with the supplied last name (and date of birth), one row per spelled name.

    Grouped in the database: a common surname at a million taxpayers is thousands
    of records but a few hundred distinct names, and only the distinct names are
    scored and brought into Python (issue 11 item 2). None for a name with no
    letters: nothing about any record can be learnt from that, whatever the time
    it takes.
    """
    key = name_key(query.last or "")
    if not key:
        return []
    conditions = [TAXPAYER.c.name_key == key]
    if query.date_of_birth is not None:
        conditions.append(TAXPAYER.c.date_of_birth == query.date_of_birth)
    rows = session.connection().execute(
        sa_select(*_NAME_GROUP_COLUMNS)
        .where(*conditions)
        .group_by(TAXPAYER.c.first_name, TAXPAYER.c.middle_name, TAXPAYER.c.last_name)
    )
    return [
        _NameGroup(first, middle, last, int(n), bool(ci), bool(tii), id_, tin, dob)
        for first, middle, last, n, ci, tii, id_, tin, dob in rows
    ]


def _only_record(groups: list[_NameGroup]) -> _Candidate | None:
    """The candidate when the search found exactly one record, else ``None``."""
    if len(groups) != 1 or groups[0].count != 1:
        return None
    g = groups[0]
    return _Candidate(
        id=g.id,
        tin=g.tin,
        first_name=g.first_name,
        middle_name=g.middle_name,
        last_name=g.last_name,
        date_of_birth=g.date_of_birth,
        confidential_informant=g.confidential_informant,
        tax_investigation_impairment=g.tax_investigation_impairment,
    )


def _name_match(query: SubjectQuery, groups: list[_NameGroup]) -> MatchFacts:
    method: MatchMethod = (
        "NAME_DOB_ADDRESS"
        if query.date_of_birth is not None and _has_address(query)
        else "NAME_ONLY"
    )
    # Spellings that differ only in case, accents or punctuation score alike: once each.
    names: list[tuple[str | None, str | None, str | None]] = (
        [(g.first_name, g.middle_name, g.last_name) for g in groups]
        if groups
        else [(_PLACEHOLDER.first_name, _PLACEHOLDER.middle_name, _PLACEHOLDER.last_name)]
    )
    distinct = {
        (normalize_part(first), normalize_part(middle)[:1], normalize_part(last))
        for first, middle, last in names
    }
    best = max(name_score(query.first, query.middle, query.last, *name) for name in distinct)
    if not groups:
        return MatchFacts(
            candidates=0, name_score=0.0, tin_match=None, dob_match=None, method=method
        )
    return MatchFacts(
        candidates=sum(g.count for g in groups),
        name_score=best,
        tin_match=None,
        dob_match=True if query.date_of_birth is not None else None,
        method=method,
    )


def mailing_address(session: Session, taxpayer_id: int, tax_year: int) -> MailingAddress | None:
    """The mailing address on file for one tax year (tie-break in the module docstring)."""
    with datastore_errors(_READ):
        row = session.exec(
            select(Address)
            .where(Address.taxpayer_id == taxpayer_id, Address.tax_year == tax_year)
            .order_by(*_PREFERRED_ADDRESS[1:])
            .limit(1)
        ).first()
    if row is None:
        return None
    return MailingAddress(
        line1=row.line1,
        line2=row.line2,
        city=row.city,
        state=row.state,
        zip=row.zip,
        tax_year=row.tax_year,
    )


def last_known_address(session: Session, taxpayer_id: int) -> MailingAddress | None:
    """The address of the newest tax year on file, or ``None`` when there is none."""
    with datastore_errors(_READ):
        newest = session.exec(
            select(func.max(Address.tax_year)).where(Address.taxpayer_id == taxpayer_id)
        ).one()
    if newest is None:
        return None
    return mailing_address(session, taxpayer_id, int(newest))


def count_taxpayers(session: Session) -> int:
    """How many taxpayers the store holds."""
    with datastore_errors(_READ):
        return int(session.exec(select(func.count()).select_from(Taxpayer)).one())
