"""PostgreSQL roles: a writer that cannot rewrite the log, an auditor that can only read.

Triggers (v0001, v0002, v0004, v0008) refuse UPDATE, DELETE and TRUNCATE on the
append-only tables, but the table owner can drop a trigger. The gateway should
therefore not connect as the owner: it connects as a member of
``gateway_writer``, which this migration leaves without UPDATE, DELETE or
TRUNCATE on every table such a trigger guards (the decision log's
``log_entry``, ``log_node``, ``log_checkpoint`` and the other append-only
evidence tables), so the database refuses a rewrite (permission denied) before
any trigger runs. ``gateway_auditor`` may SELECT and nothing else.

Both are ``NOLOGIN`` group roles: an operator grants them to login roles
(``GRANT gateway_writer TO gateway_app``). Roles are cluster-wide, so they are
created only when missing (several databases of one cluster share them; reruns
and concurrent migrations of other databases are harmless); the privileges are
per database. Tables created by later migrations get, by default privileges of
the migrating role, SELECT for the auditor and SELECT and INSERT for the writer:
a new table is append-only for the gateway until its migration grants more.

SQLite has no roles: nothing happens there.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None

WRITER = "gateway_writer"
AUDITOR = "gateway_auditor"
APPEND_ONLY_FUNCTIONS = ("log_entry_append_only", "log_table_append_only")
LOG_TABLES = ("log_entry", "log_node", "log_checkpoint")

_CREATE_IF_MISSING = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
        CREATE ROLE {role} NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;  -- another database's migration created it meanwhile
END
$$
"""

_GUARDED_TABLES = """
SELECT DISTINCT c.relname
FROM pg_trigger g
JOIN pg_class c ON c.oid = g.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_proc p ON p.oid = g.tgfoid
WHERE n.nspname = current_schema() AND p.proname = ANY(:functions)
"""


def append_only_tables() -> list[str]:
    """Every table an append-only trigger guards, and the log's tables in any case."""
    bind = op.get_bind()
    found = bind.execute(text(_GUARDED_TABLES), {"functions": list(APPEND_ONLY_FUNCTIONS)})
    return sorted({*LOG_TABLES, *(str(name) for (name,) in found)})


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    quote = bind.dialect.identifier_preparer.quote
    schema = quote(str(bind.execute(text("SELECT current_schema()")).scalar_one()))
    for role in (WRITER, AUDITOR):
        op.execute(_CREATE_IF_MISSING.format(role=role))
    op.execute(f"GRANT USAGE ON SCHEMA {schema} TO {WRITER}, {AUDITOR}")
    op.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {AUDITOR}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {WRITER}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {WRITER}")
    for table in append_only_tables():
        op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {quote(table)} FROM {WRITER}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT ON TABLES TO {AUDITOR}")
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT, INSERT ON TABLES TO {WRITER}"
    )
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {WRITER}"
    )


def downgrade() -> None:
    """Take this database's privileges back; the roles stay (other databases may use them)."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    quote = bind.dialect.identifier_preparer.quote
    schema = quote(str(bind.execute(text("SELECT current_schema()")).scalar_one()))
    for role in (WRITER, AUDITOR):
        op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} REVOKE ALL ON TABLES FROM {role}")
        op.execute(
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} REVOKE ALL ON SEQUENCES FROM {role}"
        )
        op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}")
        op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {role}")
        op.execute(f"REVOKE USAGE ON SCHEMA {schema} FROM {role}")
