"""``/v1/log/*``: the decision log's checkpoint, proofs, entries and public key (API.md).

Any gateway token may read checkpoints, proofs and the public key; the leaves
themselves (``/v1/log/entries``) are for auditors only. Proof sizes must be
sizes the log has reached; everything else is computed from the stored tree
in O(log n) reads.
"""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from gateway.api.authz import require
from gateway.api.deps import ServicesDep
from gateway.api.problems import problem_responses
from gateway.auth.permissions import Permission
from gateway.errors import InvalidRequestError, NotFoundError

router = APIRouter(prefix="/v1/log", tags=["decision log"])

MAX_ENTRIES_PER_PAGE = 1000
MAX_INDEX = 2**53 - 1
"""Bound of every index and size in a query: the largest integer every JSON reader holds
exactly (RFC 7493 §2.2), far beyond any log and far below SQL's BIGINT, so that no
value a caller sends (nor ``start + MAX_ENTRIES_PER_PAGE``) can overflow the database
driver. Past it a parameter is a 422 problem at the edge, never a 500."""
_TEXT = "text/plain; charset=utf-8"


class InclusionProof(BaseModel):
    leaf_index: int
    tree_size: int
    hashes: list[str]


class ConsistencyProof(BaseModel):
    first: int
    second: int
    hashes: list[str]


class LogEntryOut(BaseModel):
    index: int
    data: str
    """Base64 of the exact bytes that were hashed: leaf hash = SHA-256(0x00 || data)."""


class LogEntries(BaseModel):
    start: int
    end: int
    entries: list[LogEntryOut]


def _b64(values: list[bytes]) -> list[str]:
    return [base64.b64encode(v).decode("ascii") for v in values]


def _require_size(svc: ServicesDep, tree_size: int) -> None:
    size = svc.decision_log.size()
    if tree_size > size:
        raise NotFoundError(f"the log has {size} leaves; tree size {tree_size} does not exist yet")


@router.get(
    "/checkpoint",
    response_class=PlainTextResponse,
    dependencies=[Depends(require(Permission.LOG_READ))],
)
async def get_checkpoint(svc: ServicesDep) -> PlainTextResponse:
    """The newest signed checkpoint (C2SP tlog-checkpoint in a C2SP signed note)."""

    def latest() -> str:
        stored = svc.checkpointer.latest()
        if stored is None:
            stored = svc.checkpointer.publish(svc.clock.now())
        return stored.note

    return PlainTextResponse(await run_in_threadpool(latest), media_type=_TEXT)


@router.post(
    "/checkpoint",
    response_class=PlainTextResponse,
    dependencies=[Depends(require(Permission.LOG_CHECKPOINT))],
)
async def publish_checkpoint(svc: ServicesDep) -> PlainTextResponse:
    """Publish a checkpoint of the log as it is now (on demand) and return it."""
    stored = await run_in_threadpool(svc.checkpointer.publish, svc.clock.now())
    return PlainTextResponse(stored.note, media_type=_TEXT)


@router.get(
    "/proofs/inclusion",
    response_model=InclusionProof,
    dependencies=[Depends(require(Permission.LOG_READ))],
    responses=problem_responses(404),  # a tree size the log has not reached
)
async def inclusion(
    svc: ServicesDep,
    index: Annotated[int, Query(ge=0, le=MAX_INDEX)],
    tree_size: Annotated[int, Query(ge=1, le=MAX_INDEX)],
) -> InclusionProof:
    if index >= tree_size:
        raise InvalidRequestError(f"index {index} is not in a tree of size {tree_size}")

    def prove() -> list[bytes]:
        _require_size(svc, tree_size)
        return svc.decision_log.inclusion_proof(index, tree_size)

    hashes = await run_in_threadpool(prove)
    return InclusionProof(leaf_index=index, tree_size=tree_size, hashes=_b64(hashes))


@router.get(
    "/proofs/consistency",
    response_model=ConsistencyProof,
    dependencies=[Depends(require(Permission.LOG_READ))],
    responses=problem_responses(404),  # a tree size the log has not reached
)
async def consistency(
    svc: ServicesDep,
    first: Annotated[int, Query(ge=0, le=MAX_INDEX)],
    second: Annotated[int, Query(ge=0, le=MAX_INDEX)],
) -> ConsistencyProof:
    if first > second:
        raise InvalidRequestError(f"first ({first}) must not exceed second ({second})")

    def prove() -> list[bytes]:
        _require_size(svc, second)
        return svc.decision_log.consistency_proof(first, second)

    hashes = await run_in_threadpool(prove)
    return ConsistencyProof(first=first, second=second, hashes=_b64(hashes))


@router.get(
    "/entries",
    response_model=LogEntries,
    dependencies=[Depends(require(Permission.LOG_ENTRIES))],
)
async def entries(
    svc: ServicesDep,
    start: Annotated[int, Query(ge=0, le=MAX_INDEX)],
    end: Annotated[int, Query(ge=0, le=MAX_INDEX)],
) -> LogEntries:
    """Leaves ``start <= index < end`` (at most 1000 per call; ``end`` is clamped)."""
    if end < start:
        raise InvalidRequestError(f"end ({end}) must not be below start ({start})")
    end = min(end, start + MAX_ENTRIES_PER_PAGE)
    stored = await run_in_threadpool(svc.decision_log.entries, start, end)
    return LogEntries(
        start=start,
        end=stored[-1].index + 1 if stored else start,
        entries=[
            LogEntryOut(index=e.index, data=base64.b64encode(e.body).decode("ascii"))
            for e in stored
        ],
    )


@router.get(
    "/public-key",
    response_class=PlainTextResponse,
    dependencies=[Depends(require(Permission.LOG_READ))],
)
async def public_key(svc: ServicesDep) -> PlainTextResponse:
    """The checkpoint verifier key: ``<origin>+<key id>+<base64(0x01 || Ed25519 key)>``."""
    return PlainTextResponse(svc.checkpointer.signer.verifier_key_text() + "\n", media_type=_TEXT)
