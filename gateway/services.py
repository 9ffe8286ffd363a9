"""The services container: everything a request handler may use, built once per process."""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from sqlalchemy.engine import Engine

from gateway.audit.log import DecisionLog
from gateway.audit.sealing import AuditKeys
from gateway.auth.keys import KeyStore
from gateway.auth.registry import Registry
from gateway.auth.tokens import TokenVerifier
from gateway.clock import Clock, SystemClock, UnsafePinnedClock
from gateway.pdp.opa import PolicyEngine
from gateway.pdp.revision import policy_revision
from gateway.pep import LookupPipeline, PipelineLimits
from gateway.settings import Settings
from gateway.store.db import make_engine, migrate
from gateway.store.lookups import LookupStore, SqlReplayGuard


@dataclass
class Services:
    """Everything a request handler may use, built once per process."""

    settings: Settings
    engine: Engine
    clock: Clock
    verifier: TokenVerifier
    policy: PolicyEngine
    decision_log: DecisionLog
    lookups: LookupStore
    pipeline: LookupPipeline


def make_clock(settings: Settings) -> Clock:
    if settings.pinned_clock is not None:
        structlog.get_logger(__name__).warning(
            "clock.pinned", instant=settings.pinned_clock.isoformat(), unsafe=True
        )
        return UnsafePinnedClock(settings.pinned_clock)
    return SystemClock()


def build_services(settings: Settings, policy: PolicyEngine) -> Services:
    settings.home.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    clock = make_clock(settings)
    keys = KeyStore(settings.keys_dir)
    registry = Registry.load(settings.policy_dir)
    verifier = TokenVerifier(
        keys=keys,
        registry=registry,
        replay=SqlReplayGuard(engine),
        audience=settings.audience,
        max_lifetime_seconds=settings.token_max_lifetime_seconds,
        leeway_seconds=settings.clock_skew_seconds,
    )
    decision_log = DecisionLog(engine)
    lookup_store = LookupStore(engine)
    pipeline = LookupPipeline(
        engine=engine,
        policy=policy,
        decision_log=decision_log,
        lookups=lookup_store,
        audit_keys=AuditKeys.load_or_create(settings.keys_dir),
        clock=clock,
        limits=PipelineLimits(max_subjects=settings.max_subjects),
        revision=policy_revision(settings.policy_dir),
    )
    return Services(
        settings=settings,
        engine=engine,
        clock=clock,
        verifier=verifier,
        policy=policy,
        decision_log=decision_log,
        lookups=lookup_store,
        pipeline=pipeline,
    )
