"""The replay memory: every token id the gateway accepted, and what its first use was.

One row per ``jti`` (the primary key), written once and never updated. The
first use of a token inserts its row; the row's ``first_use`` is what every
later use is judged against (:mod:`gateway.auth.tokens`, check 5). Because
the row is never changed, two concurrent first uses cannot both win: one
insert succeeds, the other hits the primary key and reads the winner's row.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from gateway.auth.tokens import TokenUse
from gateway.errors import DatastoreUnavailableError
from gateway.store.db import write_transaction
from gateway.store.models import SEEN_TOKEN


class SqlTokenUses:
    """:class:`gateway.auth.tokens.ReplayGuard` on the gateway's database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def first_use(
        self, jti: str, issuer: str, expires_at: datetime, use: TokenUse
    ) -> TokenUse | None:
        try:
            # A read token is presented again and again: look before taking a write lock.
            known = self._recorded(jti)
            if known is not None:
                return known
            try:
                with write_transaction(self._engine) as conn:
                    conn.execute(
                        insert(SEEN_TOKEN).values(
                            jti=jti, agency_or_issuer=issuer, expires_at=expires_at, first_use=use
                        )
                    )
            except IntegrityError:
                # Someone used it first, between the look and the insert. A row gone again
                # (expired and forgotten) is treated as spent: fail closed.
                return self._recorded(jti) or "write"
        except SQLAlchemyError as exc:
            raise DatastoreUnavailableError("token replay memory is unavailable") from exc
        return None

    def _recorded(self, jti: str) -> TokenUse | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(SEEN_TOKEN.c.first_use).where(SEEN_TOKEN.c.jti == jti)
            ).scalar_one_or_none()
        if row is None:
            return None
        # Anything but a recorded read counts as spent.
        return "read" if row == "read" else "write"

    def forget_expired(self, now: datetime, grace: timedelta = timedelta(minutes=5)) -> int:
        """Drop rows of tokens expired longer than ``grace`` ago (past any clock skew)."""
        with write_transaction(self._engine) as conn:
            result = conn.execute(delete(SEEN_TOKEN).where(SEEN_TOKEN.c.expires_at < now - grace))
        return int(result.rowcount)
