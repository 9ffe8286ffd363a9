"""One gateway, one OPA server and one seeded datastore for every invariant test of a session.

The gateway runs in-process on SQLite with the real OPA binary, on the policy
directory under test (``GATEWAY_TEST_POLICY_DIR``, default ``policies/``), and
decides at its own clock: today, with the injunctions of the court-order
registry in force. The datastore is a seeded synthetic population large enough
that every example can ask about a taxpayer of its own (``world.FreshTaxpayers``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest
from fastapi.testclient import TestClient
from hypothesis import event
from hypothesis.control import currently_in_test_context

from gateway.audit.log import DecisionLog
from gateway.auth.keys import GATEWAY_KEY_NAME, KeyStore
from gateway.auth.registry import Registry
from gateway.settings import Settings
from gateway.store.db import make_engine, migrate
from gateway.store.seed import seed_population
from tests.conftest import POLICY_DIR
from tests.invariants.harness import Exchange, OpaServer, Reply, exchange, policy_dir_under_test
from tests.invariants.profiles import PROFILE
from tests.invariants.world import Base, Edit, FreshTaxpayer, FreshTaxpayers, draft, known_good
from tests.support import make_settings, running_gateway

POPULATION = max(40_000, PROFILE.max_examples * 80)
"""Seeded taxpayers: about one in five suits (``FreshTaxpayers``) and each is asked about
once; some twenty tests with their shrinking use a few thousand (the soak run many more)."""

NAME_SCORE_FLOOR = float(
    json.loads((POLICY_DIR / "params" / "data.json").read_text())["NAME_SCORE_FLOOR"]
)
"""The floor as the repository's policy states it (a mutant's own value does not count)."""


class InProcessGateway:
    """The whole app in this process (TestClient), as a :class:`harness.Gateway`."""

    def __init__(self, client: TestClient, home: Path) -> None:
        self.client = client
        self.home = home
        self._routes = set(client.get("/openapi.json").json()["paths"])

    def post(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> Reply:
        return self.client.post(path, json=body, headers=headers)

    def has_route(self, path: str) -> bool:
        return path in self._routes

    def log(self) -> DecisionLog:
        log: DecisionLog = self.client.app.state.services.decision_log  # type: ignore[attr-defined]
        return log


@pytest.fixture(scope="session")
def policy_dir() -> Path:
    return policy_dir_under_test()


@pytest.fixture(scope="session")
def invariant_settings(
    tmp_path_factory: pytest.TempPathFactory, opa_binary: Path, policy_dir: Path
) -> Settings:
    """A fresh home: keys for every registered agency, a seeded synthetic population."""
    home = tmp_path_factory.mktemp("invariants") / "home"
    settings = make_settings(
        home, f"sqlite:///{home.parent / 'gateway.db'}", opa_binary, policy_dir=policy_dir
    )
    keys = KeyStore(settings.keys_dir)
    for issuer in [GATEWAY_KEY_NAME, *Registry.load(POLICY_DIR).agencies]:
        keys.ensure(issuer)
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    seed_population(engine, POPULATION)
    engine.dispose()
    return settings


@pytest.fixture(scope="session")
def gateway(invariant_settings: Settings) -> Iterator[InProcessGateway]:
    with running_gateway(invariant_settings) as client:
        yield InProcessGateway(client, invariant_settings.home)


@pytest.fixture(scope="session")
def opa(
    opa_binary: Path, policy_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OpaServer]:
    log = tmp_path_factory.mktemp("opa") / "opa.log"
    with OpaServer(opa_binary, policy_dir, log) as server:
        yield server


@pytest.fixture(scope="session")
def pool(invariant_settings: Settings) -> Iterator[FreshTaxpayers]:
    engine = make_engine(invariant_settings.resolved_database_url)
    try:
        yield FreshTaxpayers(engine)
    finally:
        engine.dispose()


class Bases(dict[str, Base]):
    """Known-good requests by scenario id; shown by name, not content, in a failure."""

    def __repr__(self) -> str:
        return f"<known-good requests {', '.join(self)}>"


@pytest.fixture(scope="session")
def bases() -> Bases:
    return Bases(known_good())


class Ask(Protocol):
    def __call__(
        self, base: str, edits: list[Edit], taxpayer: FreshTaxpayer | None = None
    ) -> Exchange: ...


@pytest.fixture(scope="session")
def ask(gateway: InProcessGateway, opa: OpaServer, pool: FreshTaxpayers, bases: Bases) -> Ask:
    """Send known-good request ``base`` with ``edits``, about a taxpayer of its own
    (or about ``taxpayer``, to compare two requests about one person)."""

    def send(base: str, edits: list[Edit], taxpayer: FreshTaxpayer | None = None) -> Exchange:
        ex = exchange(gateway, opa, draft(bases[base], taxpayer or pool.take(), edits))
        # `--hypothesis-show-statistics` shows how often the search reached a disclosure
        if currently_in_test_context():
            event(f"answer {ex.answer['outcome']}")
        return ex

    return send
