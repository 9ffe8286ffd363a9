"""Recording and reading verified court orders (``/v1/court-orders``, ``gateway court-orders``).

Recording one version, in order:

1. find the newest version of the same order (court + docket number,
   :func:`~gateway.court_orders.key.docket_key`); a new order starts at version 1,
   a correction must name that newest version in ``supersedes`` (anything else is
   a 409: the recorder was looking at an outdated record);
2. append a ``court_order`` leaf to the decision log — durable before the record
   can decide anything, so no order ever counts without its trace;
3. insert the row, which names the leaf's index. The unique (key, version) index
   refuses a second writer that raced past step 1 (409); its leaf then stays in the
   log as the trace of an attempt that never reached the registry.

Who may record is the API's and the CLI's concern (disclosure officers and court
liaisons); this module records who did.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import asdict
from typing import Any

import structlog
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from gateway.audit.canonical import JsonValue
from gateway.audit.log import DecisionLog
from gateway.audit.record import court_order_record
from gateway.audit.sealing import AuditKeys
from gateway.clock import Clock
from gateway.court_orders.key import docket_key
from gateway.domain import CourtOrderRecording, normalize_tin
from gateway.errors import (
    ConflictError,
    DatastoreUnavailableError,
    InvalidRequestError,
    NotFoundError,
)
from gateway.store.court_orders import (
    StoredCourtOrder,
    by_id,
    insert_order,
    latest_version,
    list_orders,
    superseded_by,
)
from gateway.store.db import datastore_errors, write_transaction

log = structlog.get_logger(__name__)


_READ = "read the court-order registry"


def _scope(order: StoredCourtOrder) -> dict[str, JsonValue]:
    """What the order permits, without personal data: the clear part of its log leaf."""
    return {
        "order_type": order.order_type,
        "court": order.court,
        "court_type": order.court_type,
        "judge_type": order.judge_type,
        "applicant_authorizer_role": order.applicant_authorizer_role,
        "issued_at": order.issued_at.isoformat(),
        "expires_at": order.expires_at.isoformat() if order.expires_at else None,
        "covered_taxable_periods": tuple(order.covered_taxable_periods),
        "covered_data": tuple(order.covered_data),
        "covered_tin_count": len(order.covered_tins),
        "named_recipient_count": len(order.named_recipients),
        "felony_arrest_warrant": (
            {"type": order.warrant_type, "offense_class": order.warrant_offense_class}
            if order.warrant_type is not None
            else None
        ),
    }


def _full(order: StoredCourtOrder) -> dict[str, Any]:
    """Every field of the version, for the sealed part of its leaf."""
    full = asdict(order)
    full.pop("log_index")  # not known until the leaf is appended
    for name in ("issued_at", "expires_at", "recorded_at"):
        value = full[name]
        full[name] = value.isoformat() if value is not None else None
    return full


class CourtOrderService:
    def __init__(
        self, *, engine: Engine, decision_log: DecisionLog, audit_keys: AuditKeys, clock: Clock
    ) -> None:
        self._engine = engine
        self._log = decision_log
        self._keys = audit_keys
        self._clock = clock
        # One recorder at a time in this process; across processes the unique index decides.
        self._lock = threading.Lock()

    def record(self, body: CourtOrderRecording, *, by: str, role: str) -> StoredCourtOrder:
        key = docket_key(body.court, body.docket_number)
        with self._lock:
            # 1. the newest version, and whether this one may follow it
            with datastore_errors(_READ), self._engine.connect() as conn:
                newest = latest_version(conn, key)
                target = by_id(conn, body.supersedes) if body.supersedes else None
            _check_succession(body, key, newest, target)
            at = self._clock.now()
            warrant = body.arrest_warrant
            draft = StoredCourtOrder(
                id=str(uuid.uuid4()),
                match_key=key,
                version=newest.version + 1 if newest else 1,
                supersedes=newest.id if newest else None,
                order_type=body.order_type,
                court=body.court,
                court_type=body.court_type,
                judge=body.judge,
                judge_type=body.judge_type,
                docket_number=body.docket_number,
                applicant_authorizer_role=body.applicant_authorizer_role,
                covered_tins=tuple(t for t in map(normalize_tin, body.covered_tins) if t),
                covered_taxable_periods=tuple(body.covered_taxable_periods),
                covered_data=tuple(body.covered_data),
                named_recipients=tuple(body.named_recipients),
                warrant_type=warrant.type if warrant else None,
                warrant_offense_class=warrant.offense_class if warrant else None,
                issued_at=body.issued_at,
                expires_at=body.expires_at,
                verification_source=body.verification_source,
                verification_note=body.verification_note,
                recorded_by=by,
                recorded_by_role=role,
                recorded_at=at,
                log_index=-1,
            )
            # 2. log before it can decide anything
            index = self._log.append(
                "court_order",
                court_order_record(
                    keys=self._keys,
                    order_id=draft.id,
                    version=draft.version,
                    supersedes=draft.supersedes,
                    recorded_at=at,
                    recorded_by=by,
                    recorded_by_role=role,
                    match_key=key,
                    scope=_scope(draft),
                    covered_tins=draft.covered_tins,
                    full_record=_full(draft),
                ),
                at=at,
            )
            stored = StoredCourtOrder(**{**asdict(draft), "log_index": index})
            # 3. the row
            try:
                with write_transaction(self._engine) as conn:
                    insert_order(conn, stored)
            except IntegrityError as exc:
                raise ConflictError(
                    "another version of this order was recorded at the same time; "
                    "read it and correct that one"
                ) from exc
            except SQLAlchemyError as exc:
                raise DatastoreUnavailableError("could not write the court-order registry") from exc
        log.info(
            "court_order.recorded",
            order_id=stored.id,
            version=stored.version,
            log_index=index,
            recorded_by_role=role,
        )
        return stored

    def get(self, order_id: str) -> tuple[StoredCourtOrder, str | None]:
        """One version and the id of the version that corrected it (None while current)."""
        with datastore_errors(_READ), self._engine.connect() as conn:
            found = by_id(conn, order_id)
            if found is None:
                raise NotFoundError("no court order with this id")
            return found, superseded_by(conn, order_id)

    def versions(
        self, *, current_only: bool, limit: int
    ) -> list[tuple[StoredCourtOrder, str | None]]:
        """Versions newest first, each with the id of the version that corrected it."""
        with datastore_errors(_READ), self._engine.connect() as conn:
            return list_orders(conn, current_only=current_only, limit=limit)


def _check_succession(
    body: CourtOrderRecording,
    key: str,
    newest: StoredCourtOrder | None,
    target: StoredCourtOrder | None,
) -> None:
    """A new order starts a history; a correction continues it from its newest version."""
    if body.supersedes is not None and target is None:
        raise InvalidRequestError(
            "supersedes names no recorded court order",
            extra={"errors": [{"loc": ["supersedes"], "msg": "unknown court order id"}]},
        )
    if target is not None and target.match_key != key:
        raise ConflictError(
            "a correction keeps the court and docket number of the order it supersedes"
        )
    if newest is None:
        return
    if target is None:
        raise ConflictError(
            f"this court and docket number are already recorded (court order {newest.id}, "
            f"version {newest.version}); a correction names that id in supersedes"
        )
    if target.id != newest.id:
        raise ConflictError(
            f"court order {target.id} is not the newest version; correct {newest.id} "
            f"(version {newest.version}) instead"
        )
