"""``gateway audit …``: verify, export, checkpoint and witness the decision log.

* ``gateway audit verify`` re-derives every leaf hash, subtree and root from
  the database and checks every stored checkpoint (signature, consistency).
* ``gateway audit verify --offline DIR`` does the same for an export, with no
  database and no gateway.
* ``gateway audit export DIR`` writes leaves, checkpoints and the public key.
* ``gateway audit checkpoint`` signs a checkpoint of the log as it is now.
* ``gateway audit public-key`` prints the log's verifier key.
* ``gateway audit watch --state FILE`` keeps the auditor's own copy of the
  latest checkpoint and demands a consistency proof for every newer one.

Results go to stdout, progress and failures to stderr. Exit status: 0
verified, 1 verification failed (the first bad index is named), 2 the log
could not be read or the arguments are wrong.
"""

from __future__ import annotations

import shlex
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from gateway.audit.errors import AuditVerificationError, MalformedKeyError
from gateway.audit.logkey import log_signer_from_file
from gateway.audit.signer import NoteVerifier
from gateway.clock import SystemClock
from gateway.errors import GatewayError
from gateway.settings import Settings

if TYPE_CHECKING:
    from gateway.audit.checkpoints import Checkpointer
    from gateway.audit.log import DecisionLog
    from gateway.audit.verify import VerifyResult

# The log, export, verify and witness modules import SQLAlchemy and the store;
# they are imported inside the commands so that `gateway --help` or `gateway
# token` does not pay for them.

audit_app = typer.Typer(no_args_is_help=True, help="Verify, export and witness the decision log.")

_stderr = Console(stderr=True)

_PROGRESS_THRESHOLD = 50_000
"""Logs at least this large get a progress bar."""


@contextmanager
def _progress(total: int) -> Iterator[Progress | None]:
    """A progress bar on stderr for large logs; None for small ones."""
    if total < _PROGRESS_THRESHOLD:
        yield None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=_stderr,
    ) as bar:
        yield bar


def _advancer(bar: Progress | None, description: str, total: int) -> Callable[[int], None] | None:
    if bar is None:
        return None
    task = bar.add_task(description, total=total)
    return lambda n: bar.advance(task, n)


def _log_and_checkpointer(settings: Settings) -> tuple[DecisionLog, Checkpointer]:
    from gateway.audit.checkpoints import Checkpointer
    from gateway.audit.log import DecisionLog
    from gateway.db import make_engine, migrate

    settings.home.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    log = DecisionLog(engine)
    try:
        signer = log_signer_from_file(settings.checkpoint_key_path, settings.log_origin)
    except FileNotFoundError as exc:
        _stderr.print("no checkpoint key: run `gateway keys init` (or start the gateway) first")
        raise typer.Exit(2) from exc
    return log, Checkpointer(log, signer)


def _pinned_key(text_or_file: str) -> NoteVerifier:
    """A verifier key given as text or as the path of a file holding it."""
    candidate = Path(text_or_file)
    text = candidate.read_text("utf-8").strip() if candidate.is_file() else text_or_file.strip()
    try:
        return NoteVerifier.from_text(text)
    except MalformedKeyError as exc:
        _stderr.print(f"not a verifier key: {exc}")
        raise typer.Exit(2) from exc


def _report(result: VerifyResult, started: float) -> None:
    latest = result.latest
    typer.echo(
        f"verified: {result.size} leaves, {result.checkpoints} signed checkpoints"
        + (f", newest of size {latest.size} ({latest.origin})" if latest else "")
        + (f", {result.rotations} checkpoint key rotation(s) followed" if result.rotations else "")
        + f" in {time.perf_counter() - started:.2f} s"
    )
    if result.uncovered:
        typer.echo(
            f"note: the last {result.uncovered} leaves are consistent but not yet covered by a"
            " signed checkpoint"
        )


def _failed(exc: AuditVerificationError) -> typer.Exit:
    from gateway.audit.verify import LogVerificationError

    if isinstance(exc, LogVerificationError):
        _stderr.print(f"FAILED at index {exc.index}: {exc.problem}", markup=False)
    else:
        _stderr.print(f"FAILED: {exc}", markup=False)
    return typer.Exit(1)


PublicKeyOption = Annotated[
    str | None,
    typer.Option(
        "--public-key",
        help="The log's verifier key you trust (text or a file holding it).",
    ),
]


@audit_app.command("verify")
def verify_command(
    offline: Annotated[
        Path | None,
        typer.Option(help="Verify this export directory instead of the database.", file_okay=False),
    ] = None,
    public_key: PublicKeyOption = None,
) -> None:
    """Re-derive every leaf hash and root; check every checkpoint's signature and consistency."""
    from gateway.audit.export import read_manifest, verify_export
    from gateway.audit.verify import verify_database

    started = time.perf_counter()
    if offline is not None:
        if public_key is not None:
            verifier = _pinned_key(public_key)
        else:
            verifier = _pinned_key(str(offline / "public-key.txt"))
            _stderr.print(
                "warning: trusting the public key inside the export; pin the one you obtained"
                " independently with --public-key"
            )
        try:
            total = read_manifest(offline).size
        except (OSError, ValueError, KeyError) as exc:
            _stderr.print(f"not a decision-log export: {exc}")
            raise typer.Exit(2) from exc
        with _progress(total) as bar:
            advance = _advancer(bar, "verifying export", total)
            try:
                result = verify_export(
                    offline,
                    [verifier],
                    progress=advance,
                )
            except AuditVerificationError as exc:
                raise _failed(exc) from exc
            except OSError as exc:
                _stderr.print(f"cannot read the export: {exc}")
                raise typer.Exit(2) from exc
        _report(result, started)
        return
    settings = Settings()
    log, checkpointer = _log_and_checkpointer(settings)
    try:
        if public_key:
            verifier = _pinned_key(public_key)
        else:
            # The chain is followed from the first key the log records: a key taken from
            # the log vouches only for internal consistency, as the warning says.
            verifier = checkpointer.first_key()
            _stderr.print(
                "warning: following the key chain from the first key the log records; pin"
                " the one you obtained independently with --public-key"
            )
        checkpoints = checkpointer.all()
        total = log.size()
        with _progress(total) as bar:
            advance = _advancer(bar, "verifying log", total)
            result = verify_database(
                log,
                checkpoints,
                [verifier],
                progress=advance,
            )
    except AuditVerificationError as exc:
        raise _failed(exc) from exc
    except GatewayError as exc:
        _stderr.print(f"cannot read the log: {exc.detail}")
        raise typer.Exit(2) from exc
    finally:
        log.engine.dispose()
    _report(result, started)


@audit_app.command("export")
def export_command(
    directory: Annotated[Path, typer.Argument(help="An empty or new directory.", file_okay=False)],
) -> None:
    """Write the log's leaves, signed checkpoints and public key to DIRECTORY."""
    from gateway.audit.export import export_log

    settings = Settings()
    log, checkpointer = _log_and_checkpointer(settings)
    try:
        checkpoints = checkpointer.all()  # before the leaves: the leaves then cover them all
        total = log.size()
        with _progress(total) as bar:
            advance = _advancer(bar, "exporting", total)
            manifest = export_log(
                log,
                checkpoints,
                checkpointer.first_key(),
                directory,
                progress=advance,
            )
    except FileExistsError as exc:
        _stderr.print(str(exc))
        raise typer.Exit(2) from exc
    except GatewayError as exc:
        _stderr.print(f"cannot read the log: {exc.detail}")
        raise typer.Exit(2) from exc
    finally:
        log.engine.dispose()
    typer.echo(
        f"exported {manifest.size} leaves and {manifest.checkpoints} checkpoints to {directory}"
    )


@audit_app.command("checkpoint")
def checkpoint_command() -> None:
    """Sign a checkpoint of the log as it is now (after proving it extends the last one)."""
    settings = Settings()
    log, checkpointer = _log_and_checkpointer(settings)
    try:
        stored = checkpointer.publish(SystemClock().now())
    except AuditVerificationError as exc:
        raise _failed(exc) from exc
    except GatewayError as exc:
        _stderr.print(f"cannot publish: {exc.detail}")
        raise typer.Exit(2) from exc
    finally:
        log.engine.dispose()
    typer.echo(stored.note, nl=False)


@audit_app.command("public-key")
def public_key_command(
    first: Annotated[
        bool,
        typer.Option(
            "--first",
            help="The log's first key (where verification starts), not the key in force.",
        ),
    ] = False,
) -> None:
    """Print the log's verifier key (<origin>+<key id>+<base64 key>)."""
    settings = Settings()
    if first:
        log, checkpointer = _log_and_checkpointer(settings)
        try:
            typer.echo(checkpointer.first_key().verifier_key_text())
        finally:
            log.engine.dispose()
        return
    try:
        signer = log_signer_from_file(settings.checkpoint_key_path, settings.log_origin)
    except FileNotFoundError as exc:
        _stderr.print("no checkpoint key: run `gateway keys init` first")
        raise typer.Exit(2) from exc
    typer.echo(signer.verifier_key_text())


def _token_supply(tokens: list[str], command: str | None) -> Callable[[], str]:
    """Tokens given on the command line first, then fresh ones from ``command``."""
    queue = list(reversed(tokens))

    def next_token() -> str:
        if queue:
            return queue.pop()
        if command is None:
            raise RuntimeError("out of tokens: give --token again or --token-command")
        done = subprocess.run(  # noqa: S603 - the auditor's own command line
            shlex.split(command), capture_output=True, text=True, timeout=60, check=True
        )
        return done.stdout.strip()

    return next_token


@audit_app.command("watch")
def watch_command(
    state: Annotated[Path, typer.Option(help="Where this auditor keeps its checkpoint.")],
    url: Annotated[str, typer.Option(help="The gateway's base URL.")] = "http://127.0.0.1:8000",
    token: Annotated[
        list[str] | None,
        typer.Option(help="A gateway bearer token (any role); single-use, so repeat it."),
    ] = None,
    token_command: Annotated[
        str | None,
        typer.Option(help="A command printing a fresh token, run before each request."),
    ] = None,
    public_key: PublicKeyOption = None,
    interval: Annotated[
        float, typer.Option(min=0, help="Seconds between checks; 0 checks once and exits.")
    ] = 0,
) -> None:
    """Check that the log's current checkpoint extends the one saved in STATE, then save it."""
    from gateway.audit.witness import (
        HttpLogClient,
        WitnessState,
        load_state,
        save_state,
        witness,
    )

    if not token and not token_command:
        _stderr.print("tokens are needed: --token-command 'gateway token --role auditor'")
        raise typer.Exit(2)
    supply = _token_supply(list(token or []), token_command)
    saved = load_state(state)
    if saved is None:
        if public_key is None:
            _stderr.print("first run: pin the log's verifier key with --public-key")
            raise typer.Exit(2)
        saved = WitnessState(verifier_key=_pinned_key(public_key).verifier_key_text())
    elif public_key is not None and _pinned_key(public_key).verifier_key_text() not in (
        saved.first_key,
        saved.verifier_key,
    ):
        _stderr.print("--public-key differs from the key pinned in the state file")
        raise typer.Exit(2)
    client = HttpLogClient(url, supply)
    try:
        while True:
            try:
                step = witness(saved, client)
            except AuditVerificationError as exc:
                _stderr.print(
                    "INCONSISTENT: the log cannot prove that its current checkpoint extends the"
                    f" one saved in {state}: {exc}",
                    markup=False,
                )
                raise typer.Exit(1) from exc
            except Exception as exc:  # network and HTTP errors: not evidence either way
                _stderr.print(f"cannot reach the log: {exc}", markup=False)
                raise typer.Exit(2) from exc
            if step.state.verifier_key != saved.verifier_key:
                typer.echo(f"key rotated: checkpoints are now signed by {step.state.verifier_key}")
            if step.state != saved:
                save_state(state, step.state)
                saved = step.state
            before = step.previous.size if step.previous else None
            typer.echo(
                f"consistent: size {before} -> {step.current.size}"
                if before is not None
                else f"pinned: checkpoint of size {step.current.size}"
            )
            if interval == 0:
                return
            time.sleep(interval)
    finally:
        client.close()
