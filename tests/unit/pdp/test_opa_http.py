"""The OPA adapter over real HTTP: one wall-clock deadline per decision, and no redirects.

The servers are the stand-ins of ``tests.standin_opa``: each answers a
well-formed ALLOW, so a refusal here is about how the answer arrived.
"""

from __future__ import annotations

import time

import pytest

from gateway.errors import PolicyEngineUnavailableError
from gateway.pdp.opa import OpaPolicyEngine
from tests.standin_opa import DripHandler, PromptHandler, RedirectHandler, stand_in

INPUT = {"taxpayers": [{"ref": "s1"}, {"ref": "s2"}]}


def test_a_prompt_well_formed_answer_is_a_decision() -> None:
    """The control for the tests below: the stand-in's answer itself is acceptable."""
    with stand_in(PromptHandler) as server:
        engine = OpaPolicyEngine(server.url, timeout_seconds=5)
        try:
            assert [s.ref for s in engine.decide(INPUT).subjects] == ["s1", "s2"]
            assert engine.healthy()
        finally:
            engine.close()


@pytest.mark.parametrize("where", ["body", "head"])
def test_an_answer_dripped_past_the_deadline_is_refused_long_before_it_ends(where: str) -> None:
    # Every piece arrives 0.5 s after the last, well within a 1 s per-read timeout;
    # the whole answer takes 20 x 0.5 = 10 s against a 1 s deadline.
    with stand_in(DripHandler, where=where, pieces=20, interval=0.5) as server:
        engine = OpaPolicyEngine(server.url, timeout_seconds=1.0)
        try:
            started = time.monotonic()
            with pytest.raises(PolicyEngineUnavailableError, match="in time"):
                engine.decide(INPUT)
            assert time.monotonic() - started < 5.0, "the deadline did not bound the whole read"
        finally:
            engine.close()


def test_a_redirect_is_refused_and_never_followed() -> None:
    with (
        stand_in(PromptHandler) as elsewhere,
        stand_in(RedirectHandler, location=elsewhere.url) as server,
    ):
        engine = OpaPolicyEngine(server.url, timeout_seconds=5)
        try:
            with pytest.raises(PolicyEngineUnavailableError, match="redirect"):
                engine.decide(INPUT)
            assert server.requests == 1
            assert elsewhere.requests == 0, "the decision was asked of another server"
        finally:
            engine.close()


def test_a_redirecting_health_check_is_not_healthy() -> None:
    with (
        stand_in(PromptHandler) as elsewhere,
        stand_in(RedirectHandler, location=elsewhere.url) as server,
    ):
        engine = OpaPolicyEngine(server.url, timeout_seconds=5)
        try:
            assert not engine.healthy()
        finally:
            engine.close()
