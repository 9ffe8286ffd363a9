"""The disclosure officers' pages under ``/review/``: the workbench in a browser.

A second face of :class:`gateway.reviews.ReviewService`, as the auditor pages
are of the audit service: the queue the API serves (``channel="pages"`` in the
access leaf of every look), each item with what the policy saw, filters, and
one form that settles the selected items with one note. No script is needed:
checkboxes, a note and two buttons are a plain HTML form, the court-notice
filing is another.

The auditor pages' machinery is reused (:mod:`gateway.web.pages`,
:mod:`gateway.web.sessions`, :mod:`gateway.web.rendering`): server-side
sessions opened by a bearer token verified exactly as the API does, a CSRF
token in every form, ``Sec-Fetch-Site`` checked, HTML problem pages. What
differs: only a role that may act on reviews gets a session, its cookie lives
under ``/review/`` (an officer's session is not an auditor's), and a session
ends as soon as its staff member is no longer active in the registry.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import structlog
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import RedirectResponse

from gateway.auditing.views import Viewer
from gateway.auth.permissions import Permission
from gateway.errors import (
    InvalidRequestError,
    NotFoundError,
)
from gateway.reviews import MAX_BULK, Action, ReviewFilters, ReviewService
from gateway.services import Services
from gateway.settings import Settings
from gateway.web.area import AreaState, PageArea, services
from gateway.web.rendering import PAGE_HEADERS
from gateway.web.sessions import AuditSession

log = structlog.get_logger(__name__)

PREFIX = "/review"
SIGN_IN = f"{PREFIX}/sign-in"
SESSION_COOKIE = "gateway_review_session"
SIGNIN_COOKIE = "gateway_review_signin"
MAX_FORM_FIELDS = MAX_BULK + 16
"""The bulk form: one checkbox per item shown, plus the note, action and CSRF token."""
ITEM_FIELD = "item-"
AGE_CHOICES = ((0, "any age"), (1, "1 hour"), (24, "1 day"), (72, "3 days"), (168, "7 days"))
QUEUE_SIZE = MAX_BULK


def _still_an_officer(svc: Services, session: AuditSession) -> bool:
    """Deactivating someone in the staff registry ends their page session too."""
    return svc.verifier.registry.staff_member(session.subject, session.role) is not None


AREA = PageArea(
    prefix=PREFIX,
    state_attr="review_pages",
    session_cookie=SESSION_COOKIE,
    signin_cookie=SIGNIN_COOKIE,
    permission=Permission.REVIEW_ACT,
    audience="disclosure officers",
    sign_in_template="review_sign_in.html",
    error_template="review_error.html",
    event="review_page",
    max_form_fields=MAX_FORM_FIELDS,
    still_allowed=_still_an_officer,
)
"""The officers' area: the auditors' rules (:mod:`gateway.web.area`), its own cookies."""

_state = AREA.state
_services = services
session_or_none = AREA.session_or_none
require_session = AREA.require_session
checked_form = AREA.checked_form


def _reviews(request: Request) -> ReviewService:
    service: ReviewService = _services(request).reviews
    return service


router = APIRouter(prefix=PREFIX, route_class=AREA.route_class(), include_in_schema=False)
AREA.add_sign_in_routes(router)


# -- the queue ---------------------------------------------------------------------------------


def _opt(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _viewer(session: AuditSession) -> Viewer:
    return Viewer(subject=session.subject, role=session.role, channel="pages")


def _filters(
    status: str | None,
    agency: str | None,
    legal_basis: str | None,
    rule: str | None,
    min_age_hours: str | None,
) -> tuple[ReviewFilters, dict[str, str]]:
    chosen = _opt(status) or "pending"
    if chosen not in ("pending", "approved", "denied", "any"):
        raise InvalidRequestError("status must be pending, approved, denied or any")
    age_text = _opt(min_age_hours) or "0"
    if not age_text.isdigit() or int(age_text) not in {h for h, _ in AGE_CHOICES}:
        raise InvalidRequestError("min_age_hours must be one of the offered ages")
    age = int(age_text)
    filters = ReviewFilters(
        status=None if chosen == "any" else chosen,
        agency=_opt(agency),
        legal_basis=_opt(legal_basis),
        rule=_opt(rule),
        min_age_hours=age or None,
    )
    form = {
        "status": chosen,
        "agency": _opt(agency) or "",
        "legal_basis": _opt(legal_basis) or "",
        "rule": _opt(rule) or "",
        "min_age_hours": str(age),
    }
    return filters, form


def _queue_page(
    request: Request,
    session: AuditSession,
    filters: ReviewFilters,
    form: dict[str, str],
    *,
    status: int = 200,
    results: list[dict[str, Any]] | None = None,
    message: str | None = None,
) -> Response:
    items = _reviews(request).workbench(_viewer(session), filters, QUEUE_SIZE)
    return _state(request).renderer.page(
        request,
        "review_queue.html",
        session=session,
        status=status,
        page_title="Review queue",
        items=items,
        form=form,
        ages=AGE_CHOICES,
        query=urlencode({k: v for k, v in form.items() if v and v != "0"}),
        results=results,
        message=message,
        now=_services(request).clock.now(),
    )


@router.get("/")
async def queue(
    request: Request,
    status: str | None = None,
    agency: str | None = None,
    legal_basis: str | None = None,
    rule: str | None = None,
    min_age_hours: str | None = None,
    filed: str | None = None,
) -> Response:
    session = require_session(request)
    filters, form = _filters(status, agency, legal_basis, rule, min_age_hours)
    message = f"Court-notice filing recorded for decision {filed}." if _opt(filed) else None
    return _queue_page(request, session, filters, form, message=message)


def _selected(form: dict[str, str]) -> list[tuple[str, str]]:
    """The checked items, in the order shown: ``item-N`` fields valued ``decision_id/ref``."""
    chosen: list[tuple[int, str, str]] = []
    for key, value in form.items():
        if not key.startswith(ITEM_FIELD) or not key[len(ITEM_FIELD) :].isdigit():
            continue
        decision_id, sep, ref = value.partition("/")
        if not sep or not decision_id or not ref:
            raise InvalidRequestError("a selected item is not one of the queue's")
        chosen.append((int(key[len(ITEM_FIELD) :]), decision_id, ref))
    return [(d, r) for _, d, r in sorted(chosen)]


@router.post("/act")
async def act(request: Request) -> Response:
    """Settle the selected items with one note: each is its own leaf, each result shown."""
    session = require_session(request)
    form = await checked_form(request, session)
    action = form.get("action", "")
    if action not in ("approve", "deny"):
        raise InvalidRequestError("choose Approve or Deny")
    note = form.get("note", "").strip()
    if not note or len(note) > 4000:
        raise InvalidRequestError("a note of 1 to 4000 characters is required")
    selected = _selected(form)
    if not selected:
        raise InvalidRequestError("select at least one item")
    chosen: Action = "approve" if action == "approve" else "deny"
    results = _reviews(request).act_many(selected, chosen, note, session.subject)
    views = [
        {
            "decision_id": r.decision_id,
            "ref": r.ref,
            "status": r.settled.status if r.settled else None,
            "log_index": r.settled.log_index if r.settled else None,
            "problem": r.problem.detail if r.problem else None,
            "problem_status": r.problem.status if r.problem else None,
        }
        for r in results
    ]
    log.info(
        "review_page.bulk",
        officer=session.subject,
        action=chosen,
        settled=sum(1 for v in views if v["status"]),
        refused=sum(1 for v in views if v["problem"]),
    )
    filters, form_back = _filters(
        form.get("status"),
        form.get("agency"),
        form.get("legal_basis"),
        form.get("rule"),
        form.get("min_age_hours"),
    )
    return _queue_page(request, session, filters, form_back, results=views)


def _filed_at(text: str | None) -> datetime:
    """A ``datetime-local`` field, read as UTC (the form says so), or RFC 3339."""
    value = (text or "").strip()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidRequestError(
            "filed at must be a date and time, e.g. 2026-03-02T14:30"
        ) from exc
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@router.post("/filings")
async def record_filing(request: Request) -> Response:
    """Record a court notice's filing for a decision, then back to the queue (303)."""
    session = require_session(request)
    form = await checked_form(request, session)
    fields = {
        k: (form.get(k) or "").strip() for k in ("decision_id", "filed_by", "court", "reference")
    }
    missing = [k.replace("_", " ") for k, v in fields.items() if not v]
    if missing:
        raise InvalidRequestError("the filing needs: " + ", ".join(missing))
    if any(len(v) > 300 for v in fields.values()):
        raise InvalidRequestError("each filing field holds at most 300 characters")
    _reviews(request).record_filing(
        fields["decision_id"],
        filed_by=fields["filed_by"],
        filed_at=_filed_at(form.get("filed_at")),
        court=fields["court"],
        reference=fields["reference"],
        recorded_by=session.subject,
        recorded_by_role=session.role,
    )
    back = f"{PREFIX}/?" + urlencode({"filed": fields["decision_id"]})
    return RedirectResponse(back, status_code=303, headers=PAGE_HEADERS)


@router.get("/{unknown:path}")
async def not_a_page(request: Request, unknown: str) -> Response:
    """Any other address under ``/review/`` is an HTML 404, not a problem document."""
    raise NotFoundError("there is no review page at this address")


def install_review_pages(app: FastAPI, settings: Settings) -> None:
    """Mount the review pages and their own session store on ``app``."""
    app.state.review_pages = AreaState.from_settings(settings)
    app.include_router(router)
