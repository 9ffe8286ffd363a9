"""`gateway serve --workers 4` (issue 11 item 5): four processes, one log, checks across them.

One `gateway serve --workers 4` on a fresh home (SQLite, and PostgreSQL when
GATEWAY_TEST_POSTGRES_URL is set). The kernel hands each connection to any
worker, so every race below runs across processes, each with its own OPA:

* the four workers answer (their pids, from the merged ``/metrics``);
* 16 identical lookups (same body, same ``request_id``) sent at once through 16
  connections: exactly one is decided as new, the 15 others are GW-3 denials
  (the request id was seen);
* the same body under 16 different request ids: exactly one new, 15 GW-3b
  (duplicate within the window);
* one token presented on 16 connections at once: exactly one lookup is
  answered, the token's jti is spent for the other 15 (401);
* a sign-in to the auditors' pages works whichever worker answers next, and so
  does the sign-out;
* a worker killed with SIGKILL is replaced (and its OPA dies with it);
* SIGINT (Ctrl-C) stops every worker and every OPA.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.pdp.process import free_loopback_port
from gateway.settings import Settings
from tests import scenarios as sc
from tests.conftest import DEMO_JSONL, POLICY_DIR, fresh_postgres_database
from tests.e2e.served import GATEWAY, cli, gateway_env, wait_ready
from tests.support import Tokens

pytestmark = pytest.mark.e2e

WORKERS = 4
RACERS = 16
FBI = ("DOJ-FBI", "fbi-director")


@dataclass
class Served:
    url: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    tokens: Tokens
    stopped: bool = False
    seen_pids: set[int] = field(default_factory=set)

    def log_events(self, event: str) -> list[dict[str, Any]]:
        """The log's JSON entries for ``event`` (workers share one output: a line may
        hold two entries, or part of one, when their writes interleave)."""
        decoder = json.JSONDecoder()
        found = []
        text_ = self.log_path.read_text()
        at = text_.find("{")
        while at >= 0:
            try:
                entry, end = decoder.raw_decode(text_, at)
            except ValueError:
                at = text_.find("{", at + 1)
                continue
            if isinstance(entry, dict) and entry.get("event") == event:
                found.append(entry)
            at = text_.find("{", end)
        return found

    def stop(self) -> int:
        self.stopped = True
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise


def _fresh_postgres() -> Iterator[str]:
    base = os.environ.get("GATEWAY_TEST_POSTGRES_URL")
    if base is None:
        pytest.skip("GATEWAY_TEST_POSTGRES_URL is not set (CI sets it)")
    with fresh_postgres_database(base) as url:
        yield url


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    home = tmp_path_factory.mktemp(f"workers-{request.param}")
    env = gateway_env(home)
    env["GATEWAY_METRICS_ENABLED"] = "true"
    database = _fresh_postgres() if request.param == "postgres" else None
    if database is not None:
        env["GATEWAY_DATABASE_URL"] = next(database)
    cli(env, "keys", "init")
    cli(env, "store", "import", str(DEMO_JSONL))
    port = free_loopback_port()
    log_path = home / "serve.log"
    with log_path.open("wb") as out:
        proc = subprocess.Popen(
            [GATEWAY, "serve", "--port", str(port), "--workers", str(WORKERS)],
            env=env,
            stdout=out,
            stderr=out,
        )
    url = f"http://127.0.0.1:{port}"
    settings = Settings(home=home, policy_dir=POLICY_DIR)
    served = Served(url, proc, log_path, Tokens(settings))
    try:
        wait_ready(url, proc, log_path, seconds=180)
        _wait_for_workers(served, WORKERS)
        yield served
    finally:
        if not served.stopped:
            served.stop()
        if database is not None:
            next(database, None)


def _wait_for_workers(served: Served, count: int, seconds: float = 180) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with suppress(httpx.HTTPError):
            pids = _live_worker_pids(served)
            if len(pids) >= count:
                return pids
        time.sleep(0.5)
    pytest.fail(f"fewer than {count} workers started: " + served.log_path.read_text()[-3000:])


def _requests_by_worker(served: Served) -> dict[int, float]:
    """Requests answered per live worker pid, from the merged metrics."""
    body = httpx.get(f"{served.url}/metrics", timeout=10).text
    found = re.findall(r'^gateway_worker_http_requests\{pid="(\d+)"\} ([0-9.e+]+)$', body, re.M)
    return {int(pid): float(value) for pid, value in found}


def _live_worker_pids(served: Served) -> list[int]:
    """Workers that have started serving, from the merged metrics."""
    body = httpx.get(f"{served.url}/metrics", timeout=10).text
    found = re.findall(r'^gateway_worker_started_seconds\{pid="(\d+)"\} ([0-9.e+]+)$', body, re.M)
    return sorted(int(pid) for pid, since in found if float(since) > 0 and _alive(int(pid)))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped) counts as gone
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ", 1)[-1][:1] != "Z"


def _race(
    served: Served,
    calls: list[Callable[[httpx.Client], httpx.Response]],
    cookies: dict[str, str] | None = None,
) -> list[Any]:
    """Each call on its own open connection, all released at once; their answers."""
    barrier = threading.Barrier(len(calls))
    answers: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        with httpx.Client(base_url=served.url, timeout=60, cookies=cookies) as client:
            client.get("/healthz")  # the connection is open before the race starts
            barrier.wait()
            try:
                answers[i] = calls[i](client)
            except httpx.HTTPError as exc:
                answers[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    return answers


def _lookup(served: Served, body: dict[str, Any], token: dict[str, str] | None = None) -> Any:
    headers = token if token is not None else served.tokens.agency_official(*FBI)

    def call(client: httpx.Client) -> httpx.Response:
        return client.post("/v1/address-lookups", json=body, headers=headers)

    return call


_PERIODS = itertools.cycle([[2024], [2023], [2022, 2023]])
"""One set of periods per race of one server (three races each): another race's ask about
the same periods would be its GW-3b duplicate (the duplicate window is a day)."""


def _fresh_ask() -> dict[str, Any]:
    body = sc.fbi_i2()
    body["subjects"][0]["taxable_periods"] = next(_PERIODS)
    return body


def _rules(answer: dict[str, Any]) -> set[str]:
    return {r["rule"] for r in answer.get("reasons", [])}


def _decided_as_new(
    responses: list[Any], replay_rule: str, *, conflicts_allowed: bool = False
) -> tuple[int, int]:
    """(answers decided as new, answers denied by ``replay_rule``); fails on anything else
    (a 409 "decided meanwhile" is skipped when ``conflicts_allowed``)."""
    new = replayed = 0
    for resp in responses:
        assert isinstance(resp, httpx.Response), resp
        if conflicts_allowed and resp.status_code == 409:
            assert "decided meanwhile" in resp.json()["detail"]
            continue
        assert resp.status_code == 200, resp.text
        answer = resp.json()
        if replay_rule in _rules(answer):
            assert answer["outcome"] == "denied", answer
            assert all(r["address"] is None for r in answer["results"])
            replayed += 1
        else:
            assert not _rules(answer) & {"GW-3", "GW-3b"}, answer
            new += 1
    return new, replayed


def test_the_four_workers_answer(served: Served) -> None:
    pids = _live_worker_pids(served)
    assert len(pids) == WORKERS
    assert served.proc.pid not in pids
    served.seen_pids.update(pids)
    before = _requests_by_worker(served)
    for _ in range(4):  # new connections, 16 at a time: the kernel spreads them
        _race(served, [lambda c: c.get("/healthz")] * RACERS)
    after = _requests_by_worker(served)
    answered = {pid for pid in pids if after.get(pid, 0) > before.get(pid, 0)}
    assert answered == set(pids), (before, after)  # 64 connections reach every worker


def test_identical_requests_racing_on_all_workers_are_decided_as_new_exactly_once(
    served: Served,
) -> None:
    body = _fresh_ask()
    responses = _race(served, [_lookup(served, body) for _ in range(RACERS)])
    assert _decided_as_new(responses, "GW-3") == (1, RACERS - 1)


def _same_ask_under_different_ids(served: Served) -> list[Any]:
    body = _fresh_ask()
    bodies = [dict(body, request_id=f"FBI-{uuid.uuid4()}") for _ in range(RACERS)]
    return _race(served, [_lookup(served, b) for b in bodies])


def test_the_same_ask_under_different_request_ids_is_new_exactly_once(served: Served) -> None:
    responses = _same_ask_under_different_ids(served)
    new, _ = _decided_as_new(responses, "GW-3b", conflicts_allowed=True)
    assert new == 1


def test_the_same_ask_under_different_request_ids_racing_is_never_refused(
    served: Served,
) -> None:
    responses = _same_ask_under_different_ids(served)
    assert _decided_as_new(responses, "GW-3b") == (1, RACERS - 1)


def test_one_token_racing_on_all_workers_is_used_once(served: Served) -> None:
    token = served.tokens.agency_official(*FBI)
    responses = _race(served, [_lookup(served, sc.fbi_i2(), token) for _ in range(RACERS)])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [401] * (RACERS - 1), [r.text for r in responses]


def test_a_page_session_is_known_to_every_worker(served: Served) -> None:
    """A sign-in on one connection, then fresh connections (any worker) use and end it."""
    auditor = served.tokens.staff("auditor")["Authorization"].removeprefix("Bearer ")
    with httpx.Client(base_url=served.url, timeout=30) as browser:
        form = browser.get("/audit/sign-in")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert csrf is not None
        signed_in = browser.post(
            "/audit/sign-in", data={"csrf_token": csrf.group(1), "token": auditor}
        )
        assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/audit/")
        cookie = browser.cookies.get("gateway_audit_session", path="/audit/")
    assert cookie
    cookies = {"gateway_audit_session": cookie}

    def dashboard(client: httpx.Client) -> httpx.Response:
        return client.get("/audit/")

    pages = _race(served, [dashboard] * RACERS, cookies)
    assert [p.status_code for p in pages] == [200] * RACERS
    page_csrf = re.search(r'name="csrf_token" value="([^"]+)"', pages[0].text)
    assert page_csrf is not None
    with httpx.Client(base_url=served.url, timeout=30, cookies=cookies) as other:
        out = other.post("/audit/sign-out", data={"csrf_token": page_csrf.group(1)})
        assert (out.status_code, out.headers["location"]) == (303, "/audit/sign-in")
    after = _race(served, [dashboard] * RACERS, cookies)
    assert [p.status_code for p in after] == [303] * RACERS


def test_a_killed_worker_is_replaced_and_its_opa_dies_with_it(served: Served) -> None:
    pids = _live_worker_pids(served)
    victim = pids[0]
    victims_opa = _children(victim)
    assert len(victims_opa) == 1
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            now = _live_worker_pids(served)
        except httpx.HTTPError:  # a connection queued for the dead worker is reset
            now = []
        if victim not in now and len(now) == WORKERS:
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"no replacement for worker {victim}: {_live_worker_pids(served)}")
    assert not _alive(victims_opa[0])
    wait_ready(served.url, served.proc, served.log_path)
    assert served.log_events("serve.worker_replaced")[-1]["dead_pid"] == victim


def test_ctrl_c_stops_every_worker_and_every_opa(served: Served) -> None:
    workers = _live_worker_pids(served)
    opas = [opa for worker in workers for opa in _children(worker)]
    assert len(opas) == WORKERS
    assert served.stop() == 0
    assert [p for p in workers + opas if _alive(p)] == []


def _children(pid: int) -> list[int]:
    """A worker's child processes: its OPA."""
    return [
        int(child)
        for task in Path(f"/proc/{pid}/task").iterdir()
        for child in (task / "children").read_text().split()
    ]
