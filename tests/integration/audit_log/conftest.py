"""Fixtures for the decision log's storage tests: a migrated database (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import Engine

from gateway.audit.checkpoints import Checkpointer
from gateway.audit.log import DecisionLog
from gateway.audit.signer import NoteSigner
from gateway.store.db import make_engine, migrate

ORIGIN = "test.example/decisions"
T0 = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)


def fixed_signer(seed: int = 1, name: str = ORIGIN) -> NoteSigner:
    return NoteSigner(name, Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32))


def leaf(i: int) -> bytes:
    return b'{"kind":"decision","n":%d,"v":1}' % i


def at(i: int) -> datetime:
    return T0 + timedelta(seconds=i)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def log(engine: Engine) -> DecisionLog:
    return DecisionLog(engine)


@pytest.fixture
def checkpointer(log: DecisionLog) -> Checkpointer:
    return Checkpointer(log, fixed_signer())


def fill(log: DecisionLog, start: int, end: int) -> list[int]:
    return [log.append("decision", leaf(i), at=at(i)) for i in range(start, end)]
