"""Safe policy changes: check a new policy first, then activate it atomically.

The gateway never runs OPA on the live ``policies/`` folder. It copies the
policy and data files into a snapshot under ``GATEWAY_HOME/policy-snapshots``
and starts OPA on that copy, so a half-saved edit can never be decided with.
While it runs, a watcher recomputes the revision of ``policies/`` every few
seconds; when it changes:

1. snapshot the files and compute the snapshot's revision;
2. ``opa check --strict`` and ``opa test`` on the snapshot — on failure the old
   policy stays active, and the reason is logged and kept in :attr:`status`;
3. start a second OPA on the snapshot, wait until it is healthy, and require a
   well-formed decision for every example input (the live data, evaluated);
4. swap (engine, revision) in one step (:class:`~gateway.pdp.active.ActivePolicy`);
5. record the activation (a ``policy_activation`` leaf of the decision log, via the
   ``on_activate`` callback), then stop the old OPA.

Each start, activation and rejection is also an entry of the activation history
(``gateway.pdp.history``, via ``on_change``): when, by whom, and which files and
rule ids changed. A rejection's error names the operator's file, not the snapshot.

The start-up snapshot gets the same smoke decisions (step 3): the gateway does not
start on a policy whose live decisions it could not act on. With an external OPA
(``GATEWAY_OPA_URL``) the policy is deployed with that OPA and this module only
names the revision of ``policies/`` at start-up.

A local OPA is supervised: a thread notices within :data:`SUPERVISE_INTERVAL_SECONDS`
that the child died (``opa.exited``, an error in the log), starts a new one on the
same snapshot with exponential backoff (:data:`RESTART_BACKOFF_FIRST_SECONDS`
doubling up to :data:`RESTART_BACKOFF_MAX_SECONDS`) and swaps it in with the same
revision (``opa.restarted``). Meanwhile every lookup fails closed and ``/readyz``
is false, because the engine in use cannot reach its OPA.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import structlog

from gateway import metrics
from gateway.clock import Clock
from gateway.facts.finder import FactFinder
from gateway.pdp.active import ActivePolicy, PolicyInUse
from gateway.pdp.history import (
    ActivationEvent,
    ChangeSummary,
    host_operator,
    operators_error,
    summarize,
)
from gateway.pdp.opa import OpaPolicyEngine
from gateway.pdp.process import LocalOpa
from gateway.pdp.revision import policy_files, policy_revision
from gateway.pdp.shadow import ShadowMode
from gateway.pdp.texts import load_texts
from gateway.settings import Settings

log = structlog.get_logger(__name__)

OnActivate = Callable[[str, list[str], bool], None]
"""Called with (revision, relative file names, record) after a policy became active;
``record`` is False when another worker process has recorded the same activation."""
OnChange = Callable[[ActivationEvent], None]
"""Called with each start, activation and rejection (the activation history)."""


@dataclass
class PolicyStatus:
    active_revision: str
    activated_at: datetime
    last_attempt_revision: str | None = None
    last_attempt_ok: bool | None = None
    last_attempt_at: datetime | None = None
    last_error: str | None = None
    history: list[str] = field(default_factory=list)


class PolicyCheckFailedError(Exception):
    """The candidate policy did not pass ``opa check --strict`` and ``opa test``."""


def snapshot(policy_dir: Path, snapshots_dir: Path) -> tuple[Path, str, list[str]]:
    """Copy the policy files into a fresh folder named after their revision.

    The staging folder is this process's own: the worker processes of one
    ``gateway serve`` snapshot the same files at the same moments.
    """
    staging = snapshots_dir / f".staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    files = []
    for path in policy_files(policy_dir):
        rel = path.relative_to(policy_dir)
        target = staging / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        files.append(rel.as_posix())
    staging.mkdir(parents=True, exist_ok=True)
    revision = policy_revision(staging)
    final = snapshots_dir / revision.removeprefix("sha256:")[:24]
    if final.exists():
        shutil.rmtree(staging)
    else:
        try:
            staging.rename(final)
        except OSError:  # another worker renamed the same revision's snapshot first
            shutil.rmtree(staging, ignore_errors=True)
    return final, revision, files


SNAPSHOTS_KEPT = 5
"""Snapshots kept besides the active one: enough to look back at recent changes."""


def prune_snapshots(snapshots_dir: Path, keep: set[Path]) -> None:
    """Delete all but the newest snapshots (and those in ``keep``)."""
    found = sorted(
        (p for p in snapshots_dir.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in found[SNAPSHOTS_KEPT:]:
        if old not in keep:
            shutil.rmtree(old, ignore_errors=True)


PARAMS_RANGE_TEST = "^data.gateway.params_test.test_params_within_documented_ranges$"
"""Run before the other tests: a parameter out of its documented range (policies/README.md)
fails many of them, and only this one names the parameter and its range."""


def check_policy(opa_binary: Path, directory: Path, timeout_seconds: float = 300) -> None:
    """Raise :class:`PolicyCheckFailedError` with OPA's own words if the policy is not fit."""
    for args in (["check", "--strict"], ["test", "--run", PARAMS_RANGE_TEST], ["test"]):
        done = subprocess.run(  # noqa: S603 - fixed argv
            [str(opa_binary), *args, str(directory)],
            capture_output=True,
            text=True,
            timeout=timeout_seconds,
            check=False,
        )
        if done.returncode != 0:
            output = (done.stdout + done.stderr).strip()
            raise PolicyCheckFailedError(f"opa {' '.join(args)} failed:\n{output[-4000:]}")


def duplicate_window(directory: Path) -> timedelta:
    """``DUP_WINDOW_SECONDS`` from the policy parameters (POLICY_MODEL.md §3.4); 24 h if unset."""
    path = directory / "params" / "data.json"
    try:
        seconds = json.loads(path.read_text(encoding="utf-8")).get("DUP_WINDOW_SECONDS", 86400)
    except FileNotFoundError:
        seconds = 86400
    return timedelta(seconds=float(seconds))


def smoke_test(engine: OpaPolicyEngine, directory: Path) -> None:
    """Every example input under ``examples/`` must get a well-formed decision.

    ``opa test`` pins the court-order registry to the model's defaults (so that an
    operator's stay or vacatur does not fail the model's tests); this check runs
    the live data itself through the running engine.
    """
    for example in sorted((directory / "examples").glob("*/input.json")):
        try:
            engine.decide(json.loads(example.read_text(encoding="utf-8")))
        except Exception as exc:
            raise PolicyCheckFailedError(
                f"decision for {example.parent.name} is not usable: {exc}"
            ) from exc


SUPERVISE_INTERVAL_SECONDS = 0.2
"""How often the supervisor checks that the local OPA still runs."""
RESTART_BACKOFF_FIRST_SECONDS = 0.5
"""Wait before the first restart; doubled after every failed attempt or quick death."""
RESTART_BACKOFF_MAX_SECONDS = 30.0
"""The longest wait between restart attempts."""
STABLE_RUN_SECONDS = 60.0
"""An OPA that ran this long before dying is restarted after the first backoff again."""


class PolicyEvents:
    """Which policy events this process records, when several worker processes serve.

    Every worker of ``gateway serve --workers N`` runs its own OPA, so every one
    starts, watches ``policies/`` and activates (or rejects) each change itself,
    and all serve the same revision within ``GATEWAY_POLICY_RELOAD_INTERVAL_SECONDS``.
    But one change is one event: the log must hold one ``policy_change`` (and one
    ``policy_activation``) leaf for it, not N. Workers see the same events in the
    same order, so the n-th occurrence of an event (``reload A B``) is recorded by
    whichever worker reaches it first: under a file lock, a shared count per event
    says how many occurrences are recorded, and a worker records only when its own
    count is higher. A worker that replaces a dead one starts counting afresh and
    records nothing the others already did (its start included).

    Without a shared folder (one process serves) every event is recorded.
    """

    def __init__(self, directory: Path | None) -> None:
        self._directory = directory
        self._seen: Counter[str] = Counter()

    def claim(self, key: str) -> bool:
        """True if this process is to record its occurrence of event ``key``."""
        self._seen[key] += 1
        if self._directory is None:
            return True
        counts_path = self._directory / "policy-events.json"
        with (self._directory / "policy-events.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                counts: dict[str, int] = json.loads(counts_path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                counts = {}
            if counts.get(key, 0) >= self._seen[key]:
                return False
            counts[key] = self._seen[key]
            staged = counts_path.with_suffix(f".{os.getpid()}.tmp")
            staged.write_text(json.dumps(counts), encoding="utf-8")
            staged.replace(counts_path)
            return True


class PolicyManager:
    def __init__(self, settings: Settings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock
        self._lock = threading.Lock()
        self._local: LocalOpa | None = None
        self._engine: OpaPolicyEngine | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._supervisor: threading.Thread | None = None
        self._directory: Path | None = None
        self.on_activate: OnActivate | None = None
        self.on_change: OnChange | None = None
        self.active: ActivePolicy | None = None
        self.status: PolicyStatus | None = None
        self._files: list[str] = []
        self.shadow = ShadowMode(settings, clock)
        self.events = PolicyEvents(settings.worker_dir)

    @property
    def snapshots_dir(self) -> Path:
        return self._settings.home / "policy-snapshots"

    def start(self) -> ActivePolicy:
        """Bring up the policy found in ``policies/`` now (checked by ``make test``)."""
        s = self._settings
        if s.opa_url is not None:
            engine = OpaPolicyEngine(s.opa_url, timeout_seconds=s.opa_timeout_seconds)
            directory = s.policy_dir
            revision = policy_revision(s.policy_dir)
            self._files = [
                p.relative_to(s.policy_dir).as_posix() for p in policy_files(s.policy_dir)
            ]
            texts = load_texts(s.opa_binary, directory)
            # No smoke decisions here: that OPA and its policy are deployed elsewhere, and
            # the adapter fails closed on whatever it answers.
        else:
            directory, revision, self._files = snapshot(s.policy_dir, self.snapshots_dir)
            texts = load_texts(s.opa_binary, directory)  # refused before any OPA starts
            self._local, engine = self._launch_checked(directory)
        self._engine = engine
        self._directory = directory
        self.active = ActivePolicy(
            PolicyInUse(
                engine,
                revision,
                FactFinder.load(directory),
                duplicate_window(directory),
                texts=texts,
            )
        )
        self.status = PolicyStatus(active_revision=revision, activated_at=self._clock.now())
        if self._local is not None:
            self._supervisor = threading.Thread(
                target=self._supervise, name="opa-supervisor", daemon=True
            )
            self._supervisor.start()
        return self.active

    def _supervise(self) -> None:
        """Restart the local OPA whenever it dies, with backoff, until :meth:`stop`.

        Runs in its own long-lived thread: the OPAs it starts are tied to it (see
        ``gateway.pdp.process``), and it ends only when the gateway stops them all.
        """
        delay = RESTART_BACKOFF_FIRST_SECONDS
        while not self._stop.wait(SUPERVISE_INTERVAL_SECONDS):
            dead = self._local
            code = dead.exit_code() if dead is not None else None
            if dead is None or code is None:
                continue
            uptime = time.monotonic() - dead.started_at
            if uptime >= STABLE_RUN_SECONDS:
                delay = RESTART_BACKOFF_FIRST_SECONDS
            log.error(
                "opa.exited",
                pid=dead.pid,
                port=dead.port,
                exit_code=code,
                signal=signal_name(code),
                uptime_seconds=round(uptime, 1),
                restart_in_seconds=delay,
            )
            while not self._stop.wait(delay):
                delay = min(delay * 2, RESTART_BACKOFF_MAX_SECONDS)
                try:
                    self._restart(dead)
                    break
                except Exception as exc:
                    log.error("opa.restart_failed", error=str(exc)[:500], retry_in_seconds=delay)

    def _restart(self, dead: LocalOpa) -> None:
        """Replace ``dead`` by a new OPA on the same snapshot; the revision does not change."""
        with self._lock:
            if self._local is not dead or self.active is None or self._directory is None:
                return  # a policy change replaced it meanwhile
            local, engine = self._launch(self._directory)
            current = self.active.current()
            self.active.swap(dataclasses.replace(current, engine=engine))
            old_engine, self._local, self._engine = self._engine, local, engine
        log.info("opa.restarted", pid=local.pid, port=local.port, revision=current.revision)
        metrics.OPA_RESTARTS.inc()
        if old_engine is not None:
            old_engine.close()
        dead.stop()

    def announce(self) -> None:
        """Record the start-up policy like any later activation."""
        if self.status is None:
            return
        record = self.events.claim(f"start {self.status.active_revision}")
        if self.on_activate is not None:
            self.on_activate(self.status.active_revision, self._files, record)
        if record:
            directory = self._directory or self._settings.policy_dir
            self._record(
                ActivationEvent(
                    action="start",
                    at=self.status.activated_at,
                    revision=self.status.active_revision,
                    previous_revision=None,
                    operator=host_operator(),
                    summary=summarize(self._settings.opa_binary, None, directory),
                )
            )

    def _record(self, event: ActivationEvent) -> None:
        """Hand ``event`` to the history; a failure to record never undoes the change."""
        if self.on_change is None:
            return
        try:
            self.on_change(event)
        except Exception as exc:
            log.error("policy.history_not_recorded", action=event.action, error=str(exc)[:500])

    def _launch(self, directory: Path) -> tuple[LocalOpa, OpaPolicyEngine]:
        s = self._settings
        local = LocalOpa(
            s.opa_binary,
            directory,
            start_timeout_seconds=s.opa_start_timeout_seconds,
            log_path=s.home / "opa.log",
        )
        local.start()
        return local, OpaPolicyEngine(local.url, timeout_seconds=s.opa_timeout_seconds)

    def _launch_checked(self, directory: Path) -> tuple[LocalOpa, OpaPolicyEngine]:
        """:meth:`_launch`, then the smoke decisions; an OPA that fails them is stopped."""
        local, engine = self._launch(directory)
        try:
            smoke_test(engine, directory)
        except BaseException:
            engine.close()
            local.stop()
            raise
        return local, engine

    def reload_if_changed(self, operator: str | None = None) -> bool:
        """Check and activate ``policies/`` if its revision changed; True if it did.

        ``operator`` is who asked (a staff id); the file watcher passes none, and the
        change is the host account's, the only one that can write ``policies/``.
        """
        who = operator or host_operator()
        if self._settings.opa_url is not None or self.active is None or self.status is None:
            return False
        with self._lock:
            current = policy_revision(self._settings.policy_dir)
            status = self.status
            if current in (status.active_revision, status.last_attempt_revision):
                return False
            directory, revision, files = snapshot(self._settings.policy_dir, self.snapshots_dir)
            status.last_attempt_revision = current
            status.last_attempt_at = self._clock.now()
            try:
                check_policy(self._settings.opa_binary, directory)
                facts = FactFinder.load(directory)  # an ambiguous alias refuses the change
                texts = load_texts(self._settings.opa_binary, directory)  # so does a missing text
                local, engine = self._launch_checked(directory)  # live data, decided
            except Exception as exc:
                error = operators_error(str(exc), directory, self._settings.policy_dir)
                status.last_attempt_ok = False
                status.last_error = error
                log.warning("policy.rejected", revision=revision, error=error[:2000])
                metrics.POLICY_REJECTIONS.inc()
                if self.events.claim(f"rejection {status.active_revision} {revision}"):
                    self._record(
                        ActivationEvent(
                            action="rejection",
                            at=status.last_attempt_at,
                            revision=revision,
                            previous_revision=status.active_revision,
                            operator=who,
                            summary=self._summary(directory),
                            error=error,
                        )
                    )
                return False
            self.active.swap(
                PolicyInUse(engine, revision, facts, duplicate_window(directory), texts=texts)
            )
            summary = self._summary(directory)
            old_local, old_engine = self._local, self._engine
            self._local, self._engine, self._files = local, engine, files
            self._directory = directory
            status.history.append(status.active_revision)
            status.active_revision = revision
            status.activated_at = self._clock.now()
            status.last_attempt_ok = True
            status.last_error = None
            log.info("policy.activated", revision=revision)
            metrics.POLICY_ACTIVATIONS.inc()
            record = self.events.claim(f"reload {status.history[-1]} {revision}")
            if self.on_activate is not None:
                self.on_activate(revision, files, record)
            if record:
                self._record(
                    ActivationEvent(
                        action="reload",
                        at=status.activated_at,
                        revision=revision,
                        previous_revision=status.history[-1],
                        operator=who,
                        summary=summary,
                    )
                )
            if old_engine is not None:
                old_engine.close()
            if old_local is not None:
                old_local.stop()
            prune_snapshots(self.snapshots_dir, keep={directory})
            return True

    def _summary(self, candidate: Path) -> ChangeSummary:
        """What ``candidate`` changes against the active snapshot (call with the lock held)."""
        try:
            return summarize(self._settings.opa_binary, self._directory, candidate)
        except OSError as exc:
            log.warning("policy.summary_failed", error=str(exc)[:500])
            return ChangeSummary()

    def watch(self, interval_seconds: float) -> None:
        """Poll ``policies/`` in a daemon thread until :meth:`stop`."""
        if interval_seconds <= 0 or self._settings.opa_url is not None:
            return

        def loop() -> None:
            while not self._stop.wait(interval_seconds):
                try:
                    self.reload_if_changed()
                except Exception as exc:
                    log.warning("policy.watch_failed", error=str(exc)[:500])

        self._thread = threading.Thread(target=loop, name="policy-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.shadow.stop(host_operator())
        self._stop.set()
        for thread in (self._thread, self._supervisor):
            if thread is not None:
                thread.join(timeout=10)
        if self._engine is not None:
            self._engine.close()
        if self._local is not None:
            self._local.stop()


def signal_name(exit_code: int) -> str | None:
    """``SIGKILL`` for a process killed by signal 9 (exit code -9), else None."""
    if exit_code >= 0:
        return None
    try:
        return signal.Signals(-exit_code).name
    except ValueError:
        return None
