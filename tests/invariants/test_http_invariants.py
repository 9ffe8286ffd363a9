"""The lookup invariants over real HTTP, against `gateway serve` as a user would run it.

`gateway keys init` and `gateway seed` prepare a fresh home, `gateway serve`
answers on a loopback port (its own OPA child, SQLite), and every request is
a signed token and a JSON body over a socket. The decision log and the audit
key are read from the served gateway's home, as an auditor on its host would.
The same strategies and property checks as the in-process layer, fewer examples.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from gateway.audit.log import DecisionLog
from gateway.pdp.process import free_loopback_port
from gateway.store.db import make_engine
from tests.e2e.served import GATEWAY, cli, gateway_env, wait_ready
from tests.invariants import strategies as s
from tests.invariants.conftest import NAME_SCORE_FLOOR, POPULATION, Bases
from tests.invariants.harness import Exchange, OpaServer, Reply, exchange
from tests.invariants.profiles import scaled
from tests.invariants.properties import (
    assert_decided_by_rules,
    assert_nothing_disclosed,
    assert_only_the_last_known_address,
    assert_weak_match_not_released,
)
from tests.invariants.world import Edit, FreshTaxpayers, contents, draft

pytestmark = [pytest.mark.invariant, pytest.mark.e2e]

HTTP = scaled(2.0)
"""Over HTTP: twice the profile's examples per test (160 in CI, two tests: a few hundred)."""


class ServedGateway:
    """`gateway serve` in a subprocess, as a :class:`harness.Gateway`."""

    def __init__(self, url: str, home: Path) -> None:
        self.url = url
        self.home = home
        self._http = httpx.Client(base_url=url, timeout=30)
        self._routes = set(self._http.get("/openapi.json").json()["paths"])
        self._engine = make_engine(f"sqlite:///{(home / 'gateway.db').resolve()}")
        self._log = DecisionLog(self._engine)

    def post(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> Reply:
        return self._http.post(path, json=body, headers=headers)

    def has_route(self, path: str) -> bool:
        return path in self._routes

    def log(self) -> DecisionLog:
        return self._log

    def close(self) -> None:
        self._http.close()
        self._engine.dispose()


@pytest.fixture(scope="module")
def served_gateway(
    tmp_path_factory: pytest.TempPathFactory, policy_dir: Path
) -> Iterator[ServedGateway]:
    home = tmp_path_factory.mktemp("invariants-http") / "home"
    env = gateway_env(home)
    env["GATEWAY_POLICY_DIR"] = str(policy_dir)
    cli(env, "keys", "init")
    cli(env, "seed", "--taxpayers", str(POPULATION))
    port = free_loopback_port()
    log_path = home / "serve.log"
    with log_path.open("wb") as out:
        proc = subprocess.Popen(
            [GATEWAY, "serve", "--port", str(port)], env=env, stdout=out, stderr=out
        )
        url = f"http://127.0.0.1:{port}"
        gateway = None
        try:
            wait_ready(url, proc, log_path)
            gateway = ServedGateway(url, home)
            yield gateway
        finally:
            if gateway is not None:
                gateway.close()
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="module")
def http_pool(served_gateway: ServedGateway) -> Iterator[FreshTaxpayers]:
    engine = make_engine(f"sqlite:///{(served_gateway.home / 'gateway.db').resolve()}")
    try:
        yield FreshTaxpayers(engine)
    finally:
        engine.dispose()


def _send(
    gateway: ServedGateway,
    opa: OpaServer,
    pool: FreshTaxpayers,
    bases: Bases,
    request: tuple[str, list[Edit]],
) -> Exchange:
    ex = exchange(gateway, opa, draft(bases[request[0]], pool.take(), request[1]))
    event(f"answer {ex.answer['outcome']}")
    return ex


@HTTP
@given(request=s.requests(noise=s.any_edit))
def test_over_http_any_request_keeps_the_lookup_invariants(
    served_gateway: ServedGateway,
    opa: OpaServer,
    http_pool: FreshTaxpayers,
    bases: Bases,
    request: tuple[str, list[Edit]],
) -> None:
    ex = _send(served_gateway, opa, http_pool, bases, request)
    assert_only_the_last_known_address(ex)
    assert_decided_by_rules(ex)
    assert_weak_match_not_released(ex.policy_input, ex.decision, NAME_SCORE_FLOOR)
    c = contents(ex.draft)
    if c.enjoined:
        assert_nothing_disclosed(ex, ", ".join(k for k, v in vars(c).items() if v))


@HTTP
@given(
    request=s.requests(
        then=st.one_of(
            s.dhs_requester, s.dhs_recipient(), s.dhs_onward(), s.title8(), s.immigration_purpose
        )
    )
)
def test_over_http_nothing_touching_dhs_or_immigration_is_disclosed(
    served_gateway: ServedGateway,
    opa: OpaServer,
    http_pool: FreshTaxpayers,
    bases: Bases,
    request: tuple[str, list[Edit]],
) -> None:
    ex = _send(served_gateway, opa, http_pool, bases, request)
    c = contents(ex.draft)
    assert c.enjoined
    assert_nothing_disclosed(ex, ", ".join(k for k, v in vars(c).items() if v))
