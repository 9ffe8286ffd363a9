"""Auditor browser sessions: short-lived, ended by sign-out, unguessable, CSRF-bound."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gateway.web.sessions import SessionStore, tokens_match

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_a_session_lives_for_its_lifetime_from_sign_in_and_not_a_second_more() -> None:
    store = SessionStore(timedelta(minutes=15))
    sid, session = store.create("auditor-1", "auditor", T0)
    assert session.expires_at == T0 + timedelta(minutes=15)
    assert store.get(sid, T0 + timedelta(minutes=14, seconds=59)) == session
    assert store.get(sid, T0 + timedelta(minutes=15)) is None
    assert len(store) == 0  # an expired session is dropped, not kept around


def test_using_a_session_does_not_extend_it() -> None:
    store = SessionStore(timedelta(minutes=15))
    sid, _ = store.create("auditor-1", "auditor", T0)
    for minute in range(15):
        assert store.get(sid, T0 + timedelta(minutes=minute)) is not None
    assert store.get(sid, T0 + timedelta(minutes=15)) is None


def test_sign_out_ends_the_session_at_once() -> None:
    store = SessionStore(timedelta(minutes=15))
    sid, _ = store.create("auditor-1", "auditor", T0)
    store.end(sid)
    assert store.get(sid, T0) is None


def test_unknown_and_missing_cookies_find_no_session() -> None:
    store = SessionStore(timedelta(minutes=15))
    sid, _ = store.create("auditor-1", "auditor", T0)
    assert store.get(None, T0) is None
    assert store.get("", T0) is None
    assert store.get(sid[:-1], T0) is None


def test_each_session_has_its_own_unguessable_id_and_csrf_token() -> None:
    store = SessionStore(timedelta(minutes=15))
    made = [store.create("auditor-1", "auditor", T0) for _ in range(50)]
    ids = {sid for sid, _ in made}
    csrf = {s.csrf_token for _, s in made}
    assert len(ids) == 50
    assert len(csrf) == 50
    assert all(len(sid) >= 43 for sid in ids)  # 256 bits, URL-safe base64
    assert ids.isdisjoint(csrf)


def test_the_store_does_not_keep_cookie_values_in_the_clear() -> None:
    store = SessionStore(timedelta(minutes=15))
    sid, _ = store.create("auditor-1", "auditor", T0)
    assert sid not in store._sessions


def test_csrf_tokens_match_only_when_equal_and_present() -> None:
    assert tokens_match("abc", "abc")
    assert not tokens_match("abc", "abd")
    assert not tokens_match("abc", None)
    assert not tokens_match("abc", "")
    assert not tokens_match("", "")


def test_a_lifetime_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        SessionStore(timedelta(0))
