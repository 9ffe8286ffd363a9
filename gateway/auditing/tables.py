"""The audit projection's tables: the decision log made queryable, one row per decision and subject.

The projection is *derived*: every row can be recomputed from the log's leaves
(:func:`gateway.auditing.projection.rebuild`), so unlike the log's own tables it
is updated in place (a review leaf changes the final outcome of its subject).
It holds no TIN, name, date of birth or address: a subject is the keyed
pseudonym its decision leaf gave it (``taxpayer``), and an auditor finds a
taxpayer by recomputing that pseudonym from the TIN with the audit key.

* ``audit_projection``: one row per (decision, subject position). A
  ``decision_failure`` leaf (no decision could be made) is one row at position
  0 with no taxpayer. Lists (rules, released fields) are JSON text, for
  display; filtering by rule goes through ``audit_projection_rule``.
* ``audit_projection_rule``: one row per (decision, position, rule) for the
  request-level and the subject's own rules together, indexed by rule, so
  "every denial citing INJ-1" is an index look-up, not a scan.
* ``audit_projection_state``: the index of the next leaf the projection has not
  seen. The leaf writer checks it on every batch and catches up first if it lags
  (a log that predates the projection, or a writer that was not registered), so
  the projection never silently skips a leaf.

Created by migration v0005; ``tests/unit/auditing/test_tables.py`` compares the two.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table, Text

from gateway.db import AwareDateTime

metadata = MetaData()

PROJECTION = Table(
    "audit_projection",
    metadata,
    Column("decision_id", String, primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("log_index", BigInteger, nullable=False),
    Column("kind", String, nullable=False),
    Column("decided_at", AwareDateTime, nullable=False),
    Column("agency", String, nullable=False),
    Column("official", String, nullable=True),
    Column("legal_basis", String, nullable=True),
    Column("purpose", String, nullable=True),
    Column("policy_revision", String, nullable=True),
    Column("request_rules", Text, nullable=False),
    Column("decision_outcome", String, nullable=False),
    Column("decision_final_outcome", String, nullable=False),
    Column("taxpayer", String, nullable=True),
    Column("subject_outcome", String, nullable=False),
    Column("final_outcome", String, nullable=False),
    Column("subject_rules", Text, nullable=False),
    Column("released", Text, nullable=False),
    Column("tax_year", Integer, nullable=True),
    Column("review_action", String, nullable=True),
    Column("reviewed_at", AwareDateTime, nullable=True),
    Column("review_officer", String, nullable=True),
    Column("review_log_index", BigInteger, nullable=True),
    Index("ix_audit_projection_log", "log_index", "position"),
    Index("ix_audit_projection_decided", "decided_at"),
    Index("ix_audit_projection_agency", "agency", "log_index"),
    Index("ix_audit_projection_official", "official", "log_index"),
    Index("ix_audit_projection_final", "final_outcome", "log_index"),
    Index("ix_audit_projection_basis", "legal_basis", "log_index"),
    Index("ix_audit_projection_purpose", "purpose", "log_index"),
    Index("ix_audit_projection_taxpayer", "taxpayer"),
)

PROJECTION_RULE = Table(
    "audit_projection_rule",
    metadata,
    Column("decision_id", String, primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("rule", String, primary_key=True),
    Index("ix_audit_projection_rule_rule", "rule", "decision_id", "position"),
)

PROJECTION_STATE = Table(
    "audit_projection_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("next_index", BigInteger, nullable=False),
)

AUDIT_TABLES = (PROJECTION, PROJECTION_RULE, PROJECTION_STATE)
