"""Helpers for tests that drive a whole gateway: settings, keys, data, tokens."""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.engine import Engine

from gateway.app import create_app
from gateway.auth.keys import GATEWAY_KEY_NAME, KeyStore
from gateway.auth.registry import Registry
from gateway.auth.tokens import StaffRole, mint_token
from gateway.settings import Settings
from gateway.store.db import make_engine, migrate
from gateway.store.importer import import_jsonl
from gateway.store.models import LOOKUP
from tests.conftest import DEMO_JSONL, POLICY_DIR
from tests.scenarios import order_record


def make_settings(home: Path, database_url: str, opa_binary: Path, **extra: object) -> Settings:
    # A generous OPA deadline: these tests are about decisions, not latency (the deadline
    # itself is tested in tests/integration/test_fail_closed.py with its own setting).
    values: dict[str, object] = {
        "policy_dir": POLICY_DIR,
        "policy_reload_interval_seconds": 0,
        "opa_timeout_seconds": 10,
    }
    values.update(extra)
    return Settings(
        home=home,
        database_url=database_url,
        opa_binary=opa_binary,
        **values,  # type: ignore[arg-type]
    )


def prepare_home(settings: Settings) -> None:
    """Keys for every registered agency and the demo taxpayers, as `make setup` would."""
    keys = KeyStore(settings.keys_dir)
    for issuer in [GATEWAY_KEY_NAME, *Registry.load(settings.policy_dir).agencies]:
        keys.ensure(issuer)
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    import_jsonl(engine, DEMO_JSONL)
    engine.dispose()


def forged_agency_token(agency: str, official: str, audience: str) -> str:
    """A well-formed token for a registered agency and official, signed with a key the
    gateway has never seen: what S19's ``signature_valid`` false looks like on the wire."""
    with tempfile.TemporaryDirectory() as tmp:
        keys = KeyStore(Path(tmp))
        keys.ensure(agency)
        return mint_token(
            keys, issuer=agency, subject=official, audience=audience, now=datetime.now(UTC)
        )


def official_for(agency: str, role: str) -> str:
    registry = Registry.load(POLICY_DIR)
    for o in sorted(registry.officials.values(), key=lambda o: (o.acting, o.id)):
        if o.agency in (agency, registry.agencies[agency].parent) and o.role == role:
            return o.id
    raise LookupError(f"no official with role {role} at {agency} in the registry")


def staff_id(role: StaffRole) -> str:
    """The staff member a test token for ``role`` names by default (the demo registry's)."""
    return Registry.load(POLICY_DIR).staff_id_for(role, None)


class Tokens:
    def __init__(self, settings: Settings) -> None:
        self.keys = KeyStore(settings.keys_dir)
        self.audience = settings.audience
        self.policy_dir = settings.policy_dir

    def agency(self, agency: str, role: str) -> dict[str, str]:
        return self.agency_official(agency, official_for(agency, role))

    def agency_official(self, agency: str, official: str) -> dict[str, str]:
        tok = mint_token(
            self.keys,
            issuer=agency,
            subject=official,
            audience=self.audience,
            now=datetime.now(UTC),
            lifetime=timedelta(minutes=5),
        )
        return {"Authorization": f"Bearer {tok}"}

    def staff(self, role: StaffRole, subject: str | None = None) -> dict[str, str]:
        """A token for ``subject`` (a staff registry id), by default the first registered
        active member holding ``role``: tokens for anyone else are refused."""
        tok = mint_token(
            self.keys,
            issuer=GATEWAY_KEY_NAME,
            subject=Registry.load(self.policy_dir).staff_id_for(role, subject),
            audience=self.audience,
            now=datetime.now(UTC),
            role=role,
        )
        return {"Authorization": f"Bearer {tok}"}


@contextmanager
def running_gateway(settings: Settings) -> Iterator[TestClient]:
    """The whole app in-process, with its own local OPA child process."""
    with TestClient(create_app(settings)) as client:
        yield client


def record_order(client: TestClient, tokens: Tokens, order: dict[str, Any]) -> dict[str, Any]:
    """A court liaison records ``order`` (a request's ``court_order``) as verified on the
    docket, as staff must before an agency's lookup under it can be decided on it."""
    resp = client.post(
        "/v1/court-orders", json=order_record(order), headers=tokens.staff("court_liaison")
    )
    assert resp.status_code == 201, resp.text
    recorded: dict[str, Any] = resp.json()
    return recorded


def write_lookup_history(engine: Engine, n: int, now: datetime, agency: str) -> None:
    """``n`` answered lookups of ``agency`` over the 23 hours before ``now``, each with its
    own payload and subjects digests: history for the duplicate (GW-3b) probes to search,
    written straight into ``lookup`` in bulk (tests and bench/history.py)."""
    rows = [
        {
            "decision_id": f"hist-{i}",
            "request_id": f"HIST-{i}",
            "agency_id": agency,
            "payload_sha256": secrets.token_hex(32),
            "subjects_digest": secrets.token_hex(32),
            "status": ("allowed", "partially_allowed", "pending_review", "denied")[i % 4],
            "response_json": '{"outcome": "allowed"}',
            "created_at": now - timedelta(seconds=(i * 82_800) // max(n, 1)),
        }
        for i in range(n)
    ]
    with engine.begin() as conn:
        for start in range(0, n, 10_000):
            conn.execute(insert(LOOKUP), rows[start : start + 10_000])
