"""``gateway policy``: check, test, replay, shadow and history of the Rego policies.

``replay`` and ``shadow-report`` and ``history`` read the decision log directly
(like the auditors' command-line workbench), so they work with the gateway
stopped. ``shadow start`` and ``shadow stop`` act on a running gateway: they are
clients of its operator API (``/v1/policy/shadow``), with a minted operator
token unless ``--token`` is given (as ``gateway court-orders`` does).

Exit status of ``replay``: 0 when it ran (whatever changed), :data:`EXIT_CHANGED`
with ``--fail-on-change`` when any outcome or rule moved, :data:`EXIT_BROKEN_CANDIDATE`
when OPA will not load the candidate (its own message on stderr), 1 for anything
else the gateway cannot do (an unreachable database), 2 for a bad setting.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from gateway.settings import Settings

policy_app = typer.Typer(no_args_is_help=True, help="Check, test, replay and shadow the policies.")
shadow_app = typer.Typer(no_args_is_help=True, help="A candidate policy beside the active one.")
policy_app.add_typer(shadow_app, name="shadow")

EXIT_CHANGED = 4
"""``replay --fail-on-change``: some logged decision would come out otherwise."""
EXIT_BROKEN_CANDIDATE = 3
"""``replay``: OPA refuses the candidate policy (it does not parse or type-check)."""
OPA_MESSAGE_LINES = 12
"""How much of OPA's refusal is shown: its first errors, not a screenful."""

err = Console(stderr=True)
Format = Annotated[str, typer.Option("--format", help="table or json.")]


def _opa(*args: str) -> int:
    settings = Settings()
    cmd = [str(settings.opa_binary), *args, str(settings.policy_dir)]
    return subprocess.call(cmd)  # noqa: S603 - fixed argv


def _time(text: str | None, name: str) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{name} must be an ISO 8601 date or time") from exc
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _format(value: str) -> str:
    if value not in ("table", "json"):
        raise typer.BadParameter("--format must be table or json")
    return value


def _broken(directory: Path, said: str) -> typer.Exit:
    lines = [ln for ln in said.strip().splitlines() if ln.strip()]
    shown = lines[:OPA_MESSAGE_LINES]
    more = len(lines) - len(shown)
    sys.stderr.write(f"gateway: the candidate policy in {directory} does not load:\n")
    sys.stderr.write("".join(f"  {ln}\n" for ln in shown))
    if more > 0:
        sys.stderr.write(f"  ... ({more} more lines)\n")
    return typer.Exit(EXIT_BROKEN_CANDIDATE)


def check_candidate(opa_binary: Path, directory: Path) -> str | None:
    """OPA's own words if it will not load ``directory`` (``opa check --strict``), else None."""
    done = subprocess.run(  # noqa: S603 - fixed argv
        [str(opa_binary), "check", "--strict", str(directory)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return None if done.returncode == 0 else (done.stderr or done.stdout)


@policy_app.command("check")
def policy_check() -> None:
    """opa fmt (must be formatted) and opa check --strict."""
    code = _opa("fmt", "--list", "--fail") or _opa("check", "--strict")
    raise typer.Exit(code)


@policy_app.command("test")
def policy_test(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    """opa test on the policy directory."""
    raise typer.Exit(_opa("test", *(["-v"] if verbose else [])))


@policy_app.command("replay")
def policy_replay(
    candidate: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            file_okay=False,
            help="Policy directory to try; default: GATEWAY_POLICY_DIR as it is now.",
        ),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only decisions made at or after (ISO 8601, UTC if no zone).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Only decisions made before (ISO 8601, UTC if no zone).")
    ] = None,
    last: Annotated[
        int | None, typer.Option(min=1, help="Only the newest N log leaves (default: all).")
    ] = None,
    output: Format = "table",
    fail_on_change: Annotated[
        bool, typer.Option("--fail-on-change", help=f"Exit {EXIT_CHANGED} if anything changes.")
    ] = False,
) -> None:
    """Decide logged requests again on a candidate policy and show what would change."""
    from rich.progress import Progress

    from gateway.audit.log import DecisionLog
    from gateway.audit.provisioning import audit_keys
    from gateway.errors import PolicyEngineUnavailableError
    from gateway.pdp.opa import OpaPolicyEngine
    from gateway.pdp.process import LocalOpa
    from gateway.pdp.replay import replay
    from gateway.pdp.revision import policy_revision
    from gateway.store.db import make_engine, migrate

    fmt = _format(output)
    start_at, end_at = _time(since, "--since"), _time(until, "--until")
    settings = Settings()
    directory = candidate or settings.policy_dir
    said = check_candidate(settings.opa_binary, directory)
    if said is not None:
        raise _broken(directory, said)
    settings.home.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    log = DecisionLog(engine)
    size = log.size()
    start = 0 if last is None else max(0, size - last)
    keys = audit_keys(settings)
    opa = LocalOpa(settings.opa_binary, directory, log_path=settings.home / "opa-replay.log")
    try:
        opa.start()
    except PolicyEngineUnavailableError as exc:
        engine.dispose()
        raise _broken(directory, exc.detail) from exc
    candidate_engine = OpaPolicyEngine(opa.url, timeout_seconds=settings.opa_timeout_seconds)

    def leaves() -> Iterator[tuple[int, bytes]]:
        for chunk in log.iter_entries(start):
            for e in chunk:
                if e.index >= size:
                    return
                yield e.index, e.body

    try:
        with Progress(console=err, transient=True) as progress:
            task = progress.add_task("replaying", total=size - start)
            summary = replay(
                leaves(),
                keys,
                candidate_engine,
                since=start_at,
                until=end_at,
                on_leaf=lambda: progress.advance(task),
            )
    finally:
        candidate_engine.close()
        opa.stop()
        engine.dispose()
    if fmt == "json":
        typer.echo(
            json.dumps(
                {
                    "candidate": str(directory),
                    "candidate_revision": policy_revision(directory),
                    "leaves": {"from": start, "to": size},
                    "decisions": summary.decisions,
                    "subjects": summary.subjects,
                    "unreadable": summary.unreadable,
                    "outside_window": summary.outside,
                    "totals": summary.totals,
                    "changes": [c.as_json() for c in summary.changes],
                },
                indent=2,
            )
        )
    else:
        table = Table("log", "agency", "request id", "ref", "was", "would be", "rules +", "rules -")
        for c in summary.changes:
            table.add_row(
                str(c.log_index),
                c.agency,
                c.request_id,
                c.ref,
                c.was,
                c.now,
                " ".join(c.rules_added),
                " ".join(c.rules_removed),
            )
        out = Console(width=200)
        if summary.changes:
            out.print(table)
        totals = ", ".join(f"{kind}: {n}" for kind, n in summary.totals.items())
        typer.echo(
            f"replayed {summary.decisions} decisions ({summary.subjects} subjects) from leaves "
            f"{start}..{size - 1}: {len(summary.changes)} subjects would change"
            + (f" ({totals})" if totals else "")
            + (f"; {summary.unreadable} could not be replayed" if summary.unreadable else "")
        )
    if fail_on_change and summary.changes:
        raise typer.Exit(EXIT_CHANGED)


def _log() -> Any:
    from gateway.audit.log import DecisionLog
    from gateway.store.db import make_engine, migrate

    settings = Settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    return DecisionLog(engine)


def _names(items: Any) -> str:
    return " ".join(str(i) for i in items) if isinstance(items, list) else ""


@policy_app.command("history")
def policy_history(
    output: Format = "table",
    limit: Annotated[int, typer.Option(min=1, help="The newest N changes.")] = 50,
) -> None:
    """Starts, activations and rejections: when, by whom, which files and rules changed."""
    from gateway.pdp.history import read_history

    fmt = _format(output)
    log = _log()
    try:
        changes = read_history(log, limit=limit)
    finally:
        log.engine.dispose()
    if fmt == "json":
        typer.echo(json.dumps({"changes": changes}, indent=2))
        return
    table = Table("log", "at", "action", "operator", "revision", "files", "rules", "error")
    for c in changes:
        files, rules = c.get("files", {}), c.get("rules", {})
        moved = [
            *(f"+{f}" for f in files.get("added", [])),
            *(f"-{f}" for f in files.get("removed", [])),
            *(f"~{f}" for f in files.get("changed", [])),
        ]
        rule_moves = [
            *(f"+{r}" for r in rules.get("added", [])),
            *(f"-{r}" for r in rules.get("removed", [])),
        ]
        table.add_row(
            str(c["log_index"]),
            str(c.get("at", "")),
            str(c.get("action", "")),
            str(c.get("operator", "")),
            str(c.get("revision", ""))[:19],
            _names(moved) or f"{files.get('total', 0)} files",
            _names(rule_moves) or f"{rules.get('total', 0)} rules",
            (str(c.get("error") or "").strip().splitlines() or [""])[0][:120],
        )
    Console(width=220).print(table)


Url = Annotated[str, typer.Option(envvar="GATEWAY_URL", help="The running gateway's base URL.")]
Token = Annotated[
    str | None,
    typer.Option(envvar="GATEWAY_STAFF_TOKEN", help="Operator bearer token (default: mint one)."),
]
Subject = Annotated[
    str | None, typer.Option(help="Staff id of a minted operator token (default: the first).")
]


def _staff_token(token: str | None, subject: str | None) -> str:
    """``token``, else an operator token minted with the gateway's key (as ``gateway token``)."""
    from datetime import timedelta

    from gateway.audit.provisioning import key_store
    from gateway.auth.keys import GATEWAY_KEY_NAME, KeyNotFoundError
    from gateway.auth.registry import Registry, StaffNotRegisteredError
    from gateway.auth.tokens import mint_token
    from gateway.clock import SystemClock, UnsafePinnedClock

    if token:
        return token
    settings = Settings()
    clock = UnsafePinnedClock(settings.pinned_clock) if settings.pinned_clock else SystemClock()
    try:
        return mint_token(
            key_store(settings),
            issuer=GATEWAY_KEY_NAME,
            subject=Registry.load(settings.policy_dir).staff_id_for("operator", subject),
            audience=settings.audience,
            now=clock.now(),
            lifetime=timedelta(minutes=2),
            role="operator",
        )
    except (KeyNotFoundError, StaffNotRegisteredError) as exc:
        typer.echo(f"gateway: cannot mint an operator token ({exc}); pass --token", err=True)
        raise typer.Exit(1) from exc


def _call(method: str, url: str, token: str, **kwargs: Any) -> Any:
    """One call to the running gateway; a refusal is its problem document's words, one line."""
    import httpx

    try:
        resp = httpx.request(
            method, url, headers={"Authorization": f"Bearer {token}"}, timeout=60, **kwargs
        )
    except httpx.HTTPError as exc:
        typer.echo(f"gateway: cannot reach the gateway at {url} ({type(exc).__name__})", err=True)
        raise typer.Exit(1) from exc
    if resp.is_success:
        return resp.json()
    try:
        problem = resp.json()
        detail = f"{problem.get('title', '')}: {problem.get('detail', '')}"
    except ValueError:
        detail = resp.reason_phrase
    typer.echo(f"gateway: refused ({resp.status_code}) " + " ".join(detail.split()), err=True)
    raise typer.Exit(1)


@shadow_app.command("start")
def shadow_start(
    candidate: Annotated[
        Path | None, typer.Option(help="Candidate policy directory (on the gateway's host).")
    ] = None,
    revision: Annotated[
        str | None, typer.Option(help="A revision the gateway keeps a snapshot of.")
    ] = None,
    url: Url = "http://127.0.0.1:8000",
    token: Token = None,
    subject: Subject = None,
) -> None:
    """Evaluate a candidate beside the active policy on live traffic (never acted on)."""
    body = {"candidate": str(candidate.resolve()) if candidate else None, "revision": revision}
    started = _call(
        "POST",
        f"{url.rstrip('/')}/v1/policy/shadow",
        _staff_token(token, subject),
        json={k: v for k, v in body.items() if v is not None},
    )
    typer.echo(f"shadow: comparing {started['candidate_revision']} (from {started['source']})")


@shadow_app.command("stop")
def shadow_stop(
    url: Url = "http://127.0.0.1:8000", token: Token = None, subject: Subject = None
) -> None:
    """Stop the comparison; the differences it found stay in the decision log."""
    stopped = _call("DELETE", f"{url.rstrip('/')}/v1/policy/shadow", _staff_token(token, subject))
    typer.echo(
        f"shadow: stopped {stopped['candidate_revision']}: {stopped['evaluated']} compared, "
        f"{stopped['differences']} differed, {stopped['dropped']} dropped, "
        f"{stopped['failed']} failed"
    )


@policy_app.command("shadow-report")
def shadow_report(
    output: Format = "table",
    limit: Annotated[int, typer.Option(min=1, help="The newest N differences.")] = 200,
) -> None:
    """The differences shadow mode recorded (read from the decision log), newest first."""
    from collections import Counter

    from gateway.pdp.shadow import read_differences

    fmt = _format(output)
    log = _log()
    try:
        found = read_differences(log, limit=limit)
    finally:
        log.engine.dispose()
    totals = Counter(s["change"] for d in found for s in d.get("subjects", []))
    if fmt == "json":
        typer.echo(
            json.dumps({"totals": dict(totals.most_common()), "differences": found}, indent=2)
        )
        return
    table = Table(
        "log", "decision", "agency", "subject", "active", "candidate", "rules +", "rules -"
    )
    for d in found:
        for s in d.get("subjects", []):
            was, now = set(s["active"]["rules"]), set(s["candidate"]["rules"])
            table.add_row(
                str(d["log_index"]),
                str(d["decision_id"]),
                str(d.get("agency", "")),
                str(s["position"]),
                s["active"]["outcome"],
                s["candidate"]["outcome"],
                " ".join(sorted(now - was)),
                " ".join(sorted(was - now)),
            )
    if found:
        Console(width=220).print(table)
    summary = ", ".join(f"{kind}: {n}" for kind, n in totals.most_common()) or "none"
    typer.echo(f"{len(found)} decisions differed on the candidate ({summary})")
