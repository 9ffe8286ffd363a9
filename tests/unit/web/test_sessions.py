"""Browser sessions: short-lived, ended by sign-out, unguessable, CSRF-bound, and kept in the
database so that every worker process (and replica) sees the same ones."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from gateway.db import make_engine, migrate
from gateway.web.sessions import WEB_SESSION, SessionStore, metadata, tokens_match
from tests.schema_drift import schema_drift

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LIFE = timedelta(minutes=15)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


def test_migrations_create_exactly_the_session_table(engine: Engine) -> None:
    drift: list[Any] = schema_drift(engine, metadata)
    assert drift == []


def test_a_session_lives_for_its_lifetime_from_sign_in_and_not_a_second_more(
    engine: Engine,
) -> None:
    store = SessionStore(engine, "audit", LIFE)
    sid, session = store.create("auditor-1", "auditor", T0)
    assert session.expires_at == T0 + LIFE
    assert store.get(sid, T0 + timedelta(minutes=14, seconds=59)) == session
    assert store.get(sid, T0 + LIFE) is None
    assert len(store) == 0  # an expired session is dropped, not kept around


def test_a_session_opened_by_one_process_is_found_and_ended_by_another(
    engine: Engine, database_url: str
) -> None:
    """Two engines on one database stand for two worker processes."""
    other = make_engine(database_url)
    try:
        sid, session = SessionStore(engine, "audit", LIFE).create("auditor-1", "auditor", T0)
        assert SessionStore(other, "audit", LIFE).get(sid, T0) == session
        SessionStore(other, "audit", LIFE).end(sid)
        assert SessionStore(engine, "audit", LIFE).get(sid, T0) is None
    finally:
        other.dispose()


def test_one_areas_session_does_not_open_the_other(engine: Engine) -> None:
    sid, _ = SessionStore(engine, "audit", LIFE).create("auditor-1", "auditor", T0)
    review = SessionStore(engine, "review", LIFE)
    assert review.get(sid, T0) is None
    review.end(sid)  # nor can the other area end it
    assert SessionStore(engine, "audit", LIFE).get(sid, T0) is not None


def test_using_a_session_does_not_extend_it(engine: Engine) -> None:
    store = SessionStore(engine, "audit", LIFE)
    sid, _ = store.create("auditor-1", "auditor", T0)
    for minute in range(15):
        assert store.get(sid, T0 + timedelta(minutes=minute)) is not None
    assert store.get(sid, T0 + LIFE) is None


def test_sign_out_ends_the_session_at_once(engine: Engine) -> None:
    store = SessionStore(engine, "audit", LIFE)
    sid, _ = store.create("auditor-1", "auditor", T0)
    store.end(sid)
    assert store.get(sid, T0) is None


def test_a_sign_in_deletes_expired_sessions(engine: Engine) -> None:
    store = SessionStore(engine, "audit", LIFE)
    store.create("auditor-1", "auditor", T0)
    store.create("auditor-2", "auditor", T0 + LIFE)
    assert len(store) == 1


def test_unknown_and_missing_cookies_find_no_session(engine: Engine) -> None:
    store = SessionStore(engine, "audit", LIFE)
    sid, _ = store.create("auditor-1", "auditor", T0)
    assert store.get(None, T0) is None
    assert store.get("", T0) is None
    assert store.get(sid[:-1], T0) is None


def test_each_session_has_its_own_unguessable_id_and_csrf_token(engine: Engine) -> None:
    store = SessionStore(engine, "audit", LIFE)
    made = [store.create("auditor-1", "auditor", T0) for _ in range(50)]
    ids = {sid for sid, _ in made}
    csrf = {s.csrf_token for _, s in made}
    assert len(ids) == 50
    assert len(csrf) == 50
    assert all(len(sid) >= 43 for sid in ids)  # 256 bits, URL-safe base64
    assert ids.isdisjoint(csrf)


def test_the_table_does_not_keep_cookie_values_in_the_clear(engine: Engine) -> None:
    sid, _ = SessionStore(engine, "audit", LIFE).create("auditor-1", "auditor", T0)
    with engine.connect() as conn:
        rows = [tuple(map(str, r)) for r in conn.execute(select(WEB_SESSION)).all()]
    assert len(rows) == 1
    assert all(sid not in value for value in rows[0])


def test_csrf_tokens_match_only_when_equal_and_present() -> None:
    assert tokens_match("abc", "abc")
    assert not tokens_match("abc", "abd")
    assert not tokens_match("abc", None)
    assert not tokens_match("abc", "")
    assert not tokens_match("", "")


def test_a_lifetime_must_be_positive(engine: Engine) -> None:
    with pytest.raises(ValueError, match="positive"):
        SessionStore(engine, "audit", timedelta(0))
