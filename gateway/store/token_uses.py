"""The replay memory: every token id the gateway accepted, and what its first use was.

One row per ``jti`` (the primary key), written once and never updated. The
first use of a token inserts its row; the row's ``first_use`` is what every
later use is judged against (:mod:`gateway.auth.tokens`, check 5). Because
the row is never changed, two concurrent first uses cannot both win: one
insert succeeds, the other hits the primary key and reads the winner's row.

A row is needed only while its token could still be accepted: tokens live at
most ten minutes, so without :class:`TokenSweeper` forgetting expired ids the
table would grow by one row per request for ever.

A lookup's token is recorded by :func:`record_spend` in the transaction of
the lookup's decision leaf instead (:mod:`gateway.auth.tokens`, "Where check 5
writes"); the primary key is what refuses the second of two racing uses.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import structlog
from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from gateway.auth.tokens import TokenSpend, TokenUse
from gateway.clock import Clock
from gateway.errors import DatastoreUnavailableError, UnauthenticatedError
from gateway.store.db import write_transaction
from gateway.store.models import SEEN_TOKEN

log = structlog.get_logger(__name__)

_INSERT = insert(SEEN_TOKEN)
_FIRST_USE = select(SEEN_TOKEN.c.first_use).where(SEEN_TOKEN.c.jti == bindparam("jti"))
"""Built once: :func:`record_spend` runs inside the decision log's write lock."""


def record_spend(conn: Connection, spend: TokenSpend) -> None:
    """Record a write token's deferred first use in the caller's transaction.

    Raises :class:`UnauthenticatedError` (a replayed token) if the ``jti`` is already
    recorded, e.g. by another lookup with the same token committed first; the
    caller's transaction must then be rolled back (its leaf is not written).
    """
    row = {
        "jti": spend.jti,
        "agency_or_issuer": spend.issuer,
        "expires_at": spend.expires_at,
        "first_use": "write",
    }
    try:
        conn.execute(_INSERT, row)
    except IntegrityError as exc:
        raise UnauthenticatedError("token has already been used (replayed jti)") from exc


SWEEP_INTERVAL_SECONDS = 60.0
"""How often expired token ids are forgotten: a tenth of the longest token lifetime,
so the table holds at most about eleven minutes of requests."""


class SqlTokenUses:
    """:class:`gateway.auth.tokens.ReplayGuard` on the gateway's database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def first_use(
        self, jti: str, issuer: str, expires_at: datetime, use: TokenUse
    ) -> TokenUse | None:
        try:
            # A read token is presented again and again: look before taking a write lock.
            known = self.recorded(jti)
            if known is not None:
                return known
            try:
                with write_transaction(self._engine) as conn:
                    conn.execute(
                        _INSERT,
                        {
                            "jti": jti,
                            "agency_or_issuer": issuer,
                            "expires_at": expires_at,
                            "first_use": use,
                        },
                    )
            except IntegrityError:
                # Someone used it first, between the look and the insert. A row gone again
                # (expired and forgotten) is treated as spent: fail closed.
                return self.recorded(jti) or "write"
        except SQLAlchemyError as exc:
            raise DatastoreUnavailableError("token replay memory is unavailable") from exc
        return None

    def recorded(self, jti: str) -> TokenUse | None:
        try:
            with self._engine.connect() as conn:
                row = conn.execute(_FIRST_USE, {"jti": jti}).scalar_one_or_none()
        except SQLAlchemyError as exc:
            raise DatastoreUnavailableError("token replay memory is unavailable") from exc
        if row is None:
            return None
        # Anything but a recorded read counts as spent.
        return "read" if row == "read" else "write"

    def forget_expired(self, now: datetime, grace: timedelta = timedelta(minutes=5)) -> int:
        """Drop rows of tokens expired longer than ``grace`` ago (past any clock skew)."""
        with write_transaction(self._engine) as conn:
            result = conn.execute(delete(SEEN_TOKEN).where(SEEN_TOKEN.c.expires_at < now - grace))
        return int(result.rowcount)


class TokenSweeper:
    """A daemon thread forgetting expired token ids every ``interval`` seconds.

    Off the request path: a request never waits for the delete, which reads a
    range of ``ix_seen_token_expires_at`` (migration v0009), not the table.
    """

    def __init__(
        self, uses: SqlTokenUses, clock: Clock, *, interval: float = SWEEP_INTERVAL_SECONDS
    ) -> None:
        if interval <= 0:
            raise ValueError("the sweeping interval must be positive")
        self._uses = uses
        self._clock = clock
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def sweep(self) -> int | None:
        """Forget expired ids once; ``None`` when the database failed (logged, retried later)."""
        try:
            forgotten = self._uses.forget_expired(self._clock.now())
        except Exception as exc:  # the thread must survive a database outage
            log.error("token_sweep.failed", error=type(exc).__name__)
            return None
        if forgotten:
            log.info("token_sweep.forgotten", count=forgotten)
        return forgotten

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.sweep()

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the token sweeper is already running")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="token-sweeper", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
