"""One signed-in area of pages: its sessions, cookies, forms, errors and sign-in, written once.

The auditors' pages (``/audit/``) and the disclosure officers' (``/review/``) hold
people to the same rules, so the rules live here and each area only names what
differs: its prefix and cookies, the permission that opens a session, the
templates, how many fields its forms may send, and (for officers) a check that the
staff member is still active at every request.

Why each rule:

* **Sign-in takes a bearer token** verified exactly as the API verifies it
  (:class:`~gateway.auth.tokens.TokenVerifier`); the session is kept in the
  database, so whichever worker process answers finds it, and the cookie holds
  only its random id (:mod:`gateway.web.sessions`).
* **Cookies are HttpOnly, SameSite=Strict, scoped to the area's path**, and Secure
  outside development: one area's session is never sent to the other.
* **Every POST carries a CSRF token** (the session's, or for sign-in a pre-session
  one sent in both a cookie and the form) and is refused when the browser says it
  came from another site (``Sec-Fetch-Site``).
* **Failures are HTML pages** with the status, title and detail a problem document
  would carry; a missing or expired session sends the browser to sign in (303).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

import structlog
from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from gateway.auth.permissions import Permission, may
from gateway.auth.tokens import StaffPrincipal
from gateway.errors import ForbiddenError, GatewayError, InvalidRequestError, UnauthenticatedError
from gateway.services import Services
from gateway.settings import Settings
from gateway.web.rendering import PAGE_HEADERS, Renderer
from gateway.web.sessions import AuditSession, SessionStore, tokens_match

log = structlog.get_logger(__name__)

SIGNIN_COOKIE_SECONDS = 600
"""How long a served sign-in form stays good for."""


class SignInRequiredError(Exception):
    """No live session: the browser is sent to the sign-in page."""


@dataclass
class AreaState:
    """What an area keeps for the life of the app (``app.state.<area.state_attr>``)."""

    session_lifetime: timedelta
    renderer: Renderer
    secure_cookies: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> AreaState:
        return cls(
            session_lifetime=timedelta(minutes=settings.audit_session_minutes),
            renderer=Renderer(),
            secure_cookies=settings.environment != "development",
        )


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


@dataclass(frozen=True)
class PageArea:
    """The rules of one area of pages, parametrised by what differs between areas."""

    prefix: str
    state_attr: str
    session_cookie: str
    signin_cookie: str
    permission: Permission
    audience: str
    """Who the pages are for, as a refusal names them ("auditors")."""
    sign_in_template: str
    error_template: str
    event: str
    """The log events' prefix (``audit_page``, ``review_page``)."""
    max_form_fields: int
    still_allowed: Callable[[Services, AuditSession], bool] | None = None
    """Checked at every request: False ends the session (e.g. staff made inactive)."""

    @property
    def cookie_path(self) -> str:
        return f"{self.prefix}/"

    @property
    def sign_in_url(self) -> str:
        return f"{self.prefix}/sign-in"

    # -- state and sessions ------------------------------------------------------------

    def state(self, request: Request) -> AreaState:
        state: AreaState = getattr(request.app.state, self.state_attr)
        return state

    @property
    def name(self) -> str:
        """The area's name in the session table (``audit``, ``review``)."""
        return self.prefix.strip("/")

    def sessions(self, request: Request) -> SessionStore:
        """This area's sessions, in the database the app's services use."""
        return SessionStore(
            services(request).engine, self.name, self.state(request).session_lifetime
        )

    def session_or_none(self, request: Request) -> AuditSession | None:
        svc = getattr(request.app.state, "services", None)
        if svc is None:
            return None
        sessions = self.sessions(request)
        cookie = request.cookies.get(self.session_cookie)
        session = sessions.get(cookie, svc.clock.now())
        if session is None:
            return None
        if self.still_allowed is not None and not self.still_allowed(svc, session):
            sessions.end(cookie)
            return None
        return session

    def require_session(self, request: Request) -> AuditSession:
        session = self.session_or_none(request)
        if session is None:
            raise SignInRequiredError
        return session

    # -- forms -------------------------------------------------------------------------

    def _same_site(self, request: Request) -> None:
        """Browsers name where a request came from (Fetch Metadata); a form posted from
        another site is refused even if a cookie would have gone with it."""
        site = request.headers.get("sec-fetch-site")
        if site is not None and site not in ("same-origin", "none"):
            raise ForbiddenError(f"this form may only be sent from the {self.prefix}/ pages")

    async def read_form(self, request: Request) -> dict[str, str]:
        """The posted fields; wire hygiene has already refused repeated fields, control
        characters and anything but urlencoded UTF-8."""
        body = (await request.body()).decode("ascii", errors="strict")
        try:
            pairs = parse_qsl(body, keep_blank_values=True, max_num_fields=self.max_form_fields)
        except ValueError as exc:
            raise InvalidRequestError(
                f"a form sends at most {self.max_form_fields} fields"
            ) from exc
        return dict(pairs)

    async def checked_form(self, request: Request, session: AuditSession) -> dict[str, str]:
        """A state-changing form from a signed-in person: same site, the session's CSRF token."""
        self._same_site(request)
        form = await self.read_form(request)
        if not tokens_match(session.csrf_token, form.get("csrf_token")):
            raise ForbiddenError("the form's CSRF token is missing or does not match this session")
        return form

    # -- responses ---------------------------------------------------------------------

    def error_page(
        self, request: Request, status: int, title: str, detail: str, session: AuditSession | None
    ) -> Response:
        """The browser's counterpart of a problem document: same status, title and detail."""
        return self.state(request).renderer.page(
            request,
            self.error_template,
            session=session,
            status=status,
            page_title=title,
            title=title,
            detail=detail,
            code=status,
        )

    def route_class(self) -> type[APIRoute]:
        """A route class whose failures are this area's HTML pages, not problem documents."""
        area = self

        class AreaRoute(APIRoute):
            def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
                handler = super().get_route_handler()

                async def page_handler(request: Request) -> Response:
                    try:
                        return await handler(request)
                    except SignInRequiredError:
                        return RedirectResponse(
                            area.sign_in_url, status_code=303, headers=PAGE_HEADERS
                        )
                    except GatewayError as exc:
                        if exc.status >= 500:
                            log.warning(
                                f"{area.event}.failed",
                                error=type(exc).__name__,
                                detail=exc.detail,
                            )
                        return area.error_page(
                            request,
                            exc.status,
                            exc.title,
                            exc.detail,
                            area.session_or_none(request),
                        )
                    except RequestValidationError as exc:
                        fields = sorted({str(e.get("loc", ("", "?"))[-1]) for e in exc.errors()})
                        detail = "these fields are not valid: " + ", ".join(fields)
                        return area.error_page(
                            request, 422, "Invalid request", detail, area.session_or_none(request)
                        )

                return page_handler

        return AreaRoute

    def _set_cookie(
        self, response: Response, request: Request, name: str, value: str, age: int
    ) -> None:
        response.set_cookie(
            name,
            value,
            max_age=age,
            path=self.cookie_path,
            secure=self.state(request).secure_cookies,
            httponly=True,
            samesite="strict",
        )

    def _delete_cookie(self, response: Response, request: Request, name: str) -> None:
        response.delete_cookie(
            name,
            path=self.cookie_path,
            secure=self.state(request).secure_cookies,
            httponly=True,
            samesite="strict",
        )

    def _sign_in_page(
        self, request: Request, *, status: int = 200, message: str | None = None
    ) -> Response:
        """The form, with a fresh pre-session CSRF token in both the form and a cookie."""
        state = self.state(request)
        nonce = secrets.token_urlsafe(32)
        response = state.renderer.page(
            request,
            self.sign_in_template,
            session=None,
            status=status,
            page_title="Sign in",
            signin_csrf=nonce,
            message=message,
            minutes=int(state.session_lifetime.total_seconds() // 60),
        )
        self._set_cookie(response, request, self.signin_cookie, nonce, SIGNIN_COOKIE_SECONDS)
        return response

    # -- sign-in and sign-out ----------------------------------------------------------

    def add_sign_in_routes(self, router: APIRouter) -> None:
        """``GET``/``POST {prefix}/sign-in`` and ``POST {prefix}/sign-out`` on ``router``."""

        @router.get("/sign-in")
        async def sign_in_form(request: Request) -> Response:
            if self.session_or_none(request) is not None:
                return RedirectResponse(f"{self.prefix}/", status_code=303, headers=PAGE_HEADERS)
            return self._sign_in_page(request)

        @router.post("/sign-in")
        async def sign_in(request: Request) -> Response:
            return await self._sign_in(request)

        @router.post("/sign-out")
        async def sign_out(request: Request) -> Response:
            session = self.require_session(request)
            await self.checked_form(request, session)
            self.sessions(request).end(request.cookies.get(self.session_cookie))
            log.info(f"{self.event}.signed_out", staff=session.subject)
            response = RedirectResponse(self.sign_in_url, status_code=303, headers=PAGE_HEADERS)
            self._delete_cookie(response, request, self.session_cookie)
            return response

    async def _sign_in(self, request: Request) -> Response:
        self._same_site(request)
        form = await self.read_form(request)
        if not tokens_match(request.cookies.get(self.signin_cookie, ""), form.get("csrf_token")):
            # No pre-session cookie: the form was not served to this browser (or it expired).
            return self._sign_in_page(
                request, status=403, message="The sign-in form expired or was not sent from here."
            )
        svc = services(request)
        now = svc.clock.now()
        try:
            principal = svc.verifier.verify(f"Bearer {form.get('token', '').strip()}", now)
        except UnauthenticatedError as exc:
            log.info(f"{self.event}.sign_in_refused", reason=exc.detail)
            return self._sign_in_page(request, status=401, message=f"Not signed in: {exc.detail}.")
        if not (isinstance(principal, StaffPrincipal) and may(principal, self.permission)):
            log.info(f"{self.event}.sign_in_refused", reason=f"not one of the {self.audience}")
            return self._sign_in_page(
                request,
                status=403,
                message=f"Not signed in: these pages are for {self.audience} only.",
            )
        session_id, session = self.sessions(request).create(principal.subject, principal.role, now)
        log.info(f"{self.event}.signed_in", staff=principal.subject)
        response = RedirectResponse(f"{self.prefix}/", status_code=303, headers=PAGE_HEADERS)
        lifetime = int((session.expires_at - now).total_seconds())
        self._set_cookie(response, request, self.session_cookie, session_id, lifetime)
        self._delete_cookie(response, request, self.signin_cookie)
        return response
