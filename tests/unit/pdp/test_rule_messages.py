"""Each rule's message is its own (issue 10 item 4), checked over the whole policy.

The agency reads ``reasons[].message`` as the policy wrote it (``lib.finding`` copies
``custom.message`` of the rule that fired). Two rules sharing a text told agencies
the wrong thing: a boilerplate reason shared by 50 subjects read "Specific reason(s)
… not set forth". Here OPA lists every METADATA block of the policy
(``opa inspect --annotations``) and evaluates ``data.gateway.messages_test.fired_messages``
(one decided request per finding-building rule, in
``policies/gateway/messages/messages_test.rego``):

* no two METADATA blocks carry the same message;
* every block's (rule, outcome, message) is one that a case fired, so a new rule
  without a case, or a case that fires a neighbour's text, fails here.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from gateway.pdp.texts import COURT_NOTICE
from tests.conftest import POLICY_DIR

TEXT_ONLY = {COURT_NOTICE}
"""Texts the gateway shows, not findings: no decision carries them (gateway.pdp.texts)."""


def _annotated(opa: Path) -> list[tuple[str, str, str]]:
    done = subprocess.run(
        [str(opa), "inspect", "--annotations", "--format", "json", str(POLICY_DIR)],
        capture_output=True,
        text=True,
        check=True,
    )
    out = []
    for entry in json.loads(done.stdout)["annotations"]:
        if str(entry["location"]["file"]).endswith("_test.rego"):
            continue
        custom = entry.get("annotations", {}).get("custom") or {}
        if "message" in custom:
            out.append((custom["rule_id"], custom["outcome"], custom["message"]))
    return out


def _fired(opa: Path) -> set[tuple[str, str, str]]:
    done = subprocess.run(
        [
            str(opa),
            "eval",
            "--format",
            "json",
            "--data",
            str(POLICY_DIR),
            "data.gateway.messages_test.fired_messages",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    value = json.loads(done.stdout)["result"][0]["expressions"][0]["value"]
    return {(r, o, m) for r, o, m in value}


def _matches(template: str, message: str) -> bool:
    """A METADATA message with sprintf verbs (%s, %d) matches its filled-in form."""
    pattern = re.sub(r"%[sd]", ".+", re.escape(template).replace(r"\%", "%"))
    return re.fullmatch(pattern, message) is not None


@pytest.fixture(scope="module")
def annotated(opa_binary: Path) -> list[tuple[str, str, str]]:
    return _annotated(opa_binary)


def test_no_two_rules_of_the_policy_share_a_message(annotated: list[tuple[str, str, str]]) -> None:
    shared = [m for m, n in Counter(m for _, _, m in annotated).items() if n > 1]
    assert shared == []


def test_every_rule_message_reaches_a_finding_of_its_own(
    annotated: list[tuple[str, str, str]], opa_binary: Path
) -> None:
    fired = _fired(opa_binary)
    findings = [a for a in annotated if a[0] not in TEXT_ONLY]
    for rule, outcome, template in findings:
        hits = [m for r, o, m in fired if (r, o) == (rule, outcome) and _matches(template, m)]
        assert len(hits) == 1, f"{rule} {outcome}: no case fires {template!r}"
    for rule, outcome, message in fired:
        owners = [a for a in findings if a[:2] == (rule, outcome) and _matches(a[2], message)]
        assert len(owners) == 1, f"{rule} {outcome}: {message!r} is not one rule's METADATA"
    assert len(fired) == len(findings)
