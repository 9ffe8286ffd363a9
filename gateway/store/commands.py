"""Operator commands for the datastore: ``gateway seed`` and ``gateway store import``.

The lead's CLI registers them::

    app.command("seed")(seed_command)
    app.add_typer(store_app, name="store")

Both build the engine from :class:`gateway.settings.Settings` (creating
``GATEWAY_HOME`` if needed) and migrate the schema before touching data.
Progress goes to stderr, the one-line result to stdout; a refused seed or a
bad import line is printed to stderr (``line N: reason`` for imports) with
exit status 1 and nothing written.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from gateway.errors import GatewayError
from gateway.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

# The datastore modules are imported inside the commands: importing SQLAlchemy and
# the seed generator costs about a second, which every other `gateway` command
# (say `gateway token`) would otherwise pay too.

DEMO_TAXPAYERS = 8
"""The named demo taxpayers that every seeded population starts with (gateway.store.demo)."""

store_app = typer.Typer(help="Manage the taxpayer datastore.", no_args_is_help=True)

_stderr = Console(stderr=True)


def _engine() -> Engine:
    from gateway.store.db import make_engine, migrate

    settings = Settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    return engine


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_stderr,
    )


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code=1)


def seed_command(
    taxpayers: Annotated[
        int,
        typer.Option(
            "--taxpayers",
            min=DEMO_TAXPAYERS,
            help="How many taxpayers to create, the named demo taxpayers included.",
        ),
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same population.")] = 2026,
    if_empty: Annotated[
        bool,
        typer.Option("--if-empty", help="Do nothing (and succeed) when taxpayers already exist."),
    ] = False,
) -> None:
    """Fill an empty datastore with a deterministic synthetic population."""
    from gateway.store.db import session
    from gateway.store.seed import seed_population
    from gateway.store.taxpayers import count_taxpayers

    try:
        engine = _engine()
        try:
            if if_empty:
                with session(engine) as db:
                    existing = count_taxpayers(db)
                if existing:
                    typer.echo(f"datastore already holds {existing} taxpayers; not seeding")
                    return
            with _progress() as progress:
                task = progress.add_task("seeding", total=taxpayers)
                summary = seed_population(
                    engine,
                    taxpayers,
                    seed=seed,
                    on_progress=lambda done: progress.update(task, completed=done),
                )
        finally:
            engine.dispose()
    except GatewayError as exc:
        raise _fail(exc.detail) from None
    typer.echo(
        f"seeded {summary.taxpayers} taxpayers ({summary.addresses} addresses, "
        f"{summary.returns} returns, {summary.itin_holders} ITIN holders) "
        f"in {summary.seconds:.2f} s"
    )


@store_app.command("import")
def import_command(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="JSON Lines file, one taxpayer a line (API.md).",
        ),
    ],
) -> None:
    """Import taxpayers from a JSON Lines file: every line or none."""
    from gateway.store.importer import import_jsonl

    started = time.perf_counter()
    total = _count_records(file)
    try:
        engine = _engine()
        try:
            with _progress() as progress:
                task = progress.add_task("importing", total=total)
                imported = import_jsonl(
                    engine, file, on_progress=lambda done: progress.update(task, completed=done)
                )
        finally:
            engine.dispose()
    except GatewayError as exc:
        raise _fail(exc.detail) from None
    typer.echo(
        f"imported {imported} taxpayers from {file} in {time.perf_counter() - started:.2f} s"
    )


def _count_records(file: Path) -> int:
    """Non-blank lines, for the progress bar's total (the importer validates the rest)."""
    with file.open("rb") as handle:
        return sum(1 for line in handle if line.strip())
