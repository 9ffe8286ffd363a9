"""A local OPA server run as a child process on loopback, for development and CI.

The gateway starts it with the policy directory loaded, waits until OPA's
``/health`` answers, and stops it on exit. In deployment OPA is a sidecar and
``GATEWAY_OPA_URL`` points at it instead; this module is then unused.

The child must never outlive the gateway, even one killed with SIGKILL that
runs no clean-up: on Linux it asks the kernel for SIGKILL when its parent dies
(``prctl(PR_SET_PDEATHSIG)``, set between fork and exec). The kernel counts the
*thread* that started the child as its parent, so an OPA is only ever started
from a thread that lives as long as the gateway (the main or lifespan thread,
the policy watcher, the OPA supervisor). It runs in its own process group, so a
Ctrl-C meant for the gateway reaches OPA only through the gateway's own stop.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import httpx
import structlog

from gateway.errors import PolicyEngineUnavailableError

log = structlog.get_logger(__name__)


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that has the kernel kill the child when its parent dies (Linux).

    Everything is resolved before the fork: between fork and exec the child may only
    make the system call itself. If the parent died before the request took effect,
    the child kills itself rather than run as an orphan.
    """
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()
    kill, pid_of, parent_of, sigkill = os.kill, os.getpid, os.getppid, signal.SIGKILL

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, sigkill, 0, 0, 0)
        if parent_of() != parent:
            kill(pid_of(), sigkill)

    return preexec


def free_loopback_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalOpa:
    """``opa run --server`` on 127.0.0.1 with ``policy_dir`` loaded; a context manager."""

    def __init__(
        self,
        binary: Path,
        policy_dir: Path,
        *,
        port: int | None = None,
        start_timeout_seconds: float = 20.0,
        log_path: Path | None = None,
    ) -> None:
        self.binary = binary
        self.policy_dir = policy_dir
        self.port = port or free_loopback_port()
        self.start_timeout_seconds = start_timeout_seconds
        self.log_path = log_path
        self._proc: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self._log_offset = 0
        """``time.monotonic()`` when the last :meth:`start` began."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        if not self.binary.is_file():
            raise PolicyEngineUnavailableError(
                f"OPA binary not found at {self.binary}; run `make setup` to build it"
            )
        out = self.log_path.open("ab") if self.log_path else None
        self._log_offset = out.tell() if out is not None else 0
        self._proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            [
                str(self.binary),
                "run",
                "--server",
                "--addr",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "error",
                "--disable-telemetry",
                str(self.policy_dir),
            ],
            stdout=out or subprocess.DEVNULL,
            stderr=out or subprocess.DEVNULL,
            preexec_fn=_die_with_parent(),  # one prctl() before exec, see above
            process_group=0,
        )
        if out is not None:
            out.close()  # the child holds its own descriptor
        self.started_at = time.monotonic()
        self._wait_healthy()
        log.info("opa.started", port=self.port, pid=self._proc.pid)

    @property
    def pid(self) -> int | None:
        """The OPA process id while it is started (alive or not yet reaped)."""
        return self._proc.pid if self._proc is not None else None

    def exit_code(self) -> int | None:
        """None while OPA runs; its exit status (``-N``: killed by signal N) once it died."""
        return self._proc.poll() if self._proc is not None else None

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.start_timeout_seconds
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                said = self._last_logged_line()
                raise PolicyEngineUnavailableError(
                    f"OPA exited during start-up with code {self._proc.returncode}"
                    + (f": {said}" if said else "")
                )
            try:
                if httpx.get(f"{self.url}/health", timeout=0.5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise PolicyEngineUnavailableError("OPA did not become healthy in time")

    def _last_logged_line(self) -> str:
        """OPA's own last words (a policy that does not parse, a port in use), if logged."""
        if self.log_path is None:
            return ""
        try:
            with self.log_path.open("rb") as f:
                f.seek(self._log_offset)  # only what this start wrote
                lines = f.read().decode("utf-8", errors="replace").splitlines()
        except OSError:
            return ""
        words = [ln.strip() for ln in lines if ln.strip()]
        # The last line that names an error; OPA follows it with the source line and a caret.
        said = next(
            (w for w in reversed(words) if "error" in w.lower()), words[-1] if words else ""
        )
        return said[:500]

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.info("opa.stopped", port=self.port)

    def __enter__(self) -> LocalOpa:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
