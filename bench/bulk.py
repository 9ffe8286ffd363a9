"""One request about many subjects, end to end, and the datastore's share of it (issue 11 item 3).

One in-process gateway (real OPA, SQLite file) on a home seeded with
``--taxpayers`` people. For each ``--subjects`` figure, one ``POST
/v1/address-lookups`` under S23 (SSA statement mailing, 6103(m)(7), which
releases the mailing address) about that many seeded taxpayers (TIN, name and
newest address as supplied; every tenth subject by name only), timed through
the ASGI app, ``--repeat`` times, each about other people. Three figures:

* ``request_s``: the whole request, authentication to answer;
* ``datastore_s``: the part spent in the pipeline's datastore steps, subject
  resolution (step 4, ``LookupPipeline._resolve``) and the read of what may be
  released (step 6, ``LookupPipeline._releasable``), timed by wrapping the two
  methods;
* ``opa_s``: the part spent in the PDP client (``OpaPolicyEngine.decide``:
  input to JSON, schema check, OPA's REST answer, parsing the decision); the
  rest is authentication, redaction and the decision log.

Then, without HTTP or OPA, ``datastore_only_s``: the same two steps called
directly on a fresh set of subjects, as if the policy had released every
identified subject's last known address (the most step 6 can have to do), so
that the datastore's figure does not depend on the policy engine's speed.

Medians over the repeats are printed as JSON; ``--out`` writes them too.

    uv run python bench/bulk.py --subjects 1000 10000
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from history import seeded_people
from sqlalchemy.engine import Engine
from sqlmodel import Session

from gateway.auth.keys import GATEWAY_KEY_NAME, KeyStore
from gateway.auth.registry import Registry
from gateway.domain import LookupRequest
from gateway.pdp.decision import Decision, SubjectDecision
from gateway.pdp.opa import OpaPolicyEngine
from gateway.pep import LookupPipeline
from gateway.store.db import make_engine, migrate
from gateway.store.seed import seed_population
from tests import scenarios
from tests.support import Tokens, make_settings, running_gateway

SPENT: dict[str, float] = {"datastore": 0.0, "opa": 0.0}


def _timed(method: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            SPENT["datastore"] += time.perf_counter() - t0

    return staticmethod(wrapper)


def _timed_opa(method: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            SPENT["opa"] += time.perf_counter() - t0

    return wrapper


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def _datastore_only(engine: Engine, body: dict[str, Any]) -> tuple[float, float]:
    """Wall and CPU seconds for steps 4 and 6 on ``body``'s subjects, every one released.

    Only the two steps are timed: the stand-in decision is built between them,
    outside the clock (in a real lookup OPA's answer is parsed elsewhere). CPU
    time is this process's (SQLite runs inside it): on a machine shared with
    other work it varies far less than the wall clock.
    """
    request = LookupRequest.model_validate(body)
    ask = SimpleNamespace(request=request, decided_at=datetime.now(UTC))
    with Session(engine) as session:
        t0, c0 = time.perf_counter(), time.process_time()
        resolutions, _ = LookupPipeline._resolve(session, ask)  # type: ignore[arg-type]
        resolved, resolved_cpu = time.perf_counter() - t0, time.process_time() - c0
        subjects = [
            SubjectDecision(
                ref=s.ref,
                outcome="ALLOW",
                release_tax_year=r.last_known_tax_year,
                redacted=[],
                findings=[],
                reasons=[],
            )
            for s, r in zip(request.subjects, resolutions, strict=True)
        ]
        decision = Decision(outcome="ALLOW", reasons=[], subjects=subjects, obligations=[])
        decided = SimpleNamespace(resolutions=resolutions, decision=decision)
        t1, c1 = time.perf_counter(), time.process_time()
        released = LookupPipeline._releasable(session, decided)  # type: ignore[arg-type]
        elapsed = resolved + time.perf_counter() - t1
        cpu = resolved_cpu + time.process_time() - c1
    if sum(a is not None for a in released) < len(released) // 2:
        raise SystemExit("fewer than half the subjects were identified: not the intended load")
    return elapsed, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--subjects", type=int, nargs="+", default=[1_000, 10_000])
    ap.add_argument("--taxpayers", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--opa", type=Path, default=REPO / ".tools" / "bin" / "opa")
    ap.add_argument("--no-http", action="store_true", help="only datastore_only_s")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    s23 = next(s for s in scenarios.scenarios() if s.id == "S23")
    LookupPipeline._resolve = _timed(LookupPipeline._resolve)  # type: ignore[method-assign]
    LookupPipeline._releasable = _timed(LookupPipeline._releasable)  # type: ignore[method-assign]
    OpaPolicyEngine.decide = _timed_opa(OpaPolicyEngine.decide)  # type: ignore[method-assign]
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        settings = make_settings(
            home,
            f"sqlite:///{home / 'gateway.db'}",
            args.opa,
            log_level="WARNING",
            max_subjects=max(args.subjects),
            max_body_bytes=64 * 1024 * 1024,
            opa_timeout_seconds=30,
        )
        home.mkdir()
        keys = KeyStore(settings.keys_dir)
        for issuer in [GATEWAY_KEY_NAME, *Registry.load(settings.policy_dir).agencies]:
            keys.ensure(issuer)
        engine = make_engine(settings.resolved_database_url)
        migrate(engine)
        seed_population(engine, args.taxpayers)
        tokens = Tokens(settings)
        skip = 0
        with running_gateway(settings) as client:
            for n in args.subjects:
                request_s, datastore_s, opa_s, alone_s, alone_cpu_s = [], [], [], [], []
                outcomes: set[object] = set()
                for _ in range(args.repeat):
                    body = scenarios._fresh_id(s23).body
                    template = body["subjects"][0]
                    body["subjects"] = [
                        {**template, "ref": f"TP-{i:06d}", **person}
                        for i, person in enumerate(seeded_people(engine, n, skip))
                    ]
                    skip += n
                    alone_body = dict(body)
                    alone_body["subjects"] = [
                        {**template, "ref": f"TP-{i:06d}", **person}
                        for i, person in enumerate(seeded_people(engine, n, skip))
                    ]
                    skip += n
                    wall, cpu = _datastore_only(engine, alone_body)
                    alone_s.append(wall)
                    alone_cpu_s.append(cpu)
                    if args.no_http:
                        continue
                    headers = tokens.agency(s23.agency, s23.role)
                    SPENT["datastore"] = SPENT["opa"] = 0.0
                    t0 = time.perf_counter()
                    resp = client.post("/v1/address-lookups", json=body, headers=headers)
                    request_s.append(time.perf_counter() - t0)
                    datastore_s.append(SPENT["datastore"])
                    opa_s.append(SPENT["opa"])
                    outcomes.add(
                        resp.json()["outcome"] if resp.status_code == 200 else resp.status_code
                    )
                runs.append(
                    {
                        "subjects": n,
                        "request_s": _median(request_s),
                        "datastore_s": _median(datastore_s),
                        "opa_s": _median(opa_s),
                        "outcomes": sorted(outcomes, key=str),
                        "datastore_only_s": _median(alone_s),
                        "datastore_only_cpu_s": _median(alone_cpu_s),
                        "datastore_only_ms_per_subject": round(
                            1000 * statistics.median(alone_s) / n, 4
                        ),
                    }
                )
        engine.dispose()
    result = {"taxpayers": args.taxpayers, "repeat": args.repeat, "runs": runs}
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
