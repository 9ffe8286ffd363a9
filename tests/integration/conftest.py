"""A whole gateway in-process, on real OPA and a real database (SQLite and PostgreSQL).

``settings`` prepares a fresh home (keys, demo taxpayers); a test module that
needs other settings overrides that fixture alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gateway.settings import Settings
from tests.support import Tokens, make_settings, prepare_home, running_gateway


@pytest.fixture
def settings(tmp_path: Path, database_url: str, opa_binary: Path) -> Settings:
    s = make_settings(tmp_path / "home", database_url, opa_binary)
    prepare_home(s)
    return s


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with running_gateway(settings) as c:
        yield c


@pytest.fixture
def tokens(settings: Settings) -> Tokens:
    return Tokens(settings)
