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

Last known address: the address with the newest tax year; within that year
a taxpayer-supplied one beats a third-party information return, then a form
8822 change of address beats the other forms, then the highest id (the most
recently recorded) wins.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Literal

from sqlalchemy import ColumnElement, case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from gateway.domain import normalize_tin
from gateway.store.db import datastore_errors
from gateway.store.models import TAXPAYER, Address, Taxpayer
from gateway.store.names import name_key, name_score

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


def _no_candidate(method: MatchMethod, *, tin_supplied: bool) -> SubjectResolution:
    return SubjectResolution(
        match=MatchFacts(
            candidates=0,
            name_score=0.0,
            tin_match=False if tin_supplied else None,
            dob_match=None,
            method=method,
        ),
        taxpayer_id=None,
        record_tin=None,
        confidential_informant=False,
        tax_investigation_impairment=False,
        address_tax_years=(),
        last_known_tax_year=None,
    )


def _address_years(session: Session, taxpayer_id: int) -> tuple[int, ...]:
    years = session.exec(
        select(Address.tax_year)
        .where(Address.taxpayer_id == taxpayer_id)
        .distinct()
        .order_by(col(Address.tax_year).desc())
    ).all()
    return tuple(years)


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


def _candidates(session: Session, *conditions: ColumnElement[bool]) -> list[_Candidate]:
    """Candidate rows as plain tuples: a common surname can mean thousands of them."""
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


def _household_members(session: Session, taxpayer_id: int) -> int:
    """How many other taxpayers have an address on file at this one's last known address.

    A shared household is where misidentification happens (CEDC v. Bessent): the
    policy wants more than a name to release such an address. Addresses compare
    by ZIP and case-folded first line, the indexed ZIP keeping the scan small.
    """
    home = last_known_address(session, taxpayer_id)
    if home is None:
        return 0
    count = session.exec(
        select(func.count(func.distinct(Address.taxpayer_id))).where(
            Address.zip == home.zip,
            func.upper(Address.line1) == home.line1.upper(),
            Address.taxpayer_id != taxpayer_id,
        )
    ).one()
    return int(count)


def _identified(session: Session, record: _Candidate, match: MatchFacts) -> SubjectResolution:
    years = _address_years(session, record.id)
    return SubjectResolution(
        match=match,
        taxpayer_id=record.id,
        record_tin=record.tin,
        confidential_informant=record.confidential_informant,
        tax_investigation_impairment=record.tax_investigation_impairment,
        address_tax_years=years,
        last_known_tax_year=years[0] if years else None,
        household_members=_household_members(session, record.id),
    )


def resolve_subject(session: Session, query: SubjectQuery) -> SubjectResolution:
    """Match one requested subject against the store (rules in the module docstring)."""
    with datastore_errors(_READ):
        tin = normalize_tin(query.tin)
        if tin is not None:
            return _resolve_by_tin(session, query, tin)
        return _resolve_by_name(session, query)


def _resolve_by_tin(session: Session, query: SubjectQuery, tin: str) -> SubjectResolution:
    found = _candidates(session, TAXPAYER.c.tin == tin)
    if not found:
        return _no_candidate("TIN_NAME", tin_supplied=True)
    record = found[0]
    dob_match = None if query.date_of_birth is None else record.date_of_birth == query.date_of_birth
    match = MatchFacts(
        candidates=1,
        name_score=_score(query, record),
        tin_match=True,
        dob_match=dob_match,
        method="TIN_NAME",
    )
    return _identified(session, record, match)


def _resolve_by_name(session: Session, query: SubjectQuery) -> SubjectResolution:
    method: MatchMethod = (
        "NAME_DOB_ADDRESS"
        if query.date_of_birth is not None and _has_address(query)
        else "NAME_ONLY"
    )
    key = name_key(query.last or "")
    if not key:
        return _no_candidate(method, tin_supplied=False)
    conditions = [TAXPAYER.c.name_key == key]
    if query.date_of_birth is not None:
        conditions.append(TAXPAYER.c.date_of_birth == query.date_of_birth)
    records = _candidates(session, *conditions)
    if not records:
        return _no_candidate(method, tin_supplied=False)
    distinct_names = {(r.first_name, r.middle_name, r.last_name) for r in records}
    best = max(name_score(query.first, query.middle, query.last, *name) for name in distinct_names)
    match = MatchFacts(
        candidates=len(records),
        name_score=best,
        tin_match=None,
        dob_match=True if query.date_of_birth is not None else None,
        method=method,
    )
    if len(records) == 1:
        return _identified(session, records[0], match)
    return SubjectResolution(
        match=match,
        taxpayer_id=None,
        record_tin=None,
        confidential_informant=any(r.confidential_informant for r in records),
        tax_investigation_impairment=any(r.tax_investigation_impairment for r in records),
        address_tax_years=(),
        last_known_tax_year=None,
    )


def mailing_address(session: Session, taxpayer_id: int, tax_year: int) -> MailingAddress | None:
    """The mailing address on file for one tax year (tie-break in the module docstring)."""
    with datastore_errors(_READ):
        row = session.exec(
            select(Address)
            .where(Address.taxpayer_id == taxpayer_id, Address.tax_year == tax_year)
            .order_by(
                col(Address.taxpayer_supplied).desc(),
                case((col(Address.source) == "form_8822", 1), else_=0).desc(),
                col(Address.id).desc(),
            )
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
