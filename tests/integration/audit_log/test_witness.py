"""An auditor's witness: it accepts a log that only grew and catches one that rewrote history."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from gateway.audit.checkpoints import Checkpointer
from gateway.audit.errors import InconsistentCheckpointError
from gateway.audit.log import DecisionLog
from gateway.audit.witness import WitnessState, witness
from gateway.store.db import make_engine, migrate
from tests.integration.audit_log.conftest import T0, at, fill, fixed_signer


class LocalLog:
    """The log endpoints answered straight from a log's storage (what the HTTP API serves)."""

    def __init__(self, log: DecisionLog, checkpointer: Checkpointer) -> None:
        self.log = log
        self.checkpointer = checkpointer

    def checkpoint(self) -> str:
        return self.checkpointer.publish(T0).note

    def consistency(self, first: int, second: int) -> list[bytes]:
        return self.log.consistency_proof(first, second)

    def inclusion(self, index: int, size: int) -> list[bytes]:
        return self.log.inclusion_proof(index, size)

    def entries(self, start: int, end: int) -> list[bytes]:
        return [e.body for e in self.log.entries(start, end)]


@pytest.fixture
def server(log: DecisionLog, checkpointer: Checkpointer) -> LocalLog:
    return LocalLog(log, checkpointer)


def _state(server: LocalLog) -> WitnessState:
    return WitnessState(verifier_key=server.checkpointer.signer.verifier_key_text())


def test_first_step_pins_the_current_checkpoint(server: LocalLog) -> None:
    fill(server.log, 0, 3)
    step = witness(_state(server), server)
    assert step.previous is None
    assert step.current.size == 3
    assert step.state.checkpoint is not None


def test_a_log_that_grew_is_proven_consistent_and_remembered(server: LocalLog) -> None:
    fill(server.log, 0, 3)
    state = witness(_state(server), server).state
    fill(server.log, 3, 9)
    step = witness(state, server)
    assert step.previous is not None
    assert (step.previous.size, step.current.size, step.advanced) == (3, 9, True)
    assert witness(step.state, server).advanced is False


def test_a_log_showing_another_history_is_caught_and_the_state_kept(
    server: LocalLog, tmp_path_factory: pytest.TempPathFactory, engine: Engine
) -> None:
    fill(server.log, 0, 5)
    state = witness(_state(server), server).state
    # The same key signs a second history on another database: a fork.
    other_engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('fork') / 'fork.db'}")
    migrate(other_engine)
    other = DecisionLog(other_engine)
    for i in range(8):
        other.append("decision", b'{"forked":%d}' % i, at=at(i))
    fork = LocalLog(other, Checkpointer(other, fixed_signer()))
    with pytest.raises(InconsistentCheckpointError):
        witness(state, fork)
    other_engine.dispose()


def test_a_stale_but_consistent_checkpoint_does_not_move_the_witness_back(
    server: LocalLog, log: DecisionLog
) -> None:
    fill(log, 0, 4)
    stale = server.checkpoint()
    fill(log, 4, 6)
    state = witness(_state(server), server).state

    class Stale(LocalLog):
        def checkpoint(self) -> str:
            return stale

    step = witness(state, Stale(log, server.checkpointer))
    assert step.advanced is False
    assert step.state == state
