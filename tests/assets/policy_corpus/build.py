"""Builds the policy-equivalence corpus: policy inputs with the decision the policy gave then.

Run from the repository root, on the policy whose decisions are to be kept::

    uv run python -m tests.assets.policy_corpus.build

Three kinds of input, all decided by the real OPA on ``policies/`` as it stands:

* **logged**: what a real gateway sent to OPA. An in-process gateway (SQLite,
  the demo taxpayers, its own OPA child) answers S01–S34 of ``tests/scenarios.py``
  — each once, then again under a new request id (GW-3b) — and every input is
  read back from its decision-log leaf and unsealed with the audit key, as
  ``gateway policy replay`` does.
* **mutated**: logged inputs edited with a fixed seed, to reach what no agency
  can write: odd match facts (``tests/invariants/inputs.ODD_VALUES``), keys
  removed or retyped anywhere (GW-1), another basis, agency, clock or reason,
  subjects repeated or merged from several requests into one batch.
* **scaled**: one request about 2 … 300 subjects, built the way
  ``bench/opa_bench.py`` builds its inputs.

``corpus.jsonl.gz`` holds one ``{"source", "input", "decision"}`` per line;
``tests/integration/test_policy_equivalence.py`` decides every input again on
the current policy and requires the very same decision.
"""

from __future__ import annotations

import copy
import gzip
import json
import random
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gateway.audit.log import DecisionLog
from gateway.audit.sealing import AuditKeys
from gateway.pdp.input import KNOWN_BASES, MOU_BASIS
from tests import scenarios as sc
from tests.conftest import POLICY_DIR, opa_binary_path
from tests.invariants.harness import OpaServer
from tests.invariants.inputs import MATCH_KEYS, ODD_VALUES
from tests.support import (
    Tokens,
    make_settings,
    official_for,
    prepare_home,
    record_order,
    running_gateway,
)

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus.jsonl.gz"
SEED = 20261201
MUTANTS_PER_INPUT = 20

Input = dict[str, Any]


def logged_inputs() -> list[Input]:
    """Every policy input an in-process gateway logged while answering S01–S34 (twice)."""
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        settings = make_settings(home, f"sqlite:///{Path(tmp) / 'gateway.db'}", opa_binary_path())
        prepare_home(settings)
        tokens = Tokens(settings)
        with running_gateway(settings) as client:
            for scenario in sc.scenarios():
                if scenario.delivery == "forged_token":
                    continue  # a 401 before any decision: nothing is logged
                official = scenario.official or official_for(scenario.agency, scenario.role)
                if scenario.body.get("court_order"):
                    record_order(client, tokens, scenario.body["court_order"])
                for body in (scenario.body, {**scenario.body, "request_id": str(uuid.uuid4())}):
                    for _ in range(2 if scenario.delivery == "twice" else 1):
                        headers = tokens.agency_official(scenario.agency, official)
                        resp = client.post("/v1/address-lookups", json=body, headers=headers)
                        assert resp.status_code == 200, resp.text
            log: DecisionLog = client.app.state.services.decision_log  # type: ignore[attr-defined]
            audit = AuditKeys.load_or_create(settings.keys_dir)
            out: list[Input] = []
            for entry in log.entries(0, log.size()):
                record = json.loads(entry.body)
                if "sealed_input" not in record:
                    continue
                out.append(
                    json.loads(
                        audit.unseal(
                            record["sealed_input"],
                            associated_data=record["decision_id"].encode(),
                        )
                    )
                )
            return out


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path in ``node`` (object keys and array positions)."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield (*prefix, i)
            yield from _paths(v, (*prefix, i))


def _parent(doc: Any, path: tuple[Any, ...]) -> Any:
    for k in path[:-1]:
        doc = doc[k]
    return doc


def _rebatch(doc: Input) -> None:
    doc["bulk_count"] = len(doc.get("taxpayers", []))


KINDS = (
    "match",
    "drop",
    "retype",
    "basis",
    "agency",
    "clock",
    "reason",
    "repeat",
    "merge",
    "record",
)


def _fresh(doc: Input) -> None:
    """Forget the replay memory: the logged second sends are all GW-3b denials."""
    doc["duplicate_of"] = None
    doc["replay"] = {"nonce_seen": False, "request_id_seen": False}


def edit(doc: Input, kind: str, pool: list[Input], rng: random.Random) -> None:
    """Apply one edit of ``kind`` to ``doc`` in place."""
    found = doc.get("taxpayers")
    taxpayers: list[Any] = found if isinstance(found, list) else []
    if kind == "match" and taxpayers:
        t = rng.choice(taxpayers)
        if isinstance(t, dict) and isinstance(t.get("match"), dict):
            t["match"][rng.choice(MATCH_KEYS)] = copy.deepcopy(rng.choice(ODD_VALUES))
    elif kind == "drop":
        path = rng.choice(list(_paths(doc)))
        parent = _parent(doc, path)
        if isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent.pop(path[-1])
    elif kind == "retype":
        path = rng.choice(list(_paths(doc)))
        _parent(doc, path)[path[-1]] = copy.deepcopy(rng.choice(ODD_VALUES))
    elif kind == "basis":
        doc["legal_basis"] = rng.choice([*sorted(KNOWN_BASES), MOU_BASIS, "NONE", "6103_x"])
    elif kind == "agency":
        doc["requester"] = copy.deepcopy(rng.choice(pool).get("requester"))
    elif kind == "clock":
        doc["decision_time"] = rng.choice(
            [
                "2020-01-01T00:00:00Z",
                "2025-06-01T12:00:00+00:00",
                "2026-03-02T15:00:00-05:00",
                "2031-01-01T00:00:00Z",
                "2026-13-01T00:00:00Z",
                "yesterday",
            ]
        )
    elif kind == "reason" and taxpayers:
        reason = rng.choice(["", "  ", "Seen at the branch.", "N/A", None, 7])
        for t in rng.sample(taxpayers, k=rng.randint(1, len(taxpayers))):
            if isinstance(t, dict):
                t["specific_reason"] = reason
    elif kind == "repeat" and taxpayers:
        t = copy.deepcopy(rng.choice(taxpayers))
        if isinstance(t, dict) and rng.random() < 0.5:
            t["ref"] = f"{t.get('ref')}-again"
        taxpayers.append(t)
        if rng.random() < 0.8:
            _rebatch(doc)
    elif kind == "merge":
        merged = list(taxpayers)
        for n, other in enumerate(rng.sample(pool, k=min(len(pool), rng.randint(1, 4)))):
            for t in other.get("taxpayers") or []:
                t = copy.deepcopy(t)
                t["ref"] = f"m{n}-{t.get('ref')}"
                merged.append(t)
        doc["taxpayers"] = merged
        _rebatch(doc)
    elif kind == "record" and taxpayers:
        t = rng.choice(taxpayers)
        if isinstance(t, dict) and isinstance(t.get("record"), dict) and t["record"]:
            t["record"][rng.choice(sorted(t["record"]))] = copy.deepcopy(rng.choice(ODD_VALUES))


def mutants(base: Input, pool: list[Input], rng: random.Random) -> Iterator[tuple[str, Input]]:
    """Edited copies of ``base`` (one to three edits each), named by their edits."""
    for _ in range(MUTANTS_PER_INPUT):
        doc = copy.deepcopy(base)
        if rng.random() < 0.7:
            _fresh(doc)
        kinds = [rng.choice(KINDS) for _ in range(rng.randint(1, 3))]
        for kind in kinds:
            edit(doc, kind, pool, rng)
        yield f"mutated:{'+'.join(kinds)}", doc


def scaled(base: Input, n: int) -> Input:
    """``base`` about ``n`` subjects: its taxpayers repeated with their own refs and TINs."""
    doc = copy.deepcopy(base)
    template = doc["taxpayers"]
    out = []
    for k in range(n):
        t = copy.deepcopy(template[k % len(template)])
        t["ref"] = f"s{k}"
        supplied = t.get("supplied")
        if isinstance(supplied, dict) and isinstance(supplied.get("tin"), str):
            supplied["tin"] = f"9{k:08d}"
        if isinstance(t.get("specific_reason"), str):
            t["specific_reason"] = f"{t['specific_reason']} (case {k})"
        out.append(t)
    doc["taxpayers"] = out
    _rebatch(doc)
    return doc


def main() -> None:
    rng = random.Random(SEED)  # noqa: S311 - a reproducible corpus, not a secret
    logged = logged_inputs()
    rows: list[tuple[str, Input]] = [("logged", i) for i in logged]
    for base in logged:
        rows.extend(mutants(base, logged, rng))
    examples = sorted((POLICY_DIR / "examples").glob("*/input.json"))
    for path in examples:
        rows.append((f"example:{path.parent.name}", json.loads(path.read_text())))
    for n in (2, 10, 50, 300):
        for base in rng.sample([i for i in logged if i.get("taxpayers")], k=2):
            base = copy.deepcopy(base)
            _fresh(base)
            rows.append((f"scaled:{n}", scaled(base, n)))
    with (
        tempfile.TemporaryDirectory() as tmp,
        OpaServer(opa_binary_path(), POLICY_DIR, Path(tmp) / "opa.log") as opa,
        gzip.open(CORPUS, "wt", encoding="utf-8") as f,
    ):
        for source, doc in rows:
            decision = opa.decide(doc)
            line = {"source": source, "input": doc, "decision": decision}
            f.write(json.dumps(line, sort_keys=True) + "\n")
    print(f"{len(rows)} inputs ({len(logged)} logged) -> {CORPUS}")


if __name__ == "__main__":
    main()
