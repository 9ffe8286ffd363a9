"""``/v1/policy``: which policy revision decides, how it came to, and why a change was refused.

For operators (and auditors): an edit to ``policies/`` that fails ``opa check``
or ``opa test`` leaves the old policy active; this is where they read OPA's words,
and the activation history (``gateway.pdp.history``): who changed what, when.
``/v1/policy/shadow`` starts and stops a candidate beside the active policy on live
traffic (``gateway.pdp.shadow``) and reads the differences it found.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from gateway.api.authz import require, require_staff
from gateway.api.deps import ServicesDep
from gateway.auth.permissions import Permission
from gateway.auth.tokens import StaffPrincipal
from gateway.errors import NotFoundError, PolicyEngineUnavailableError
from gateway.pdp.history import read_history
from gateway.pdp.shadow import read_differences

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


@router.post("/reload")
def reload_policy(
    svc: ServicesDep,
    who: Annotated[StaffPrincipal, Depends(require_staff(Permission.POLICY_RELOAD))],
) -> dict[str, Any]:
    """Check and activate ``policies/`` now, in the operator's name (the history records it).

    ``changed`` is false when the files are the active revision, or the last refused one;
    a refusal is in ``last_change`` of ``GET /v1/policy`` and in the history.
    """
    changed = svc.policies.reload_if_changed(operator=who.subject)
    return {"changed": changed, **policy_status(svc)}


class ShadowStart(BaseModel):
    """A candidate: a policy directory on the gateway's host, or a revision it keeps."""

    model_config = ConfigDict(extra="forbid")
    candidate: str | None = Field(default=None, min_length=1, max_length=4096)
    revision: str | None = Field(default=None, pattern=r"^sha256:[0-9a-f]{64}$")


@router.post("/shadow", status_code=201)
def start_shadow(
    body: ShadowStart,
    svc: ServicesDep,
    who: Annotated[StaffPrincipal, Depends(require_staff(Permission.POLICY_SHADOW))],
) -> dict[str, Any]:
    """Start comparing a candidate with the active policy; 409 while another runs."""
    return svc.policies.shadow.start(
        candidate=Path(body.candidate) if body.candidate else None,
        revision=body.revision,
        operator=who.subject,
    )


@router.delete("/shadow")
def stop_shadow(
    svc: ServicesDep,
    who: Annotated[StaffPrincipal, Depends(require_staff(Permission.POLICY_SHADOW))],
) -> dict[str, Any]:
    """Stop the comparison; its differences stay in the log."""
    stopped = svc.policies.shadow.stop(who.subject)
    if stopped is None:
        raise NotFoundError("no shadow policy is running")
    return stopped


@router.get("/shadow", dependencies=[Depends(require(Permission.POLICY_STATUS))])
def shadow_status(
    svc: ServicesDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict[str, Any]:
    """The running (or last) comparison's counts, and the newest differences from the log."""
    return {
        "shadow": svc.policies.shadow.status(),
        "differences": read_differences(svc.decision_log, limit=limit),
    }
