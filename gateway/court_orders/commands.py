"""``gateway court-orders record --file order.json`` and ``gateway court-orders list``.

Both are clients of a running gateway's staff API (``/v1/court-orders``), so
an order recorded from the command line goes through exactly the checks, the
role test and the ``court_order`` log leaf of one recorded over HTTP. The
bearer token is ``--token`` (or ``GATEWAY_STAFF_TOKEN``); without one, a
staff token for ``--role`` and ``--subject`` is minted with the gateway's own
key, as ``gateway token --role`` would.

Results go to stdout; a bad file, an unreachable gateway or a refusal is one
line on stderr and exit status 1 (never a traceback, never a TIN: validation
errors name the field, not its value).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from gateway.auth.keys import GATEWAY_KEY_NAME, KeyNotFoundError, KeyStore
from gateway.auth.registry import Registry, StaffNotRegisteredError
from gateway.auth.tokens import STAFF_ROLES, mint_token
from gateway.clock import SystemClock, UnsafePinnedClock
from gateway.domain import CourtOrderRecording
from gateway.settings import Settings

court_orders_app = typer.Typer(
    no_args_is_help=True, help="The court-order registry: orders verified against the docket."
)

Url = Annotated[str, typer.Option(envvar="GATEWAY_URL", help="The running gateway's base URL.")]
Token = Annotated[
    str | None,
    typer.Option(envvar="GATEWAY_STAFF_TOKEN", help="Staff bearer token (default: mint one)."),
]
Role = Annotated[str, typer.Option(help="Staff role of a minted token: " + ", ".join(STAFF_ROLES))]
Subject = Annotated[
    str | None,
    typer.Option(help="Staff registry id of a minted token (default: the first with --role)."),
]


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code=1)


def _staff_token(token: str | None, role: str, subject: str | None) -> str:
    if token:
        return token
    if role not in STAFF_ROLES:
        raise _fail(f"role must be one of {', '.join(STAFF_ROLES)}")
    settings = Settings()
    clock = UnsafePinnedClock(settings.pinned_clock) if settings.pinned_clock else SystemClock()
    try:
        return mint_token(
            KeyStore(settings.keys_dir),
            issuer=GATEWAY_KEY_NAME,
            subject=Registry.load(settings.policy_dir).staff_id_for(role, subject),
            audience=settings.audience,
            now=clock.now(),
            lifetime=timedelta(minutes=2),
            role=role,  # narrowed to a StaffRole by the check above
        )
    except KeyNotFoundError as exc:
        raise _fail("no gateway key to mint a staff token; pass --token") from exc
    except StaffNotRegisteredError as exc:
        raise _fail(f"cannot mint a staff token: {exc}") from exc


def _read_order(path: Path) -> dict[str, Any]:
    """The order file, checked against the API's own model; one line per problem, no values."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _fail(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})") from exc
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = (
            f" at line {exc.lineno}, column {exc.colno}"
            if isinstance(exc, json.JSONDecodeError)
            else ""
        )
        raise _fail(f"{path}: not JSON{where}") from exc
    if not isinstance(data, dict):
        raise _fail(f"{path}: not a JSON object")
    try:
        CourtOrderRecording.model_validate_json(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(order)'}: {e['msg']}"
            for e in exc.errors(include_input=False, include_url=False)
        )
        raise _fail(f"{path}: {problems}") from exc
    return data


def _call(method: str, url: str, token: str, **kwargs: Any) -> Any:
    try:
        resp = httpx.request(
            method, url, headers={"Authorization": f"Bearer {token}"}, timeout=30, **kwargs
        )
    except httpx.HTTPError as exc:
        raise _fail(f"cannot reach the gateway at {url} ({type(exc).__name__})") from exc
    if resp.is_success:
        return resp.json()
    try:
        problem = resp.json()
        detail = f"{problem.get('title', '')}: {problem.get('detail', '')}"
        errors = problem.get("errors") or []
        if errors:
            detail += " (" + "; ".join(".".join(e.get("loc", [])) for e in errors) + ")"
    except ValueError:
        detail = resp.reason_phrase
    raise _fail(f"refused ({resp.status_code}) {detail}")


@court_orders_app.command("record")
def record(
    file: Annotated[Path, typer.Option("--file", help="The verified order, as JSON.")],
    url: Url = "http://127.0.0.1:8000",
    token: Token = None,
    role: Role = "court_liaison",
    subject: Subject = None,
) -> None:
    """Record an order (or, with "supersedes", a correction) verified against the docket."""
    order = _read_order(file)
    created = _call(
        "POST", f"{url.rstrip('/')}/v1/court-orders", _staff_token(token, role, subject), json=order
    )
    typer.echo(
        f"recorded court order {created['id']} (version {created['version']}) "
        f"at log index {created['log_index']}"
    )


@court_orders_app.command("list")
def list_command(
    include_superseded: Annotated[
        bool, typer.Option("--all", help="Also list versions later corrected.")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 200,
    url: Url = "http://127.0.0.1:8000",
    token: Token = None,
    role: Role = "court_liaison",
    subject: Subject = None,
) -> None:
    """List recorded orders, newest first (TINs are counted, not printed)."""
    found = _call(
        "GET",
        f"{url.rstrip('/')}/v1/court-orders",
        _staff_token(token, role, subject),
        params={"include_superseded": include_superseded, "limit": limit},
    )
    table = Table("id", "v", "court", "docket", "type", "issued", "expires", "TINs", "recorded by")
    for column in table.columns[:2] + table.columns[3:5]:
        column.no_wrap = True  # ids and dockets are copied from here: never broken
    for o in found["items"]:
        table.add_row(
            o["id"] + (" (superseded)" if o["superseded_by"] else ""),
            str(o["version"]),
            o["court"],
            o["docket_number"],
            o["order_type"],
            o["issued_at"],
            o["expires_at"] or "-",
            str(len(o["covered_tins"])),
            f"{o['recorded_by']['subject']} ({o['recorded_by']['role']}) {o['recorded_at']}",
        )
    console = Console()
    if not console.is_terminal:
        console = Console(width=320)  # a pipe or a file: one row per line
    console.print(table)
    typer.echo(f"{len(found['items'])} court orders")
