"""A local OPA server run as a child process on loopback, for development and CI.

The gateway starts it with the policy directory loaded, waits until OPA's
``/health`` answers, and stops it on exit. In deployment OPA is a sidecar and
``GATEWAY_OPA_URL`` points at it instead; this module is then unused.
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

import httpx
import structlog

from gateway.errors import PolicyEngineUnavailableError

log = structlog.get_logger(__name__)


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

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        if not self.binary.is_file():
            raise PolicyEngineUnavailableError(
                f"OPA binary not found at {self.binary}; run `make setup` to build it"
            )
        out = self.log_path.open("ab") if self.log_path else None
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
        )
        if out is not None:
            out.close()  # the child holds its own descriptor
        self._wait_healthy()
        log.info("opa.started", port=self.port, pid=self._proc.pid)

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.start_timeout_seconds
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise PolicyEngineUnavailableError(
                    f"OPA exited during start-up with code {self._proc.returncode}"
                )
            try:
                if httpx.get(f"{self.url}/health", timeout=0.5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise PolicyEngineUnavailableError("OPA did not become healthy in time")

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
