"""The ``gateway`` command: serve, seed, store import, keys, token, policy.

Every command reads its settings from ``GATEWAY_*`` variables (see
``gateway.settings``); flags only override what a single run needs.
"""

from __future__ import annotations

import os
import shutil
import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from gateway.audit.commands import audit_app
from gateway.audit.key_commands import keys_app
from gateway.audit.provisioning import key_store
from gateway.auditing.commands import register as register_audit_workbench
from gateway.auth.keys import GATEWAY_KEY_NAME, KeyNotFoundError
from gateway.auth.registry import Registry, StaffNotRegisteredError
from gateway.auth.tokens import STAFF_ROLES, mint_token
from gateway.clock import SystemClock, UnsafePinnedClock
from gateway.court_orders.commands import court_orders_app
from gateway.errors import GatewayError
from gateway.metrics import process_alive
from gateway.pdp.commands import policy_app
from gateway.settings import Settings, UnsafeSettingError
from gateway.store.commands import seed_command, store_app


class _GatewayCommand(typer.Typer):
    """The ``gateway`` command: an operator's mistake is one line on stderr, not a traceback.

    A setting that does not parse, a development shortcut refused in production,
    or a dependency the command cannot use (a database it cannot reach, a policy
    OPA will not load) says what is wrong in one line and exits non-zero (2 for
    settings, 1 otherwise), so that both a person and a script can act on it.
    Anything else is a bug and keeps its traceback.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except ValidationError as exc:
            if exc.title != Settings.__name__:
                raise
            _fail(2, "invalid setting: " + settings_error_line(exc))
        except UnsafeSettingError as exc:
            _fail(2, f"unsafe setting: {exc}")
        except GatewayError as exc:
            _fail(1, exc.detail)


def settings_error_line(exc: ValidationError) -> str:
    """Each wrong variable with pydantic's reason, never the value (it may be a secret)."""
    return "; ".join(
        f"GATEWAY_{str(e['loc'][0]).upper() if e['loc'] else '?'}: {e['msg']}"
        for e in exc.errors(include_input=False, include_url=False)
    )


def _fail(code: int, message: str) -> NoReturn:
    first = " ".join(message.split())  # one line, whatever the message held
    sys.stderr.write(f"gateway: {first}\n")
    raise SystemExit(code)


app = _GatewayCommand(no_args_is_help=True, add_completion=False, help=__doc__)
app.add_typer(store_app, name="store", help="The taxpayer datastore.")
app.add_typer(keys_app, name="keys")
app.add_typer(policy_app, name="policy")
register_audit_workbench(audit_app)
app.add_typer(audit_app, name="audit")
app.add_typer(court_orders_app, name="court-orders")
app.command("seed", help="Fill the datastore with a deterministic synthetic population.")(
    seed_command
)

err = Console(stderr=True)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=64,
            help="Worker processes (default: GATEWAY_WORKERS, else the number of CPU cores).",
        ),
    ] = None,
) -> None:
    """Run the gateway (and, unless GATEWAY_OPA_URL is set, a local OPA beside each worker)."""
    from gateway.api.server import serve as serve_http
    from gateway.app import create_app

    settings = Settings()
    count = workers or settings.workers or os.cpu_count() or 1
    scheme = "https" if settings.tls_cert_file else "http"
    if count == 1:
        app_ = create_app(settings)
        err.print(f"gateway: listening on {scheme}://{host}:{port} (Ctrl-C stops it and its OPA)")
        serve_http(app_, settings, host=host, port=port)
        return
    _serve_workers(settings, host=host, port=port, workers=count, scheme=scheme)


def _serve_workers(settings: Settings, *, host: str, port: int, workers: int, scheme: str) -> None:
    """Several worker processes: checked here once, then each builds its own app."""
    from gateway.api.server import serve_workers
    from gateway.audit.provisioning import check_production_keys
    from gateway.logging import configure_logging

    settings.check_production()
    check_production_keys(settings)
    if settings.opa_url is None and settings.policy_reload_interval_seconds <= 0:
        # A reload asked of one worker would leave the others on the old policy.
        _fail(
            2,
            "several workers follow policies/ by watching it: set "
            "GATEWAY_POLICY_RELOAD_INTERVAL_SECONDS above 0, or serve with --workers 1",
        )
    configure_logging(fmt=settings.log_format, level=settings.log_level)
    shared = _fresh_worker_dir(settings)
    # The workers are spawned with this environment: they read their settings from it.
    os.environ["GATEWAY_WORKER_DIR"] = str(shared)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(shared / "metrics")
    err.print(
        f"gateway: listening on {scheme}://{host}:{port} with {workers} worker processes"
        " (Ctrl-C stops them and their OPAs)"
    )
    try:
        ok = serve_workers(settings, host=host, port=port, workers=workers)
    finally:
        shutil.rmtree(shared, ignore_errors=True)
    if not ok:
        _fail(1, "a worker process could not start (its error is in the log above)")


def _fresh_worker_dir(settings: Settings) -> Path:
    """``HOME/workers/<supervisor pid>``, empty; folders of supervisors gone are removed."""
    root = settings.home / "workers"
    root.mkdir(parents=True, exist_ok=True)
    for old in root.iterdir():
        if old.name.isdigit() and not process_alive(int(old.name)):
            shutil.rmtree(old, ignore_errors=True)
    shared = root / str(os.getpid())
    shutil.rmtree(shared, ignore_errors=True)
    (shared / "metrics").mkdir(parents=True)
    return shared


@app.command()
def token(
    agency: Annotated[str | None, typer.Option(help="Agency id, e.g. DOJ-FBI.")] = None,
    official: Annotated[str | None, typer.Option(help="Official id from the registry.")] = None,
    role: Annotated[str | None, typer.Option(help="Staff role: " + ", ".join(STAFF_ROLES))] = None,
    subject: Annotated[
        str | None,
        typer.Option(help="Staff registry id (default: the first active member with --role)."),
    ] = None,
    minutes: Annotated[int, typer.Option(min=1, max=10, help="Lifetime.")] = 5,
) -> None:
    """Print a signed bearer token on stdout (local use and tests)."""
    settings = Settings()
    keys = key_store(settings)
    clock = UnsafePinnedClock(settings.pinned_clock) if settings.pinned_clock else SystemClock()
    if (agency is None) == (role is None):
        raise typer.BadParameter("give either --agency with --official, or --role")
    try:
        if role is not None:
            if role not in STAFF_ROLES:
                raise typer.BadParameter(f"role must be one of {', '.join(STAFF_ROLES)}")
            tok = mint_token(
                keys,
                issuer=GATEWAY_KEY_NAME,
                subject=_staff_id(settings, role, subject),
                audience=settings.audience,
                now=clock.now(),
                lifetime=timedelta(minutes=minutes),
                role=role,
            )
        elif agency is not None:
            registry = Registry.load(settings.policy_dir)
            if official is None:
                candidates = [
                    o.id
                    for o in sorted(registry.officials.values(), key=lambda o: (o.acting, o.id))
                    if o.agency == agency
                ]
                if not candidates:
                    raise typer.BadParameter(f"no registered official for agency {agency!r}")
                official = candidates[0]
            tok = mint_token(
                keys,
                issuer=agency,
                subject=official,
                audience=settings.audience,
                now=clock.now(),
                lifetime=timedelta(minutes=minutes),
            )
        else:  # ruled out above; said again so that no path reaches `tok` unset
            raise typer.BadParameter("give either --agency with --official, or --role")
    except KeyNotFoundError as exc:
        err.print(f"no key for {exc.args[0]!r}; run `gateway keys init`")
        raise typer.Exit(1) from exc
    typer.echo(tok)


def _staff_id(settings: Settings, role: str, subject: str | None) -> str:
    try:
        return Registry.load(settings.policy_dir).staff_id_for(role, subject)
    except StaffNotRegisteredError as exc:
        raise typer.BadParameter(str(exc)) from exc
