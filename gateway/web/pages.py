"""The auditor pages under ``/audit/``: sign-in, session, CSRF, and the page routes.

The pages are a second face of :class:`gateway.auditing.service.AuditService`,
for people with a browser rather than ``curl``: every page calls the service the
JSON API calls (``channel="pages"`` in its access record), so a page can never
show something the API would not, and no query is written twice. They are
plain HTML forms and links: no script is needed, or allowed (see
:mod:`gateway.web.rendering`).

Why each choice:

* **Sign-in takes a bearer token** and verifies it exactly as the API does
  (:class:`~gateway.auth.tokens.TokenVerifier`: signature, audience, expiry,
  single-use ``jti``); only the ``auditor`` role gets a session.
* **Every POST carries a CSRF token** (the session's, or for sign-in a
  pre-session one) and is refused when the browser says it came from another
  site (``Sec-Fetch-Site``). See :mod:`gateway.web.sessions` for the cookie.
* **The TIN travels in a POST body**, never in a URL: URLs end up in logs,
  browser history and ``Referer`` headers; the request log names only the route.
* **Problems are HTML pages** with the status, title and detail a problem
  document would carry; a missing or expired session sends the browser to the
  sign-in page (303) instead.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlencode

import structlog
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import StreamingResponse
from fastapi.staticfiles import StaticFiles

from gateway.auditing import formats
from gateway.auditing.service import AuditService
from gateway.auditing.views import (
    DECISION_OUTCOMES,
    SUBJECT_OUTCOMES,
    ProjectionRow,
    SearchFilters,
    Viewer,
)
from gateway.auth.permissions import Permission
from gateway.errors import (
    InvalidRequestError,
    NotFoundError,
)
from gateway.pdp.shadow import read_differences
from gateway.settings import Settings
from gateway.web import charts
from gateway.web.area import AreaState, PageArea, services
from gateway.web.rendering import PAGE_HEADERS
from gateway.web.sessions import (
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    AuditSession,
)

log = structlog.get_logger(__name__)

PREFIX = "/audit"
SIGN_IN = f"{PREFIX}/sign-in"
MAX_FORM_FIELDS = 32
STATIC_DIR = Path(__file__).parent / "static"
DEFAULT_DAYS = 14
PAGE_SIZE = 50
DECISION_ID = re.compile(r"[A-Za-z0-9._:-]{1,80}")


EXPORT_FORMATS: dict[str, tuple[str, Callable[[Iterable[ProjectionRow]], Iterator[str]]]] = {
    "csv": (
        "text/csv; charset=utf-8",
        lambda rows: formats.csv_lines(formats.ROW_COLUMNS, map(formats.row_flat, rows)),
    ),
    "jsonl": (
        "application/x-ndjson",
        lambda rows: formats.jsonl_lines(map(formats.row_flat, rows)),
    ),
}
"""The API's export formats (``gateway.auditing.formats``), for the same search."""


AREA = PageArea(
    prefix=PREFIX,
    state_attr="audit_pages",
    session_cookie=SESSION_COOKIE,
    signin_cookie=SIGNIN_COOKIE,
    permission=Permission.AUDIT_READ,
    audience="auditors",
    sign_in_template="sign_in.html",
    error_template="error.html",
    event="audit_page",
    max_form_fields=MAX_FORM_FIELDS,
)
"""The auditors' area: sessions, forms, errors and sign-in as :mod:`gateway.web.area` keeps them."""

_state = AREA.state
_services = services
session_or_none = AREA.session_or_none
require_session = AREA.require_session
read_form = AREA.read_form
checked_form = AREA.checked_form

router = APIRouter(prefix=PREFIX, route_class=AREA.route_class(), include_in_schema=False)
AREA.add_sign_in_routes(router)


# -- the pages over the audit service ----------------------------------------------------------


def _audit(request: Request) -> AuditService:
    service: AuditService = _services(request).audit
    return service


def _viewer(session: AuditSession) -> Viewer:
    return Viewer(subject=session.subject, role=session.role, channel="pages")


def _day_range(request: Request, since: date | None, until: date | None) -> tuple[date, date]:
    """The days a report covers, both included; by default the last 30 (UTC)."""
    today = _services(request).clock.now().astimezone(UTC).date()
    last = until or today
    first = since or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise InvalidRequestError("the first day must not be after the last day")
    return first, last


def _instants(first: date, last: date) -> tuple[datetime, datetime]:
    """``[first 00:00 UTC, the day after last 00:00 UTC)``: the service's ``until`` is exclusive."""
    start = datetime.combine(first, time(0), tzinfo=UTC)
    return start, datetime.combine(last + timedelta(days=1), time(0), tzinfo=UTC)


def _day(value: str | None, name: str) -> date | None:
    """A form's date field: empty means "not given" (browsers send empty fields)."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidRequestError(f"{name} must be a day written YYYY-MM-DD") from exc


def _opt(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _filters(
    agency: str | None,
    official: str | None,
    outcome: str | None,
    rule: str | None,
    legal_basis: str | None,
    purpose: str | None,
    since: date | None,
    until: date | None,
) -> SearchFilters:
    chosen = _opt(outcome)
    if chosen is not None and chosen not in SUBJECT_OUTCOMES:
        raise InvalidRequestError(f"outcome must be one of {', '.join(SUBJECT_OUTCOMES)}")
    return SearchFilters(
        agency=_opt(agency),
        official=_opt(official),
        outcome=chosen,
        rule=_opt(rule),
        legal_basis=_opt(legal_basis),
        purpose=_opt(purpose),
        since=None if since is None else _instants(since, since)[0],
        until=None if until is None else _instants(until, until)[1],
    )


@router.get("/")
async def dashboard(
    request: Request, since: str | None = None, until: str | None = None
) -> Response:
    session = require_session(request)
    first, last = _day_range(request, _day(since, "since"), _day(until, "until"))
    board = _audit(request).dashboard(_viewer(session), *_instants(first, last))
    days = [d for d in board.per_day if first <= d.day <= last]
    over_time = charts.stacked_columns(
        "chart-over-time",
        "Decisions per day by final outcome",
        [d.day.strftime("%m-%d") for d in days],
        [
            charts.Series(outcome, tuple(d.outcomes.get(outcome, 0) for d in days))
            for outcome in DECISION_OUTCOMES
        ],
    )
    top_rules = charts.bar_chart(
        "chart-top-rules",
        "Top rules (requests citing each)",
        [(c.key, c.decisions) for c in board.top_rules],
        unit="requests",
    )
    denials = charts.bar_chart(
        "chart-denials",
        "Denied subjects by agency",
        [(c.key, c.denied) for c in board.denials_by_agency],
        unit="denied subjects",
        color=charts.PALETTE[1],
    )
    waiting = [(d.day.isoformat(), d.outcomes.get("pending_review", 0)) for d in days]
    backlog = charts.bar_chart(
        "chart-backlog",
        "Review backlog: requests still pending, by day of request",
        [(day, n) for day, n in waiting if n],
        unit="pending requests",
        color=charts.PALETTE[4],
    )
    return _state(request).renderer.page(
        request,
        "dashboard.html",
        session=session,
        page_title="Dashboard",
        board=board,
        days=days,
        first=first,
        last=last,
        outcomes=DECISION_OUTCOMES,
        charts={"over_time": over_time, "top_rules": top_rules, "denials": denials},
        backlog_chart=backlog,
        waiting=[(day, n) for day, n in waiting if n],
    )


@router.get("/decisions")
async def decisions(
    request: Request,
    agency: str | None = None,
    official: str | None = None,
    outcome: str | None = None,
    rule: str | None = None,
    legal_basis: str | None = None,
    purpose: str | None = None,
    since: str | None = None,
    until: str | None = None,
    cursor: str | None = None,
) -> Response:
    session = require_session(request)
    filters = _filters(
        agency,
        official,
        outcome,
        rule,
        legal_basis,
        purpose,
        _day(since, "since"),
        _day(until, "until"),
    )
    page = _audit(request).search(_viewer(session), filters, _opt(cursor), PAGE_SIZE)
    form = {
        "agency": agency or "",
        "official": official or "",
        "outcome": outcome or "",
        "rule": rule or "",
        "legal_basis": legal_basis or "",
        "purpose": purpose or "",
        "since": (since or "").strip(),
        "until": (until or "").strip(),
    }
    query = urlencode({k: v for k, v in form.items() if v})
    next_query = (
        urlencode({**{k: v for k, v in form.items() if v}, "cursor": page.next_cursor})
        if page.next_cursor
        else None
    )
    return _state(request).renderer.page(
        request,
        "decisions.html",
        session=session,
        page_title="Decisions",
        page=page,
        form=form,
        outcomes=SUBJECT_OUTCOMES,
        query=query,
        next_query=next_query,
        first_page=cursor is None,
    )


@router.get("/decisions/export.{fmt}")
async def export_decisions(
    request: Request,
    fmt: str,
    agency: str | None = None,
    official: str | None = None,
    outcome: str | None = None,
    rule: str | None = None,
    legal_basis: str | None = None,
    purpose: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> Response:
    session = require_session(request)
    if fmt not in EXPORT_FORMATS:
        raise NotFoundError("exports are .csv or .jsonl")
    filters = _filters(
        agency,
        official,
        outcome,
        rule,
        legal_basis,
        purpose,
        _day(since, "since"),
        _day(until, "until"),
    )
    rows = _audit(request).export(_viewer(session), filters, fmt)
    media, lines = EXPORT_FORMATS[fmt]
    stamp = _services(request).clock.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(
        lines(rows),
        media_type=media,
        headers={
            **PAGE_HEADERS,
            "Content-Disposition": f'attachment; filename="decisions-{stamp}.{fmt}"',
        },
    )


@router.get("/decisions/{decision_id}")
async def decision(request: Request, decision_id: str) -> Response:
    session = require_session(request)
    if not DECISION_ID.fullmatch(decision_id):
        raise NotFoundError("no decision with this id in the log")
    detail = _audit(request).decision(_viewer(session), decision_id)
    return _state(request).renderer.page(
        request,
        "decision.html",
        session=session,
        page_title=f"Decision {decision_id}",
        d=detail,
        leaf_text=detail.proof.leaf.decode("utf-8", errors="replace"),
        proof_b64=[base64.b64encode(h).decode() for h in detail.proof.proof],
    )


@router.get("/accounting")
async def accounting_form(request: Request) -> Response:
    session = require_session(request)
    return _state(request).renderer.page(
        request, "accounting.html", session=session, page_title="Taxpayer accounting", result=None
    )


@router.post("/accounting")
async def accounting(request: Request) -> Response:
    session = require_session(request)
    form = await checked_form(request, session)
    result = _audit(request).accounting(_viewer(session), form.get("tin", ""))
    return _state(request).renderer.page(
        request,
        "accounting.html",
        session=session,
        page_title="Taxpayer accounting",
        result=result,
    )


@router.get("/summary")
async def summary(request: Request, since: str | None = None, until: str | None = None) -> Response:
    session = require_session(request)
    first, last = _day_range(request, _day(since, "since"), _day(until, "until"))
    report = _audit(request).summary(_viewer(session), *_instants(first, last))
    return _state(request).renderer.page(
        request,
        "summary.html",
        session=session,
        page_title="Summary report",
        report=report,
        first=first,
        last=last,
        sections=[
            # a request cites several rules, so only the other groupings add up to the total
            ("Agency", report.by_agency, True),
            ("Legal basis", report.by_legal_basis, True),
            ("Purpose", report.by_purpose, True),
            ("Final decision outcome", report.by_outcome, True),
            ("Rule", report.by_rule, False),
        ],
    )


@router.get("/shadow")
async def shadow(request: Request) -> Response:
    """What a candidate policy would have decided otherwise on live traffic (shadow mode)."""
    session = require_session(request)
    svc = _services(request)
    _audit(request)._record(_viewer(session), "shadow_differences")  # a look like any other
    differences = read_differences(svc.decision_log, limit=PAGE_SIZE * 4)
    return _state(request).renderer.page(
        request,
        "shadow.html",
        session=session,
        page_title="Shadow policy",
        status_now=svc.policies.shadow.status(),
        differences=differences,
    )


@router.get("/{unknown:path}")
async def not_a_page(request: Request, unknown: str) -> Response:
    """Any other address under ``/audit/`` is an HTML 404, not a problem document."""
    raise NotFoundError("there is no audit page at this address")


def install_pages(app: FastAPI, settings: Settings) -> None:
    """Mount the pages, their stylesheet and their session store on ``app``."""
    app.state.audit_pages = AreaState.from_settings(settings)
    # The stylesheet first: the pages' catch-all 404 route must not shadow it.
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC_DIR), name="audit-static")
    app.include_router(router)
