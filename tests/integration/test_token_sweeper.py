"""The running gateway forgets expired token ids in the background (issue 11 item 2)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from gateway.settings import Settings
from gateway.store.token_uses import TokenSweeper
from tests.support import running_gateway


def test_the_gateway_sweeps_expired_tokens_while_it_serves(settings: Settings) -> None:
    with running_gateway(settings) as client:
        sweeper = _sweeper(client)
        assert sweeper.running
    assert not sweeper.running


def _sweeper(client: TestClient) -> TokenSweeper:
    sweeper = client.app.state.services.token_sweeper  # type: ignore[attr-defined]
    assert isinstance(sweeper, TokenSweeper)
    return sweeper
