"""Engines, migration, transactions and column types: the database plumbing every layer shares.

This is the only place a database connection is configured. It sits below both
the datastore (``gateway.store``) and the decision log (``gateway.audit``), which
keep their own tables and queries and do not import each other; both get their
engines, transactions and timestamp column type from here.

Guarantees:

* :func:`make_engine` gives the same behaviour on SQLite and PostgreSQL where
  the gateway depends on it: real transactions (SQLite gets an explicit
  ``BEGIN``, so reads inside a transaction see one snapshot and savepoints
  work), foreign keys enforced, and SQL parameters never rendered into error
  messages or logs (``hide_parameters``), because parameters are TINs, names
  and addresses.
* SQLite runs in WAL mode (readers never block the writer) with
  ``synchronous=FULL`` (a committed log entry survives power loss) and a busy
  timeout, so concurrent writers wait instead of failing at once.
* :func:`migrate` is the only way the schema is created or changed. It runs
  Alembic programmatically from ``gateway/store/migrations`` (one history for
  the whole database, the log's tables included), is idempotent, and
  serializes concurrent callers (an advisory lock on PostgreSQL,
  ``BEGIN IMMEDIATE`` on SQLite).
* :func:`write_transaction` starts a transaction that intends to write. On
  SQLite it takes the write lock up front (``BEGIN IMMEDIATE``): a deferred
  transaction that reads and then writes fails with "database is locked" when
  another writer committed in between, whatever the busy timeout.
* PostgreSQL connections run at READ COMMITTED whatever the server's
  ``default_transaction_isolation`` says: the decision log takes its lock and
  then reads the stored size in the same transaction, and only a snapshot per
  statement sees what the previous lock holder committed.
* PostgreSQL connections run with ``synchronous_commit = on`` whatever the
  server or database says: a commit the gateway reports (a decision leaf, a
  spent token, a stored answer) must be on disk before the agency gets its
  answer, as SQLite's ``synchronous=FULL`` guarantees; ``off`` would let a
  crash lose answered decisions from the log.
* A PostgreSQL session that sits inside a transaction without sending anything
  for :attr:`PoolOptions.idle_in_transaction_timeout_seconds` is ended by the
  server (``idle_in_transaction_session_timeout``), rolling its transaction
  back and releasing its locks. A process that dies closes its connections and
  the server notices at once; this bounds the other case, a holder of the log's
  lock that stops without its connection closing (a frozen process or host, a
  network partition), which would otherwise hold every replica's appends for
  as long as TCP takes to give up (hours).
* :class:`AwareDateTime` columns never hand back a naive timestamp.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import DateTime, Dialect, TypeDecorator, event
from sqlalchemy.engine import Connection, Engine, create_engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool
from sqlmodel import Session

from gateway.errors import DatastoreUnavailableError

SQLITE_BUSY_TIMEOUT_MS = 10_000
"""How long a SQLite writer waits for another writer before giving up."""

_WRITE_OPTION = "gateway_write"
_MIGRATIONS = Path(__file__).parent / "store" / "migrations"
_MIGRATION_LOCK_KEY = 0x6761_7465_7761_79  # "gateway": any constant shared by every replica


@dataclass(frozen=True)
class PoolOptions:
    """PostgreSQL connection pool of one process (``GATEWAY_DATABASE_POOL_*`` settings).

    Several gateway processes share one server: size times processes, plus
    overflow, must stay under the server's ``max_connections``. A request that
    finds no free connection within ``timeout_seconds`` fails closed (503).
    """

    size: int = 5
    max_overflow: int = 10
    timeout_seconds: float = 10.0
    pre_ping: bool = True
    idle_in_transaction_timeout_seconds: float = 30.0
    """The server ends a session idle this long inside a transaction (0: never).

    Far above any pause between the statements of the gateway's own
    transactions, far below TCP's own give-up time: how long a frozen holder of
    the log's lock can hold the other replicas' appends back."""


def make_engine(url: str, pool: PoolOptions | None = None) -> Engine:
    """Build an engine for a SQLite or PostgreSQL URL.

    ``postgresql://`` is taken to mean psycopg 3 (``postgresql+psycopg://``),
    the only PostgreSQL driver the project installs. ``sqlite://`` (in memory)
    works for throw-away use; it has no WAL and lives on one shared connection.
    ``pool`` applies to PostgreSQL only (SQLite's pool is a file handle per thread).
    """
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        in_memory = parsed.database in (None, "", ":memory:")
        if in_memory:
            engine = create_engine(
                parsed,
                hide_parameters=True,
                poolclass=StaticPool,
                connect_args={"check_same_thread": False},
            )
        else:
            engine = create_engine(parsed, hide_parameters=True)
        _configure_sqlite(engine, wal=not in_memory)
        return engine
    pool = pool or PoolOptions()
    engine = create_engine(
        parsed,
        hide_parameters=True,
        isolation_level="READ COMMITTED",
        pool_size=pool.size,
        max_overflow=pool.max_overflow,
        pool_timeout=pool.timeout_seconds,
        pool_pre_ping=pool.pre_ping,
    )
    _configure_postgres(engine, idle_ms=round(pool.idle_in_transaction_timeout_seconds * 1000))
    return engine


def _configure_postgres(engine: Engine, *, idle_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        # A session setting rather than the URL's ``options``, which the URL may already use.
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"SET idle_in_transaction_session_timeout = {idle_ms}")
            cursor.execute("SET synchronous_commit = on")
        finally:
            cursor.close()
        dbapi_connection.commit()


def _configure_sqlite(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN instead of the
        # sqlite3 module's own half-transactions (none around SELECT).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if wal:
                cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = FULL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(_WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A Core connection in a transaction that will write; commits on success, else rolls back."""
    with engine.connect().execution_options(**{_WRITE_OPTION: True}) as conn, conn.begin():
        yield conn


@contextmanager
def rolled_back_write(engine: Engine) -> Iterator[Connection]:
    """Like :func:`write_transaction`, but always rolled back: for proving that the
    database accepts writes now (readiness) without leaving anything behind."""
    with engine.connect().execution_options(**{_WRITE_OPTION: True}) as conn:
        tx = conn.begin()
        try:
            yield conn
        finally:
            tx.rollback()


@contextmanager
def session(engine: Engine) -> Iterator[Session]:
    """A SQLModel session in one transaction: committed on success, rolled back on error.

    Objects stay readable after the commit (``expire_on_commit=False``).
    """
    with Session(engine, expire_on_commit=False) as db:
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise


def alembic_config() -> Config:
    """The Alembic configuration, built in code: no ``alembic.ini`` is needed anywhere."""
    config = Config()
    # Config values go through ConfigParser interpolation: a literal % must be doubled.
    config.set_main_option("script_location", str(_MIGRATIONS).replace("%", "%%"))
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; a no-op when it is already there.

    Raises :class:`DatastoreUnavailableError` when the database cannot be reached.
    """
    config = alembic_config()
    try:
        with write_transaction(engine) as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_KEY})")
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    except SQLAlchemyError as exc:
        raise DatastoreUnavailableError("the datastore schema could not be migrated") from exc


@contextmanager
def datastore_errors(action: str) -> Iterator[None]:
    """Turn any database failure into :class:`DatastoreUnavailableError` (fail closed).

    ``action`` says what was being done ("read the taxpayer datastore"); it
    must not contain taxpayer data. The original error stays chained for
    operators; its text holds no parameters (see :func:`make_engine`).
    """
    try:
        yield
    except SQLAlchemyError as exc:
        raise DatastoreUnavailableError(f"could not {action}") from exc


class AwareDateTime(TypeDecorator[datetime]):
    """A timestamp that is timezone-aware on the way in and on the way out.

    PostgreSQL keeps the zone (``timestamptz``); SQLite keeps none, so values
    are stored as UTC and handed back with ``tzinfo=UTC``. A naive datetime is
    refused rather than guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("a timezone-aware datetime is required")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError("expected a datetime from the database")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
