"""A started gateway raises the cyclic collector's thresholds (issue 11: at CPython's
default, one 10,000-subject lookup spent a third of its CPU in full collections)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.app import GC_THRESHOLDS
from tests.support import make_settings, running_gateway


@pytest.fixture
def default_thresholds() -> Iterator[None]:
    """CPython's default before the app starts (another test's app may have raised them)."""
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*before)


@pytest.mark.usefixtures("default_thresholds")
def test_started_gateway_collects_less_often(tmp_path: Path, opa_binary: Path) -> None:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'g.db'}", opa_binary)
    with running_gateway(settings) as client:
        assert client.get("/readyz").status_code == 200
        assert gc.get_threshold() == GC_THRESHOLDS
    assert GC_THRESHOLDS[0] >= 50_000
