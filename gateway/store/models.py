"""The datastore's tables: taxpayers with addresses and returns, and the gateway's own tables.

Table models stay inside ``gateway.store``: the query modules return frozen
dataclasses, so the API layer never holds a live ORM object.

Taxpayer tables (read by the enforcement pipeline, written by seed and import):

* ``taxpayer``: one row per TIN; ``name_key`` is the normalized last name
  (:func:`gateway.store.names.name_key`) that candidate search uses.
* ``address``: every address on file, with the tax year and the form it came
  from (its provenance) and whether the taxpayer supplied it.
* ``tax_return``: a few return facts, present so that redaction has something
  to withhold; the gateway never releases them.

Gateway operational tables (written by the gateway itself):

* ``lookup``: one row per decided request, updated by review.
* ``seen_token``: JWT ids already used and what each was first used for
  (``first_use``: ``read`` or ``write``); inserting a known ``jti`` raises
  ``IntegrityError``, which is how two first uses of one token are told apart.

The decision log's tables (``log_entry``, ``log_node``, ``log_checkpoint``) are
the log's own, in :mod:`gateway.audit.tables`; the store does not import the log.
The migrations in ``migrations/versions`` create exactly these tables and those;
a test compares them so that they cannot drift apart.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)
from sqlmodel import Field, SQLModel

from gateway.db import AwareDateTime

TIN_TYPES = ("SSN", "ITIN")
ADDRESS_SOURCES = ("form_1040", "form_w2", "form_1099", "form_8822", "form_w7")
TAXPAYER_SUPPLIED_SOURCES = frozenset({"form_1040", "form_8822", "form_w7"})
"""Forms the taxpayer fills in; the others are information returns filed by third parties."""


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class Taxpayer(SQLModel, table=True):
    """One taxpayer, identified by a normalized TIN ("123-45-6789")."""

    __tablename__ = "taxpayer"
    __table_args__ = (CheckConstraint(_in("tin_type", TIN_TYPES), name="ck_taxpayer_tin_type"),)

    id: int | None = Field(default=None, primary_key=True)
    tin: str = Field(unique=True)
    tin_type: str
    first_name: str
    middle_name: str | None = None
    last_name: str
    name_key: str = Field(index=True)
    date_of_birth: date = Field(index=True)
    confidential_informant: bool = False
    tax_investigation_impairment: bool = False


class Address(SQLModel, table=True):
    """An address on file for one tax year, with the form it came from."""

    __tablename__ = "address"
    __table_args__ = (
        CheckConstraint(_in("source", ADDRESS_SOURCES), name="ck_address_source"),
        # the household check (gateway.store.taxpayers), whatever a ZIP code's population
        Index("ix_address_household", "zip", text("upper(line1)")),
    )

    id: int | None = Field(default=None, primary_key=True)
    taxpayer_id: int = Field(
        sa_column=Column(Integer, ForeignKey("taxpayer.id"), nullable=False, index=True)
    )
    line1: str
    line2: str | None = None
    city: str
    state: str
    zip: str = Field(index=True)
    tax_year: int
    source: str
    taxpayer_supplied: bool


class TaxReturn(SQLModel, table=True):
    """A few facts from one return; held so that redaction can be tested, never released."""

    __tablename__ = "tax_return"

    id: int | None = Field(default=None, primary_key=True)
    taxpayer_id: int = Field(
        sa_column=Column(Integer, ForeignKey("taxpayer.id"), nullable=False, index=True)
    )
    tax_year: int
    filing_status: str
    agi: int
    employer: str | None = None
    bank_account: str | None = None


class Lookup(SQLModel, table=True):
    """A decided address-lookup request and the response it got (review may update it)."""

    __tablename__ = "lookup"
    # Not unique: resubmitting a request is itself decided (GW-3) and answered again.
    __table_args__ = (
        # newest first within one agency and key: the replay checks (migration v0009)
        Index("ix_lookup_agency_request", "agency_id", "request_id", "created_at"),
        Index("ix_lookup_agency_payload", "agency_id", "payload_sha256", "created_at"),
        Index("ix_lookup_agency_subjects", "agency_id", "subjects_digest", "created_at"),
    )

    decision_id: str = Field(primary_key=True)
    request_id: str
    agency_id: str
    payload_sha256: str
    status: str
    response_json: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(AwareDateTime, nullable=False))
    subjects_digest: str | None = None
    """Who was asked about, for which periods (GW-3b); added by migration v0003."""


class SeenToken(SQLModel, table=True):
    """A JWT id already presented; the primary key makes a replay an ``IntegrityError``."""

    __tablename__ = "seen_token"
    # the sweep of expired ids deletes a range (migration v0009)
    __table_args__ = (Index("ix_seen_token_expires_at", "expires_at"),)

    jti: str = Field(primary_key=True)
    agency_or_issuer: str
    expires_at: datetime = Field(sa_column=Column(AwareDateTime, nullable=False))
    first_use: str = Field(
        default="write",
        sa_column=Column(String, nullable=False, server_default="write"),
    )
    """``read`` or ``write``: what the token's first use fixed it for (migration v0006)."""


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


TAXPAYER = _table("taxpayer")
ADDRESS = _table("address")
TAX_RETURN = _table("tax_return")
LOOKUP = _table("lookup")
SEEN_TOKEN = _table("seen_token")
STORE_TABLES = (TAXPAYER, ADDRESS, TAX_RETURN, LOOKUP, SEEN_TOKEN)
"""Every table this package owns, in creation order (SQLAlchemy Core ``Table`` objects)."""

__all__ = [
    "ADDRESS",
    "ADDRESS_SOURCES",
    "LOOKUP",
    "SEEN_TOKEN",
    "STORE_TABLES",
    "TAXPAYER",
    "TAXPAYER_SUPPLIED_SOURCES",
    "TAX_RETURN",
    "TIN_TYPES",
    "Address",
    "AwareDateTime",
    "Lookup",
    "SQLModel",
    "SeenToken",
    "TaxReturn",
    "Taxpayer",
]


class ReviewItem(SQLModel, table=True):
    """A subject that the policy sent to human review, and what a disclosure officer decided.

    Mutable: ``status`` goes from ``pending`` to ``approved`` or ``denied`` once;
    every action is also a ``review`` leaf of the decision log. ``release_tax_year``
    is the most an approval may release — fixed at decision time (migration v0003).
    """

    __tablename__ = "review_item"
    __table_args__ = (Index("ix_review_item_status", "status", "created_at"),)

    decision_id: str = Field(primary_key=True)
    position: int = Field(primary_key=True)
    ref: str
    agency_id: str
    legal_basis: str
    status: str
    taxpayer_id: int | None = None
    release_tax_year: int | None = None
    findings_json: str = Field(sa_column=Column(Text, nullable=False))
    obligations_json: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(AwareDateTime, nullable=False))
    decided_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime))
    officer: str | None = None
    log_index: int | None = Field(default=None, sa_column=Column(BigInteger))


REVIEW_ITEM = _table("review_item")


class CourtOrderRecord(SQLModel, table=True):
    """One version of a court order that staff verified against the docket (migration v0004).

    Append-only (triggers refuse UPDATE and DELETE): a correction, a vacatur or
    an extension is a new row with the next ``version`` for the same
    ``match_key``, naming the row it ``supersedes``; the old row stays as it was,
    so every decision can be traced to the version in force when it was made.
    ``(match_key, version)`` is unique, so two staff correcting the same order
    at once cannot both win. Lists are JSON text; TINs are stored normalised
    ("123-45-6789"). ``log_index`` is the ``court_order`` leaf appended before
    the row was written.
    """

    __tablename__ = "court_order_record"
    __table_args__ = (
        Index("ux_court_order_record_key_version", "match_key", "version", unique=True),
    )

    id: str = Field(primary_key=True)
    match_key: str
    version: int
    supersedes: str | None = Field(
        default=None,
        sa_column=Column(String, ForeignKey("court_order_record.id"), unique=True, nullable=True),
    )
    order_type: str
    court: str
    court_type: str
    judge: str
    judge_type: str
    docket_number: str
    applicant_authorizer_role: str
    covered_tins_json: str = Field(sa_column=Column(Text, nullable=False))
    covered_taxable_periods_json: str = Field(sa_column=Column(Text, nullable=False))
    covered_data_json: str = Field(sa_column=Column(Text, nullable=False))
    named_recipients_json: str = Field(sa_column=Column(Text, nullable=False))
    warrant_type: str | None = None
    warrant_offense_class: str | None = None
    issued_at: datetime = Field(sa_column=Column(AwareDateTime, nullable=False))
    expires_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime))
    verification_source: str = Field(sa_column=Column(Text, nullable=False))
    verification_note: str | None = Field(default=None, sa_column=Column(Text))
    recorded_by: str
    recorded_by_role: str
    recorded_at: datetime = Field(sa_column=Column(AwareDateTime, nullable=False))
    log_index: int = Field(sa_column=Column(BigInteger, nullable=False))


COURT_ORDER_RECORD = _table("court_order_record")


# -- obligations before a release (migration v0008, gateway.reviews) ----------------------


class CourtNoticeFiling(SQLModel, table=True):
    """The court notice a decision's ``COURT_NOTICE`` obligation demands, as filed.

    One per decision (the notice is about the request, whatever its subjects);
    append-only like the court-order registry: a filing is evidence that a
    release was preceded by notice. ``log_index`` is its ``court_notice_filing`` leaf.
    """

    __tablename__ = "court_notice_filing"

    decision_id: str = Field(primary_key=True)
    filed_by: str
    filed_at: datetime = Field(sa_column=Column(AwareDateTime, nullable=False))
    court: str
    reference: str
    recorded_by: str
    recorded_by_role: str
    recorded_at: datetime = Field(sa_column=Column(AwareDateTime, nullable=False))
    log_index: int = Field(sa_column=Column(BigInteger, nullable=False))


class ReviewFirstApproval(SQLModel, table=True):
    """The first of two officers' approvals of a subject under the two-person rule.

    Append-only; the second approval, by another officer, settles the
    ``review_item`` and releases. ``log_index`` is its ``review_first_approval`` leaf.
    """

    __tablename__ = "review_first_approval"

    decision_id: str = Field(primary_key=True)
    position: int = Field(primary_key=True)
    officer: str
    approved_at: datetime = Field(sa_column=Column(AwareDateTime, nullable=False))
    log_index: int = Field(sa_column=Column(BigInteger, nullable=False))


COURT_NOTICE_FILING = _table("court_notice_filing")
REVIEW_FIRST_APPROVAL = _table("review_first_approval")


# -- name-only candidate search (migration v0011, gateway.store.taxpayers) -----------------


class TaxpayerName(SQLModel, table=True):
    """One surname (``name_key``) and what a name-only search needs of its records, in one row.

    Derived from ``taxpayer`` by :func:`gateway.store.bulk.refresh_taxpayer_names`,
    which every writer of taxpayers calls in its own transaction (seed, import).
    A common surname at a million taxpayers is thousands of records; the search
    reads this one row instead (issue 11 item 2): how many records, the OR of
    their flags, the smallest ``taxpayer_id`` (the record's own when
    ``records`` is 1) and ``first_names``, the distinct normalised first names
    with their middle initials (:func:`gateway.store.names.first_name_entries`),
    which is what scoring the supplied name needs. Its length is bounded by the
    distinct first names of a surname, not by how many people carry it.
    """

    __tablename__ = "taxpayer_name"
    # SQLite: the row stored in the primary key's b-tree, one seek
    __table_args__ = {"sqlite_with_rowid": False}

    name_key: str = Field(primary_key=True)
    records: int
    confidential_informant: bool
    tax_investigation_impairment: bool
    taxpayer_id: int
    first_names: str = Field(sa_column=Column(Text, nullable=False))


TAXPAYER_NAME = _table("taxpayer_name")
TAXPAYER_NAME_DOB_INDEX = Index(
    "ix_taxpayer_name_key_dob", TAXPAYER.c.name_key, TAXPAYER.c.date_of_birth
)
"""Name and date of birth searched together, many pairs per statement (migration v0011)."""
