"""A rewrite of the policy for speed must not change one decision (issue 11 item 4).

``tests/assets/policy_corpus/corpus.jsonl.gz`` holds policy inputs with the
full decision the policy gave them when the corpus was built (commit fb362e1,
before the rewrite): every input a real gateway logged while answering S01–S34
(each twice), about 1,350 edited copies of them (odd match facts, keys removed
or retyped anywhere — GW-1 —, other bases, agencies, clocks and reasons,
subjects repeated or merged into batches) and requests about 2 to 300
subjects. ``tests/assets/policy_corpus/build.py`` says how they were made.

Each input is decided again by the real OPA on the policy directory under test
and the whole decision — outcome, every finding with its citation and message,
subjects, obligations, penalties — must be the one recorded: once as a replay
sends it (OPA checks the input schema itself) and once as the gateway's PDP
client sends it (the client checked the schema and says so with
``schema_checked``). A deliberate change of the policy's decisions rebuilds the
corpus (``uv run python -m tests.assets.policy_corpus.build``) in the same
commit, so that the diff shows it.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.pdp.decision import Decision
from gateway.pdp.opa import SCHEMA_CHECKED_KEY, OpaPolicyEngine
from gateway.pdp.process import LocalOpa
from tests.invariants.harness import policy_dir_under_test

CORPUS = Path(__file__).resolve().parents[1] / "assets" / "policy_corpus" / "corpus.jsonl.gz"


def _corpus() -> list[dict[str, Any]]:
    with gzip.open(CORPUS, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="module")
def corpus() -> list[dict[str, Any]]:
    return _corpus()


@pytest.fixture(scope="module")
def opa(opa_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalOpa]:
    log = tmp_path_factory.mktemp("opa") / "opa.log"
    with LocalOpa(opa_binary, policy_dir_under_test(), log_path=log) as server:
        yield server


@pytest.fixture(scope="module")
def http(opa: LocalOpa) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=opa.url, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def engine(opa: LocalOpa) -> Iterator[OpaPolicyEngine]:
    """The gateway's PDP client, after its first decision (it has read OPA's schema)."""
    engine = OpaPolicyEngine(opa.url, timeout_seconds=60)
    engine.decide({"taxpayers": []})
    yield engine
    engine.close()


def _decide(http: httpx.Client, policy_input: Any) -> dict[str, Any]:
    resp = http.post("/v1/data/gateway/decision", json={"input": policy_input})
    resp.raise_for_status()
    result: dict[str, Any] = resp.json()["result"]
    return result


def test_corpus_covers_logged_edited_and_batch_inputs(corpus: list[dict[str, Any]]) -> None:
    """The corpus is what the proof needs: scenarios, GW-1, every outcome, big batches."""
    sources = Counter(row["source"].split(":")[0] for row in corpus)
    assert sources["logged"] >= 60
    assert sources["mutated"] >= 1000
    assert sources["scaled"] >= 4
    outcomes = Counter(row["decision"]["outcome"] for row in corpus)
    assert set(outcomes) == {"ALLOW", "ALLOW_WITH_REDACTION", "REQUIRE_HUMAN_REVIEW", "DENY"}
    request_rules = Counter(f["rule"] for row in corpus for f in row["decision"]["reasons"])
    assert request_rules["GW-1"] >= 300
    sizes = [row["input"].get("taxpayers") for row in corpus]
    assert max(len(t) for t in sizes if isinstance(t, list)) >= 300


def test_every_recorded_decision_is_decided_the_same(
    corpus: list[dict[str, Any]], http: httpx.Client, engine: OpaPolicyEngine
) -> None:
    schema = engine.schema_check
    assert schema is not None, "the PDP client did not read the policy's input schema"
    differing = []
    checked = 0
    for n, row in enumerate(corpus):
        was = row["decision"]
        now = _decide(http, row["input"])
        if now != was:
            differing.append((n, row["source"], "replayed", was["outcome"], now["outcome"]))
        if isinstance(row["input"], dict) and schema.valid(row["input"]):
            checked += 1
            sent = {**row["input"], SCHEMA_CHECKED_KEY: schema.digest}
            now = _decide(http, sent)
            if now != was:
                differing.append((n, row["source"], "checked", was["outcome"], now["outcome"]))
    assert checked >= 500
    assert not differing, (
        f"{len(differing)} decisions changed of {len(corpus)} inputs "
        f"(line, source, path, was, now), first ones: {differing[:10]}"
    )


def test_client_schema_check_agrees_with_opas_on_every_corpus_input(
    corpus: list[dict[str, Any]], http: httpx.Client, engine: OpaPolicyEngine
) -> None:
    """fastjsonschema in the client and gojsonschema in OPA accept exactly the same inputs."""
    schema = engine.schema_check
    assert schema is not None
    disagree = []
    for n, row in enumerate(corpus):
        resp = http.post(
            "/v1/query",
            json={
                "query": "ok := json.match_schema(input, data.schema.input)[0]",
                "input": row["input"],
            },
        )
        resp.raise_for_status()
        opa_says = resp.json()["result"][0]["ok"]
        if schema.valid(row["input"]) != opa_says:
            disagree.append((n, row["source"], opa_says))
    assert not disagree, f"client and OPA disagree on {len(disagree)}: {disagree[:10]}"


def test_pdp_client_still_has_malformed_input_denied_by_gw1(
    corpus: list[dict[str, Any]], engine: OpaPolicyEngine
) -> None:
    """Through the gateway's client and the real OPA: the schema check moved, GW-1 did not."""
    schema = engine.schema_check
    assert schema is not None
    malformed = [
        row
        for row in corpus
        if row["source"].startswith("mutated")
        and isinstance(row["input"].get("taxpayers"), list)
        and all(
            isinstance(t, dict) and isinstance(t.get("ref"), str) for t in row["input"]["taxpayers"]
        )
        and "GW-1" in {f["rule"] for f in row["decision"]["reasons"]}
    ]
    assert len(malformed) >= 100
    for row in malformed:
        decision = engine.decide(row["input"])
        assert decision.outcome == "DENY"
        assert "GW-1" in {r.rule for r in decision.reasons}
        assert decision == Decision.model_validate(row["decision"])
    wellformed = [
        r for r in corpus if r["source"] == "logged" and r["decision"]["outcome"] == "ALLOW"
    ]
    for row in wellformed:
        decision = engine.decide(row["input"])
        assert decision.outcome == "ALLOW"
        assert decision == Decision.model_validate(row["decision"])
