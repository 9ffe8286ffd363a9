"""One authorization table: every route names its permission, every role without it gets 403.

The routes are read from the application itself, so a new route that asks for a
principal without naming a permission fails here, and so does a role that the
table forgot. Each refusal is checked over HTTP against the whole app, with a
real token of the role.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from gateway.api.authz import Require
from gateway.api.deps import principal, principal_spending_later
from gateway.app import create_app
from gateway.auth.permissions import ROLE_PERMISSIONS, ROLES, Permission, Role, roles_with
from gateway.settings import Settings
from tests.support import Tokens, make_settings, prepare_home

AGENCY = "DOJ-FBI"


def _walk(dependant: Dependant) -> Iterator[object]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _walk(sub)


def _routes() -> list[tuple[str, str, Dependant]]:
    """Every (method, path) the app answers with a FastAPI route, and its dependencies."""
    app = create_app(Settings())
    found: list[tuple[str, str, Dependant]] = []
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        if isinstance(dependant, Dependant) and route.path and route.methods:
            found.extend((m, route.path, dependant) for m in sorted(route.methods))
    return found


def _permissions(dependant: Dependant) -> set[Permission]:
    return {c.permission for c in _walk(dependant) if isinstance(c, Require)}


def _authenticated(dependant: Dependant) -> bool:
    # the lookup route's own principal spends its token with the decision leaf
    return any(c in (principal, principal_spending_later) for c in _walk(dependant))


ROUTES = _routes()
GUARDED = [(m, p, _permissions(r)) for m, p, r in ROUTES if _authenticated(r)]


def test_every_role_is_in_the_table_and_every_permission_is_granted() -> None:
    assert set(ROLE_PERMISSIONS) == set(ROLES)
    assert all(roles_with(p) for p in Permission)


def test_duties_stay_separate() -> None:
    # Whoever releases an address never audits the releases, and agencies act only for
    # themselves: widening one of these is a deliberate edit of this test too.
    assert roles_with(Permission.REVIEW_ACT) == ("disclosure_officer",)
    assert roles_with(Permission.AUDIT_READ) == ("auditor",)
    assert roles_with(Permission.LOG_ENTRIES) == ("auditor",)
    assert roles_with(Permission.LOOKUP_CREATE) == ("agency_official",)
    assert roles_with(Permission.COURT_ORDER_RECORD) == ("disclosure_officer", "court_liaison")
    assert "agency_official" not in roles_with(Permission.COURT_ORDER_READ)


def test_every_route_that_authenticates_names_exactly_one_permission() -> None:
    assert GUARDED, "no authenticated route found: the walk is broken"
    unnamed = [(m, p) for m, p, perms in GUARDED if len(perms) != 1]
    assert unnamed == []


def test_every_v1_route_authenticates() -> None:
    # The API's routes all act for someone; only health checks and the docs are open.
    open_v1 = [(m, p) for m, p, r in ROUTES if p.startswith("/v1/") and not _authenticated(r)]
    assert open_v1 == []


def test_every_permission_is_needed_by_some_route() -> None:
    # A permission no route asks for is a grant nobody can check.
    used = set().union(*(perms for _, _, perms in GUARDED))
    assert used == set(Permission)


@pytest.fixture(scope="module")
def gateway(
    tmp_path_factory: pytest.TempPathFactory, opa_binary: Path
) -> Iterator[tuple[TestClient, Tokens]]:
    home = tmp_path_factory.mktemp("permissions")
    settings = make_settings(home / "home", f"sqlite:///{home / 'gateway.db'}", opa_binary)
    prepare_home(settings)
    with TestClient(create_app(settings)) as client:
        yield client, Tokens(settings)


def _headers(tokens: Tokens, role: Role) -> dict[str, str]:
    if role == "agency_official":
        return tokens.agency(AGENCY, "FBI_DIRECTOR")
    return tokens.staff(role)


REFUSALS = [
    (method, path, permission, role)
    for method, path, perms in GUARDED
    for permission in perms
    for role in ROLES
    if permission not in ROLE_PERMISSIONS[role]
]


@pytest.mark.parametrize(
    ("method", "path", "permission", "role"),
    REFUSALS,
    ids=[f"{r}-{m}-{p}" for m, p, _, r in REFUSALS],
)
def test_a_role_without_the_permission_gets_403(
    gateway: tuple[TestClient, Tokens],
    method: str,
    path: str,
    permission: Permission,
    role: Role,
) -> None:
    client, tokens = gateway
    url = re.sub(r"\{[^}]+\}", "x", path)
    resp = client.request(method, url, headers=_headers(tokens, role))
    assert resp.status_code == 403, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert permission.value in resp.json()["detail"]
