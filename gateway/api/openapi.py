"""The API document agencies build against (``/openapi.json``) and its viewer (``/docs``).

FastAPI writes most of the document from the routes. Four things it cannot see
are added here, once, when the document is first asked for:

1. **Bodies read by hand.** A route that must authenticate before it parses, and
   parses the raw JSON strictly (``POST /v1/address-lookups``,
   ``POST /v1/court-orders``), declares its model with :func:`json_body`; the
   model's schema goes into ``components`` like any other.
2. **Runtime limits.** A limit that is a setting, not a constant of the model
   (``GATEWAY_MAX_SUBJECTS``), is written into the schema from the settings the
   app was built with, so the document says what this gateway enforces.
3. **Problem answers.** Every 4xx/5xx response is an RFC 9457 problem document
   (``application/problem+json``, schema ``Problem``). The statuses that follow
   from how a route is built are added to it: 401 and 503 where a token is
   checked (the replay memory is in the datastore), 403 where a permission is
   required, 404 where the path names something, 413 and 415 where a body is
   sent, 422 where anything is parsed. A route declares the rest itself
   (:func:`gateway.api.problems.problem_responses`).
4. **The bearer scheme** comes from :data:`gateway.api.deps.bearer_scheme`, a
   dependency of every authenticated route, so FastAPI declares it already.

``/docs`` is Swagger UI from the ``fastapi-offline`` package's files, served by
this app: the page fetches nothing from any other host (``validatorUrl`` off).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel
from starlette.routing import BaseRoute

from gateway.api.authz import Require
from gateway.api.deps import principal, principal_spending_later
from gateway.api.problems import PROBLEM_MEDIA_TYPE, PROBLEM_SCHEMA_REF, ProblemDocument
from gateway.settings import Settings

COMPONENTS = "#/components/schemas/"
DOCS_ASSETS_URL = "/docs/assets"
"""Where the Swagger UI files are served (``swagger-ui-bundle.js``, ``swagger-ui.css``)."""
SWAGGER_UI_PARAMETERS: dict[str, Any] = {"validatorUrl": None, "persistAuthorization": False}
"""No online validator badge (it would fetch from another host); tokens not kept."""

DESCRIPTION = """\
Address lookups under 26 U.S.C. §6103, decided by policy and logged before anything
is released.

**Identity.** Every `/v1` call carries `Authorization: Bearer <JWT>`: an Ed25519
(EdDSA) token signed by the agency's registered key (`iss` agency id, `sub` official
id, `aud` `taxpayer-gateway`, `iat`, `exp` at most 10 minutes later, `jti`), or a
staff token signed by the gateway. A token first used on a read-only call (`GET`,
`HEAD`) is accepted by read-only calls until it expires and never by a
state-changing one; a state-changing call (`POST`) needs a token never used before,
and spends it.

**Errors** are RFC 9457 problem documents (`application/problem+json`): `type`,
`title`, `status`, `detail`, and on 422 `errors` naming where the request is wrong.
A request body must be `application/json`, UTF-8, without duplicate keys or
control and format characters.
"""


def json_body(model: type[BaseModel], description: str) -> dict[str, Any]:
    """``openapi_extra=`` for a route that reads ``model`` from the raw body itself."""
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": {"$ref": COMPONENTS + model.__name__}}},
        },
        "x-body-schema": _schema_of(model),
    }


def install_openapi(app: FastAPI, settings: Settings) -> None:
    """Serve the completed document at ``app.openapi_url`` (built once, on first use)."""

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_document(app, settings)
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]  # FastAPI's documented hook


def build_document(app: FastAPI, settings: Settings) -> dict[str, Any]:
    doc = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        description=DESCRIPTION,
        routes=app.routes,
    )
    schemas: dict[str, Any] = doc.setdefault("components", {}).setdefault("schemas", {})
    _add_schema(schemas, _schema_of(ProblemDocument))
    for route, method, operation in _operations(doc, app.routes):
        # 1. bodies read by hand
        body = operation.pop("x-body-schema", None)
        if body is not None:
            _add_schema(schemas, body)
        # 3. problem answers
        responses: dict[str, Any] = operation.setdefault("responses", {})
        for code in _problems_of(route, method, operation):
            responses.setdefault(str(code), {"description": HTTPStatus(code).phrase})
        for key, response in responses.items():
            if key.isdigit() and int(key) >= 400:
                _answer_with_problem(int(key), response)
    # FastAPI's own 422 schemas are replaced by Problem everywhere.
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    # 2. runtime limits
    _limit_items(schemas, "LookupRequest", "subjects", settings.max_subjects)
    return doc


def _schema_of(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema(ref_template=COMPONENTS + "{model}", mode="validation")


def _add_schema(schemas: dict[str, Any], schema: dict[str, Any]) -> None:
    """Put a model's schema and the models it refers to under ``components/schemas``.

    A name already there must have the same schema: two different models with one name
    would make the document lie about one of them."""
    schema = dict(schema)
    named = {**schema.pop("$defs", {}), schema["title"]: schema}
    for name, sub in named.items():
        existing = schemas.setdefault(name, sub)
        if existing != sub:
            raise ValueError(f"two different schemas are named {name} in the API document")


def _operations(
    doc: dict[str, Any], routes: Sequence[BaseRoute]
) -> Iterator[tuple[Any, str, dict[str, Any]]]:
    """Each documented operation with its route (as FastAPI sees it once routers are
    included: prefixes and router-level dependencies applied)."""
    for route in iter_route_contexts(routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        for method in sorted(route.methods or ()):
            operation = doc["paths"].get(route.path_format, {}).get(method.lower())
            if operation is not None:
                yield route, method, operation


def _problems_of(route: Any, method: str, operation: dict[str, Any]) -> list[int]:
    calls = list(_calls(route.dependant))
    authenticated = principal in calls or principal_spending_later in calls
    statuses: list[int] = []
    if authenticated:
        statuses += [401, 503]
    if any(isinstance(call, Require) for call in calls):
        statuses.append(403)
    if "{" in route.path_format:
        statuses.append(404)
    if method in ("POST", "PUT", "PATCH"):
        statuses += [413, 415]
    if "requestBody" in operation or operation.get("parameters"):
        statuses.append(422)
    return sorted(statuses)


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


def _answer_with_problem(status: int, response: dict[str, Any]) -> None:
    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_SCHEMA_REF}}}
    if status == 401:
        response["headers"] = {
            "WWW-Authenticate": {
                "description": 'Bearer realm="taxpayer-gateway", with error="invalid_token"'
                " when a token was sent and refused (RFC 6750 §3)",
                "schema": {"type": "string"},
            }
        }


def _limit_items(schemas: dict[str, Any], model: str, field: str, limit: int) -> None:
    """The smaller of the model's own bound and the setting is the one enforced."""
    prop = schemas[model]["properties"][field]
    prop["maxItems"] = min(prop.get("maxItems", limit), limit)
