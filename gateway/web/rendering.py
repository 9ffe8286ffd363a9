"""Templates, security headers and HTML error pages for the auditor pages.

Every page answer carries the same headers: ``Cache-Control: no-store`` (pages
show audit data and, on the accounting page, a taxpayer's disclosures), and a
Content-Security-Policy that allows only this gateway's stylesheet and forms
posted back to it: no script at all, no inline style, nothing from another
origin. The pages are built to need none of that, and the policy makes sure a
template or an injected value cannot bring it in.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from gateway.web.sessions import AuditSession

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def _utc(value: datetime | None, fmt: str) -> str:
    if value is None:
        return "—"
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime(fmt)


def _duration(seconds: float | None) -> str:
    """``3 d 4 h``, ``2 h 5 min``, ``40 s``: a review's age, readable at a glance."""
    if seconds is None:
        return "—"
    s = int(seconds)
    days, rest = divmod(s, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


def make_environment() -> Environment:
    """Autoescaping everywhere and undefined names as errors: a template typo fails a
    test instead of rendering an empty cell."""
    env = Environment(
        loader=PackageLoader("gateway.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["utc"] = lambda v: _utc(v, "%Y-%m-%d %H:%M:%S")
    env.filters["hhmm"] = lambda v: _utc(v, "%H:%M")
    env.filters["day"] = lambda v: v.isoformat() if v is not None else "—"
    env.filters["duration"] = _duration
    env.filters["hex"] = lambda b: b.hex() if b is not None else "—"
    return env


class Renderer:
    """Renders a template into an answer with the page headers."""

    def __init__(self) -> None:
        self.env = make_environment()

    def page(
        self,
        request: Request,
        template: str,
        *,
        session: AuditSession | None,
        status: int = 200,
        headers: dict[str, str] | None = None,
        **context: Any,
    ) -> HTMLResponse:
        body = self.env.get_template(template).render(
            session=session,
            current=request.url.path,
            page_title=context.pop("page_title", "Audit"),
            **context,
        )
        return HTMLResponse(body, status_code=status, headers={**PAGE_HEADERS, **(headers or {})})

    def error(
        self,
        request: Request,
        *,
        status: int,
        title: str,
        detail: str,
        session: AuditSession | None,
        headers: dict[str, str] | None = None,
    ) -> HTMLResponse:
        """The browser's counterpart of a problem document: same status, title and detail."""
        return self.page(
            request,
            "error.html",
            session=session,
            status=status,
            headers=headers,
            page_title=title,
            title=title,
            detail=detail,
            code=status,
        )
