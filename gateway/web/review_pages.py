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

import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

import structlog
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from gateway.auditing.views import Viewer
from gateway.auth.permissions import Permission, may
from gateway.auth.tokens import StaffPrincipal
from gateway.errors import (
    ForbiddenError,
    GatewayError,
    InvalidRequestError,
    NotFoundError,
    UnauthenticatedError,
)
from gateway.reviews import MAX_BULK, Action, ReviewFilters, ReviewService
from gateway.services import Services
from gateway.settings import Settings
from gateway.web.rendering import PAGE_HEADERS, Renderer
from gateway.web.sessions import AuditSession, SessionStore, tokens_match

log = structlog.get_logger(__name__)

PREFIX = "/review"
SIGN_IN = f"{PREFIX}/sign-in"
SESSION_COOKIE = "gateway_review_session"
SIGNIN_COOKIE = "gateway_review_signin"
COOKIE_PATH = "/review/"
SIGNIN_COOKIE_SECONDS = 600
MAX_FORM_FIELDS = MAX_BULK + 16
"""The bulk form: one checkbox per item shown, plus the note, action and CSRF token."""
ITEM_FIELD = "item-"
AGE_CHOICES = ((0, "any age"), (1, "1 hour"), (24, "1 day"), (72, "3 days"), (168, "7 days"))
QUEUE_SIZE = MAX_BULK


class SignInRequiredError(Exception):
    """No live session: the browser is sent to the sign-in page."""


@dataclass
class ReviewPagesState:
    """What the pages keep for the life of the app (``app.state.review_pages``)."""

    sessions: SessionStore
    renderer: Renderer
    secure_cookies: bool


def _state(request: Request) -> ReviewPagesState:
    state: ReviewPagesState = request.app.state.review_pages
    return state


def _services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


def _reviews(request: Request) -> ReviewService:
    service: ReviewService = _services(request).reviews
    return service


def session_or_none(request: Request) -> AuditSession | None:
    """The live session, if its staff member is still active with the role it was opened
    with: deactivating someone in the registry ends their page session too."""
    svc = getattr(request.app.state, "services", None)
    if svc is None:
        return None
    state = _state(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    session = state.sessions.get(cookie, svc.clock.now())
    if session is None:
        return None
    if svc.verifier.registry.staff_member(session.subject, session.role) is None:
        state.sessions.end(cookie)
        return None
    return session


def require_session(request: Request) -> AuditSession:
    session = session_or_none(request)
    if session is None:
        raise SignInRequiredError
    return session


def _same_site_request(request: Request) -> None:
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise ForbiddenError("this form may only be sent from the review pages themselves")


async def _read_form(request: Request) -> dict[str, str]:
    """The posted fields (wire hygiene has refused repeated fields and control characters)."""
    body = (await request.body()).decode("ascii", errors="strict")
    try:
        pairs = parse_qsl(body, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except ValueError as exc:
        raise InvalidRequestError(f"a form sends at most {MAX_FORM_FIELDS} fields") from exc
    return dict(pairs)


async def checked_form(request: Request, session: AuditSession) -> dict[str, str]:
    _same_site_request(request)
    form = await _read_form(request)
    if not tokens_match(session.csrf_token, form.get("csrf_token")):
        raise ForbiddenError("the form's CSRF token is missing or does not match this session")
    return form


def _error_page(
    request: Request, status: int, title: str, detail: str, session: AuditSession | None
) -> Response:
    return _state(request).renderer.page(
        request,
        "review_error.html",
        session=session,
        status=status,
        page_title=title,
        title=title,
        detail=detail,
        code=status,
    )


class ReviewPageRoute(APIRoute):
    """A route whose failures are HTML pages, not problem documents."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequiredError:
                return RedirectResponse(SIGN_IN, status_code=303, headers=PAGE_HEADERS)
            except GatewayError as exc:
                if exc.status >= 500:
                    log.warning("review_page.failed", error=type(exc).__name__, detail=exc.detail)
                return _error_page(
                    request, exc.status, exc.title, exc.detail, session_or_none(request)
                )
            except RequestValidationError as exc:
                fields = sorted({str(e.get("loc", ("", "?"))[-1]) for e in exc.errors()})
                detail = "these fields are not valid: " + ", ".join(fields)
                return _error_page(request, 422, "Invalid request", detail, None)

        return page_handler


router = APIRouter(prefix=PREFIX, route_class=ReviewPageRoute, include_in_schema=False)


def _set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        secure=_state(request).secure_cookies,
        httponly=True,
        samesite="strict",
    )


def _delete_cookie(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(
        name,
        path=COOKIE_PATH,
        secure=_state(request).secure_cookies,
        httponly=True,
        samesite="strict",
    )


def _sign_in_page(request: Request, *, status: int = 200, message: str | None = None) -> Response:
    state = _state(request)
    nonce = secrets.token_urlsafe(32)
    response = state.renderer.page(
        request,
        "review_sign_in.html",
        session=None,
        status=status,
        page_title="Sign in",
        signin_csrf=nonce,
        message=message,
        minutes=int(state.sessions.lifetime.total_seconds() // 60),
    )
    _set_cookie(response, request, SIGNIN_COOKIE, nonce, SIGNIN_COOKIE_SECONDS)
    return response


@router.get("/sign-in")
async def sign_in_form(request: Request) -> Response:
    if session_or_none(request) is not None:
        return RedirectResponse(f"{PREFIX}/", status_code=303, headers=PAGE_HEADERS)
    return _sign_in_page(request)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    _same_site_request(request)
    form = await _read_form(request)
    if not tokens_match(request.cookies.get(SIGNIN_COOKIE, ""), form.get("csrf_token")):
        return _sign_in_page(
            request, status=403, message="The sign-in form expired or was not sent from here."
        )
    svc = _services(request)
    now = svc.clock.now()
    try:
        principal = svc.verifier.verify(f"Bearer {form.get('token', '').strip()}", now)
    except UnauthenticatedError as exc:
        log.info("review_page.sign_in_refused", reason=exc.detail)
        return _sign_in_page(request, status=401, message=f"Not signed in: {exc.detail}.")
    if not (isinstance(principal, StaffPrincipal) and may(principal, Permission.REVIEW_ACT)):
        log.info("review_page.sign_in_refused", reason="not a disclosure officer")
        return _sign_in_page(
            request,
            status=403,
            message="Not signed in: these pages are for disclosure officers only.",
        )
    state = _state(request)
    session_id, session = state.sessions.create(principal.subject, principal.role, now)
    log.info("review_page.signed_in", officer=principal.subject)
    response = RedirectResponse(f"{PREFIX}/", status_code=303, headers=PAGE_HEADERS)
    lifetime = int((session.expires_at - now).total_seconds())
    _set_cookie(response, request, SESSION_COOKIE, session_id, lifetime)
    _delete_cookie(response, request, SIGNIN_COOKIE)
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    session = require_session(request)
    await checked_form(request, session)
    _state(request).sessions.end(request.cookies.get(SESSION_COOKIE))
    log.info("review_page.signed_out", officer=session.subject)
    response = RedirectResponse(SIGN_IN, status_code=303, headers=PAGE_HEADERS)
    _delete_cookie(response, request, SESSION_COOKIE)
    return response


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
    app.state.review_pages = ReviewPagesState(
        sessions=SessionStore(timedelta(minutes=settings.audit_session_minutes)),
        renderer=Renderer(),
        secure_cookies=settings.environment != "development",
    )
    app.include_router(router)
