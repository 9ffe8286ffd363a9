"""Browser sessions for the auditor pages: server-side, short-lived, one CSRF token each.

Why server-side and in memory: a browser cannot send the bearer token the API
wants on every click, so signing in exchanges one auditor token for a session.
Keeping the session on the server (the cookie holds only 256 random bits) means
signing out really ends it, a stolen cookie dies with the session, and nothing
about the auditor travels in the cookie. Sessions are short (the
``GATEWAY_AUDIT_SESSION_MINUTES`` setting, counted from sign-in, not renewed by
use) and are lost when the gateway restarts, which only means signing in again.

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
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

SESSION_COOKIE = "gateway_audit_session"
SIGNIN_COOKIE = "gateway_audit_signin"
COOKIE_PATH = "/audit/"
MAX_SESSIONS = 10_000
"""Bound on live sessions: each sign-in costs a fresh auditor token, so this is
never reached by honest use; past it the oldest session is dropped."""


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
    """Live sessions, by hashed cookie value; safe to use from several threads."""

    def __init__(self, lifetime: timedelta) -> None:
        if lifetime <= timedelta(0):
            raise ValueError("a session lifetime must be positive")
        self.lifetime = lifetime
        self._sessions: dict[str, AuditSession] = {}
        self._lock = threading.Lock()

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
        with self._lock:
            self._expire(now)
            while len(self._sessions) >= MAX_SESSIONS:
                oldest = min(self._sessions, key=lambda k: self._sessions[k].created_at)
                del self._sessions[oldest]
            self._sessions[_key(session_id)] = session
        return session_id, session

    def get(self, session_id: str | None, now: datetime) -> AuditSession | None:
        """The live session for a cookie value, or None (absent, unknown, expired)."""
        if not session_id:
            return None
        key = _key(session_id)
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                return None
            if now >= session.expires_at:
                del self._sessions[key]
                return None
            return session

    def end(self, session_id: str | None) -> None:
        """Sign out: the cookie value stops working at once."""
        if session_id:
            with self._lock:
                self._sessions.pop(_key(session_id), None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)

    def _expire(self, now: datetime) -> None:
        for key in [k for k, s in self._sessions.items() if now >= s.expires_at]:
            del self._sessions[key]
