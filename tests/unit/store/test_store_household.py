"""Shared-household detection: a fact the gateway computes, never the requester."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from gateway.store.db import session
from gateway.store.taxpayers import SubjectQuery, resolve_subject


@pytest.fixture
def db(demo_engine: Engine) -> Iterator[Session]:
    with session(demo_engine) as s:
        yield s


def test_a_taxpayer_living_with_another_is_in_a_shared_household(db: Session) -> None:
    maria = resolve_subject(db, SubjectQuery(tin="900-70-2002", first="Maria", last="Gonzalez"))
    assert maria.taxpayer_id is not None
    assert maria.household_members >= 1


def test_a_taxpayer_alone_at_the_address_has_no_household_members(db: Session) -> None:
    rivera = resolve_subject(db, SubjectQuery(tin="123-45-6789", first="Jordan", last="Rivera"))
    assert rivera.household_members == 0


def test_no_match_has_no_household(db: Session) -> None:
    nobody = resolve_subject(db, SubjectQuery(tin="123-45-0001", first="No", last="Body"))
    assert nobody.taxpayer_id is None
    assert nobody.household_members == 0
