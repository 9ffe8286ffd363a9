"""``/v1/policy``: which policy revision decides, how it came to, and why a change was refused.

For operators (and auditors): an edit to ``policies/`` that fails ``opa check``
or ``opa test`` leaves the old policy active; this is where they read OPA's words,
and the activation history (``gateway.pdp.history``): who changed what, when.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from gateway.api.authz import require
from gateway.api.deps import ServicesDep
from gateway.auth.permissions import Permission
from gateway.errors import PolicyEngineUnavailableError
from gateway.pdp.history import read_history

router = APIRouter(prefix="/v1/policy", tags=["policy"])


@router.get("", dependencies=[Depends(require(Permission.POLICY_STATUS))])
def policy_status(svc: ServicesDep) -> dict[str, Any]:
    status = svc.policies.status
    if status is None:  # the manager starts before the app serves requests
        raise PolicyEngineUnavailableError("no policy has been loaded yet")
    return {
        "active_revision": status.active_revision,
        "activated_at": status.activated_at.isoformat(),
        "previous_revisions": status.history,
        "last_change": None
        if status.last_attempt_revision is None
        else {
            "revision": status.last_attempt_revision,
            "accepted": status.last_attempt_ok,
            "at": status.last_attempt_at.isoformat() if status.last_attempt_at else None,
            "error": status.last_error,
        },
    }


@router.get("/history", dependencies=[Depends(require(Permission.POLICY_STATUS))])
def policy_history(
    svc: ServicesDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict[str, Any]:
    """Starts, activations and rejections, newest first, from the decision log."""
    return {"changes": read_history(svc.decision_log, limit=limit)}
