"""The services container: everything a request handler may use, built once per process."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy.engine import Engine

from gateway.audit.checkpoints import Checkpointer, CheckpointPublisher
from gateway.audit.log import DecisionLog
from gateway.audit.provisioning import audit_keys as provisioned_audit_keys
from gateway.audit.provisioning import checkpoint_signer, key_store
from gateway.audit.record import policy_activation_record
from gateway.auditing.projection import project_leaves
from gateway.auditing.service import AuditService
from gateway.auth.registry import Registry
from gateway.auth.tokens import TokenVerifier
from gateway.clock import Clock, SystemClock, UnsafePinnedClock
from gateway.court_orders.service import CourtOrderService
from gateway.db import PoolOptions
from gateway.pdp.active import ActivePolicy
from gateway.pdp.catalog import RuleCatalog
from gateway.pdp.history import KIND, ActivationEvent, policy_change_record
from gateway.pdp.manager import PolicyManager
from gateway.pdp.shadow import KIND as SHADOW_KIND
from gateway.pep import LookupPipeline, PipelineLimits
from gateway.reviews import ReviewService
from gateway.settings import Settings
from gateway.store.db import make_engine, migrate
from gateway.store.lookups import LookupStore
from gateway.store.token_uses import SqlTokenUses, TokenSweeper


@dataclass
class Services:
    """Everything a request handler may use, built once per process."""

    settings: Settings
    engine: Engine
    clock: Clock
    verifier: TokenVerifier
    policies: PolicyManager
    active: ActivePolicy
    decision_log: DecisionLog
    lookups: LookupStore
    pipeline: LookupPipeline
    reviews: ReviewService
    court_orders: CourtOrderService
    checkpointer: Checkpointer
    checkpoint_publisher: CheckpointPublisher
    token_sweeper: TokenSweeper
    audit: AuditService


def make_clock(settings: Settings) -> Clock:
    if settings.pinned_clock is not None:
        structlog.get_logger(__name__).warning(
            "clock.pinned", instant=settings.pinned_clock.isoformat(), unsafe=True
        )
        return UnsafePinnedClock(settings.pinned_clock)
    return SystemClock()


def build_services(
    settings: Settings, policies: PolicyManager, active: ActivePolicy, clock: Clock
) -> Services:
    """Wire every part; ``policies`` has started the policy engine that ``active`` names."""
    settings.home.mkdir(parents=True, exist_ok=True)
    engine = make_engine(
        settings.resolved_database_url,
        PoolOptions(
            size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
            timeout_seconds=settings.database_pool_timeout_seconds,
            pre_ping=settings.database_pool_pre_ping,
        ),
    )
    migrate(engine)
    keys = key_store(settings)
    registry = Registry.load(settings.policy_dir)
    replay = SqlTokenUses(engine)
    verifier = TokenVerifier(
        keys=keys,
        registry=registry,
        replay=replay,
        audience=settings.audience,
        max_lifetime_seconds=settings.token_max_lifetime_seconds,
        leeway_seconds=settings.clock_skew_seconds,
    )
    decision_log = DecisionLog(engine)
    decision_log.add_leaf_writer(project_leaves)  # the auditors' projection, same transaction
    # A production log signs only with a key that was provisioned for it.
    checkpointer = Checkpointer(decision_log, checkpoint_signer(settings))
    lookup_store = LookupStore(engine)
    audit_keys = provisioned_audit_keys(settings)
    pipeline = LookupPipeline(
        engine=engine,
        active=active,
        decision_log=decision_log,
        lookups=lookup_store,
        audit_keys=audit_keys,
        clock=clock,
        limits=PipelineLimits(max_subjects=settings.max_subjects),
    )
    reviews = ReviewService(
        engine=engine,
        active=active,
        decision_log=decision_log,
        lookups=lookup_store,
        audit_keys=audit_keys,
        clock=clock,
        registry=lambda: verifier.registry,  # the two-person rule reads who is DHS
    )

    def on_activate(revision: str, files: list[str], record: bool) -> None:
        # The new registry authenticates from now on; the activation is a log leaf
        # (recorded by one worker when several serve, see PolicyManager).
        verifier.use_registry(Registry.load(settings.policy_dir))
        if record:
            now = clock.now()
            decision_log.append(
                "policy_activation", policy_activation_record(revision, now, files), at=now
            )

    policies.on_activate = on_activate

    def on_change(event: ActivationEvent) -> None:
        decision_log.append(KIND, policy_change_record(event), at=event.at)

    policies.on_change = on_change

    def on_shadow_difference(body: bytes, at: datetime) -> None:
        decision_log.append(SHADOW_KIND, body, at=at)

    policies.shadow.record = on_shadow_difference
    pipeline.after_decision = policies.shadow.submit  # after the answer, never in its way
    return Services(
        settings=settings,
        engine=engine,
        clock=clock,
        verifier=verifier,
        policies=policies,
        active=active,
        decision_log=decision_log,
        lookups=lookup_store,
        pipeline=pipeline,
        reviews=reviews,
        court_orders=CourtOrderService(
            engine=engine, decision_log=decision_log, audit_keys=audit_keys, clock=clock
        ),
        checkpointer=checkpointer,
        checkpoint_publisher=CheckpointPublisher(
            checkpointer, clock, interval=settings.checkpoint_interval_seconds
        ),
        token_sweeper=TokenSweeper(replay, clock),
        audit=AuditService(
            engine=engine,
            decision_log=decision_log,
            checkpointer=checkpointer,
            audit_keys=audit_keys,
            clock=clock,
            catalog=RuleCatalog(
                opa_binary=settings.opa_binary,
                snapshots_dir=policies.snapshots_dir,
                policy_dir=settings.policy_dir,
            ),
        ),
    )
