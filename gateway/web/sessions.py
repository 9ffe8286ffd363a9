"""Browser sessions for the signed-in pages: server-side, short-lived, one CSRF token each.

Why server-side: a browser cannot send the bearer token the API wants on every
click, so signing in exchanges one staff token for a session. Keeping the
session on the server (the cookie holds only 256 random bits) means signing
out really ends it, a stolen cookie dies with the session, and nothing about
the person travels in the cookie. Sessions are short (the
``GATEWAY_AUDIT_SESSION_MINUTES`` setting, counted from sign-in, not renewed by
use).

Why in the database (table ``web_session``, migration v0012), not in memory:
``gateway serve --workers N`` runs N processes and the kernel hands each
connection to any of them, so a session one worker opened must be found, and
a sign-out one worker did must end it, in all of them (and in every replica
sharing the database). A row is stored under a hash of the cookie value, so a
copy of the table (a backup, a replica) does not hand out live cookies; it is
bound to its area (``audit``, ``review``), so one area's cookie never opens the
other. Expired rows are deleted when they are met and at each sign-in.

The cookie is ``HttpOnly`` (no script reads it), ``SameSite=Strict`` (no other
site's page can make the browser send it) and ``Secure`` outside development.
Every form that changes state also carries the session's CSRF token, compared in
constant time: SameSite is the first wall and the token the second, for browsers
or proxies that do not honour SameSite. The sign-in form, which has no session
yet, is protected the same way by a pre-session cookie (login CSRF: another site
must not sign the browser in as someone else).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, Index, MetaData, String, Table, delete, func, insert, select
from sqlalchemy.engine import Engine

from gateway.db import AwareDateTime

SESSION_COOKIE = "gateway_audit_session"
SIGNIN_COOKIE = "gateway_audit_signin"
COOKIE_PATH = "/audit/"
MAX_SESSIONS = 10_000
"""Bound on live sessions of one area: each sign-in costs a fresh staff token, so
this is never reached by honest use; past it the oldest sessions are dropped."""

metadata = MetaData()

WEB_SESSION = Table(
    "web_session",
    metadata,
    Column("key", String, primary_key=True),
    Column("area", String, nullable=False),
    Column("subject", String, nullable=False),
    Column("role", String, nullable=False),
    Column("csrf_token", String, nullable=False),
    Column("created_at", AwareDateTime, nullable=False),
    Column("expires_at", AwareDateTime, nullable=False),
    Index("ix_web_session_expires_at", "expires_at"),
    Index("ix_web_session_area_created", "area", "created_at"),
)
"""Created by migration v0012; ``tests/unit/web/test_sessions.py`` compares the two."""


@dataclass(frozen=True)
class AuditSession:
    """A signed-in auditor: who (the token's ``sub``), until when, and the form token."""

    subject: str
    role: str
    csrf_token: str
    created_at: datetime
    expires_at: datetime


def _key(session_id: str) -> str:
    """Sessions are stored by a hash of the cookie value, so a dump of the store
    (a debugger, a core file) does not hand out live cookies."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def tokens_match(expected: str, supplied: str | None) -> bool:
    """Constant-time comparison of a CSRF token; a missing one never matches."""
    if not supplied or not expected:
        return False
    return hmac.compare_digest(expected.encode(), supplied.encode())


class SessionStore:
    """The live sessions of one area, in the database every worker process shares."""

    def __init__(self, engine: Engine, area: str, lifetime: timedelta) -> None:
        if lifetime <= timedelta(0):
            raise ValueError("a session lifetime must be positive")
        self.engine = engine
        self.area = area
        self.lifetime = lifetime

    def create(self, subject: str, role: str, now: datetime) -> tuple[str, AuditSession]:
        """A new session; returns the cookie value (shown once) and the session."""
        session_id = secrets.token_urlsafe(32)
        session = AuditSession(
            subject=subject,
            role=role,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + self.lifetime,
        )
        t = WEB_SESSION
        with self.engine.begin() as conn:
            conn.execute(delete(t).where(t.c.expires_at <= now))
            live = conn.execute(
                select(func.count()).select_from(t).where(t.c.area == self.area)
            ).scalar_one()
            if live >= MAX_SESSIONS:
                oldest = (
                    select(t.c.key)
                    .where(t.c.area == self.area)
                    .order_by(t.c.created_at)
                    .limit(live - MAX_SESSIONS + 1)
                )
                conn.execute(delete(t).where(t.c.key.in_(oldest.scalar_subquery())))
            conn.execute(
                insert(t).values(
                    key=_key(session_id),
                    area=self.area,
                    subject=subject,
                    role=role,
                    csrf_token=session.csrf_token,
                    created_at=now,
                    expires_at=session.expires_at,
                )
            )
        return session_id, session

    def get(self, session_id: str | None, now: datetime) -> AuditSession | None:
        """The live session for a cookie value, or None (absent, unknown, expired)."""
        if not session_id:
            return None
        t = WEB_SESSION
        where = (t.c.key == _key(session_id), t.c.area == self.area)
        with self.engine.connect() as conn:
            row = conn.execute(
                select(t.c.subject, t.c.role, t.c.csrf_token, t.c.created_at, t.c.expires_at).where(
                    *where
                )
            ).first()
        if row is None:
            return None
        if now >= row.expires_at:
            with self.engine.begin() as conn:
                conn.execute(delete(t).where(*where))
            return None
        return AuditSession(
            subject=row.subject,
            role=row.role,
            csrf_token=row.csrf_token,
            created_at=row.created_at,
            expires_at=row.expires_at,
        )

    def end(self, session_id: str | None) -> None:
        """Sign out: the cookie value stops working at once, in every worker."""
        if session_id:
            t = WEB_SESSION
            with self.engine.begin() as conn:
                conn.execute(delete(t).where(t.c.key == _key(session_id), t.c.area == self.area))

    def __len__(self) -> int:
        t = WEB_SESSION
        with self.engine.connect() as conn:
            count: int = conn.execute(
                select(func.count()).select_from(t).where(t.c.area == self.area)
            ).scalar_one()
        return count
