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
subjects, obligations, penalties — must be the one recorded. A deliberate
change of the policy's decisions rebuilds the corpus (``uv run python -m
tests.assets.policy_corpus.build``) in the same commit, so that the diff shows
it.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.invariants.harness import OpaServer, policy_dir_under_test

CORPUS = Path(__file__).resolve().parents[1] / "assets" / "policy_corpus" / "corpus.jsonl.gz"


def _corpus() -> list[dict[str, Any]]:
    with gzip.open(CORPUS, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="module")
def corpus() -> list[dict[str, Any]]:
    return _corpus()


@pytest.fixture(scope="module")
def opa(opa_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpaServer]:
    log = tmp_path_factory.mktemp("opa") / "opa.log"
    with OpaServer(opa_binary, policy_dir_under_test(), log) as server:
        yield server


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
    corpus: list[dict[str, Any]], opa: OpaServer
) -> None:
    differing = []
    for n, row in enumerate(corpus):
        now = opa.decide(row["input"])
        if now != row["decision"]:
            differing.append((n, row["source"], row["decision"]["outcome"], now["outcome"]))
    assert not differing, (
        f"{len(differing)} of {len(corpus)} decisions changed "
        f"(line, source, was, now), first ones: {differing[:10]}"
    )
