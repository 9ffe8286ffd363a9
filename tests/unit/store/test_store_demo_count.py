from __future__ import annotations

from gateway.store.commands import DEMO_TAXPAYERS
from gateway.store.demo import DEMO_RECORDS


def test_seed_command_minimum_is_the_number_of_demo_taxpayers() -> None:
    assert len(DEMO_RECORDS) == DEMO_TAXPAYERS
