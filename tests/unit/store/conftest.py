"""Fixtures for the datastore's unit tests: a migrated SQLite file per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from gateway.store.db import make_engine, migrate
from gateway.store.importer import import_jsonl
from tests.conftest import DEMO_JSONL


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A freshly migrated, empty SQLite store."""
    eng = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def demo_engine(engine: Engine) -> Engine:
    """A store holding exactly the demo fixture file (demo taxpayers, ids 1-8, and extras)."""
    import_jsonl(engine, DEMO_JSONL)
    return engine
