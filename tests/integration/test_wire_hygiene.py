"""Wire hygiene: a body two readers could read differently is refused before anything happens.

Through the whole app (real OPA, SQLite and PostgreSQL): duplicate keys, control and
format characters, non-ASCII digits in a TIN, a body that is not ``application/json``,
and bytes that are not UTF-8 JSON are each a problem document naming what is wrong,
and such a request decides nothing, logs nothing and stores nothing.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from gateway.audit.log import DecisionLog
from gateway.store.lookups import LookupStore
from tests import scenarios as sc
from tests.support import Tokens

LOOKUPS = "/v1/address-lookups"
JSON = "application/json"
PERSONAL = ["123-45-6789", "Rivera", "Jordan", "1420 Elm", "Baltimore"]


def _log(client: TestClient) -> DecisionLog:
    log: DecisionLog = client.app.state.services.decision_log  # type: ignore[attr-defined]
    return log


def _lookups(client: TestClient) -> LookupStore:
    store: LookupStore = client.app.state.services.lookups  # type: ignore[attr-defined]
    return store


def _send(
    client: TestClient,
    tokens: Tokens,
    raw: bytes | str,
    content_type: str | None = JSON,
) -> Any:
    headers = tokens.agency("DOJ-FBI", "FBI_DIRECTOR")
    if content_type is not None:
        headers["Content-Type"] = content_type
    content = raw.encode() if isinstance(raw, str) else raw
    return client.post(LOOKUPS, content=content, headers=headers)


def _refused(
    client: TestClient,
    tokens: Tokens,
    raw: bytes | str,
    status: int,
    content_type: str | None = JSON,
) -> dict[str, Any]:
    """Send ``raw``; it must be refused with ``status``, and leave no decision or lookup."""
    size = _log(client).size()
    resp = _send(client, tokens, raw, content_type)
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = resp.json()
    assert problem["status"] == status
    assert problem["detail"]
    for secret in PERSONAL:
        assert secret not in resp.text
    assert _log(client).size() == size
    return problem


def _assert_not_stored(client: TestClient, request_id: str) -> None:
    assert _lookups(client).by_request_id("DOJ-FBI", request_id) is None


def _decided_afresh(client: TestClient, tokens: Tokens, body: dict[str, Any]) -> None:
    """The clean body is still a first request: the refused one left nothing behind."""
    answer = _send(client, tokens, json.dumps(body)).json()
    assert answer["outcome"] == "allowed"
    assert answer["reasons"] == []


def _locs(problem: dict[str, Any]) -> list[list[str]]:
    return [e["loc"] for e in problem.get("errors", [])]


# -- 1. duplicate keys ---------------------------------------------------------------


def test_duplicate_legal_basis_is_refused_not_decided_as_the_last_one(
    client: TestClient, tokens: Tokens
) -> None:
    body = sc.fbi_i2()
    # {"legal_basis":"none","legal_basis":"6103(i)(2)", ...}: the last one would win.
    raw = '{"legal_basis":"none",' + json.dumps(body)[1:]
    problem = _refused(client, tokens, raw, 422)
    assert _locs(problem) == [["legal_basis"]]
    assert problem["errors"][0]["type"] == "duplicate_key"
    assert 'duplicate key "legal_basis" at legal_basis' in problem["detail"]
    _assert_not_stored(client, body["request_id"])
    _decided_afresh(client, tokens, body)


def test_the_bare_duplicate_legal_basis_body_is_refused_for_the_duplicate(
    client: TestClient, tokens: Tokens
) -> None:
    problem = _refused(client, tokens, '{"legal_basis":"none","legal_basis":"6103(i)(2)"}', 422)
    assert _locs(problem) == [["legal_basis"]]
    assert "duplicate key" in problem["detail"]


@pytest.mark.parametrize(
    ("original", "doubled", "loc", "path"),
    [
        (
            '"tin": "123-45-6789"',
            '"tin": "987-65-4320", "tin": "123-45-6789"',
            ["subjects", "0", "tin"],
            "subjects[0].tin",
        ),
        (
            '"last": "Rivera"',
            '"last": "Nobody", "last": "Rivera"',
            ["subjects", "0", "name", "last"],
            "subjects[0].name.last",
        ),
        (
            '"category": "nontax_criminal"',
            '"category": "other", "category": "nontax_criminal"',
            ["purpose", "category"],
            "purpose.category",
        ),
    ],
    ids=["subject-tin", "subject-name", "purpose"],
)
def test_duplicate_key_at_any_depth_is_refused_naming_its_path(
    client: TestClient, tokens: Tokens, original: str, doubled: str, loc: list[str], path: str
) -> None:
    body = sc.fbi_i2()
    text = json.dumps(body)
    assert text.count(original) == 1
    problem = _refused(client, tokens, text.replace(original, doubled), 422)
    assert _locs(problem) == [loc]
    assert path in problem["detail"]
    _assert_not_stored(client, body["request_id"])


# -- 2. control and format characters ------------------------------------------------

REFUSED_CHARACTERS = {
    "NUL": "\x00",
    "newline": "\n",
    "tab": "\t",
    "DEL": "\x7f",
    "NEL": "\x85",
    "RLO U+202E": "\u202e",
    "RLI U+2067": "\u2067",
    "LRM U+200E": "\u200e",
    "ZWSP U+200B": "\u200b",
    "ZWJ U+200D": "\u200d",
    "ZWNJ U+200C": "\u200c",
    "BOM U+FEFF": "\ufeff",
    "soft hyphen U+00AD": "\u00ad",
    "word joiner U+2060": "\u2060",
    "tag U+E0041": "\U000e0041",
}


@pytest.mark.parametrize("char", REFUSED_CHARACTERS.values(), ids=REFUSED_CHARACTERS.keys())
def test_control_or_format_character_in_a_value_is_refused_naming_where(
    client: TestClient, tokens: Tokens, char: str
) -> None:
    body = sc.fbi_i2()
    body["subjects"][0]["name"]["last"] = "Riv" + char + "era"
    problem = _refused(client, tokens, json.dumps(body), 422)  # sent as a \\u escape
    assert _locs(problem) == [["subjects", "0", "name", "last"]]
    assert problem["errors"][0]["type"] == "control_character"
    assert f"U+{ord(char):04X}" in problem["detail"]
    assert "subjects[0].name.last" in problem["detail"]
    _assert_not_stored(client, body["request_id"])


@pytest.mark.parametrize("char", ["\u202e", "\u200b", "\ufeff", "\u00ad"])
def test_format_character_sent_as_raw_utf8_is_refused_naming_where(
    client: TestClient, tokens: Tokens, char: str
) -> None:
    body = sc.fbi_i2()
    body["request_id"] = body["request_id"] + char
    problem = _refused(client, tokens, json.dumps(body, ensure_ascii=False), 422)
    assert _locs(problem) == [["request_id"]]


@pytest.mark.parametrize("char", ["\x00", "\n", "\t", "\x1b"])
def test_raw_control_character_inside_a_string_is_refused_as_not_json(
    client: TestClient, tokens: Tokens, char: str
) -> None:
    body = sc.fbi_i2()
    body["purpose"]["description"] = "line one@@line two"
    raw = json.dumps(body).replace("@@", char)  # json.dumps would escape it
    assert char in raw
    problem = _refused(client, tokens, raw, 422)
    assert "Invalid control character" in problem["detail"]


def test_format_character_in_a_key_is_refused_without_echoing_it(
    client: TestClient, tokens: Tokens
) -> None:
    body = sc.fbi_i2()
    text = json.dumps(body).replace('"legal_basis"', '"legal\\u202ebasis"')
    problem = _refused(client, tokens, text, 422)
    assert _locs(problem) == [["legal\\u202ebasis"]]
    assert "U+202E" in problem["detail"]
    assert "\u202e" not in json.dumps(problem, ensure_ascii=False)


# -- 3. ASCII digits only in a TIN ---------------------------------------------------

DIGITS = {
    "arabic-indic": "\u0660",
    "extended-arabic-indic": "\u06f0",
    "devanagari": "\u0966",
    "fullwidth": "\uff10",
}


def _digits(tin: str, zero: str) -> str:
    return "".join(chr(ord(zero) + int(c)) if c.isdigit() else c for c in tin)


@pytest.mark.parametrize("zero", DIGITS.values(), ids=DIGITS.keys())
def test_tin_in_non_ascii_digits_is_refused(client: TestClient, tokens: Tokens, zero: str) -> None:
    body = sc.fbi_i2()
    body["subjects"][0]["tin"] = _digits(sc.RIVERA_TIN, zero)
    problem = _refused(client, tokens, json.dumps(body), 422)
    assert ["subjects", "0", "tin"] in _locs(problem)
    _assert_not_stored(client, body["request_id"])


def test_court_order_tin_in_non_ascii_digits_is_refused(client: TestClient, tokens: Tokens) -> None:
    body = sc.fbi_i1()
    body["court_order"]["covered_tins"] = [_digits(sc.RIVERA_TIN, DIGITS["arabic-indic"])]
    problem = _refused(client, tokens, json.dumps(body), 422)
    assert ["court_order", "covered_tins", "0"] in _locs(problem)


# -- 4. application/json only ---------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "text/plain; charset=utf-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/problem+json",
        "application/json-patch+json",
        "text/json",
        "application/json; charset=latin-1",
        "application/json; charset=utf-16",
    ],
)
def test_body_that_is_not_application_json_is_a_415_problem(
    client: TestClient, tokens: Tokens, content_type: str | None
) -> None:
    body = sc.fbi_i2()
    problem = _refused(client, tokens, json.dumps(body), 415, content_type)
    assert problem["title"] == "Unsupported media type"
    assert "application/json" in problem["detail"] or "UTF-8" in problem["detail"]
    _assert_not_stored(client, body["request_id"])
    _decided_afresh(client, tokens, body)


def test_two_content_type_headers_are_a_415_problem(client: TestClient, tokens: Tokens) -> None:
    size = _log(client).size()
    resp = client.post(
        LOOKUPS,
        content=json.dumps(sc.fbi_i2()).encode(),
        headers=[
            ("content-type", JSON),
            ("content-type", "text/plain"),
            *tokens.agency("DOJ-FBI", "FBI_DIRECTOR").items(),
        ],
    )
    assert resp.status_code == 415
    assert _log(client).size() == size


def test_form_data_is_a_415_problem(client: TestClient, tokens: Tokens) -> None:
    size = _log(client).size()
    resp = client.post(
        LOOKUPS,
        data={"legal_basis": "6103(i)(2)"},
        headers=tokens.agency("DOJ-FBI", "FBI_DIRECTOR"),
    )
    assert resp.status_code == 415
    assert resp.headers["content-type"] == "application/problem+json"
    assert _log(client).size() == size


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; charset=utf-8",
        "application/json;charset=UTF-8",
        'application/json; charset="utf-8"',
        "Application/JSON",
    ],
)
def test_application_json_with_parameters_is_accepted(
    client: TestClient, tokens: Tokens, content_type: str
) -> None:
    resp = _send(client, tokens, json.dumps(sc.fbi_i2()), content_type)
    assert resp.status_code == 200, resp.text
    assert resp.json()["outcome"] == "allowed"


# -- 5. UTF-8 JSON only ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b'{"request_id": "\xff"}', "not valid UTF-8"),
        (b'{"request_id": "\xc0\xaf"}', "not valid UTF-8"),  # overlong "/"
        (b'{"request_id": "\xe2\x80"}', "not valid UTF-8"),  # truncated sequence
        (b'{"request_id": "\xed\xa0\x80"}', "not valid UTF-8"),  # encoded surrogate
        ('{"subjects": [{"ref": "Núñez"}]}'.encode("latin-1"), "not valid UTF-8"),
        (json.dumps(sc.fbi_i2()).encode("utf-16"), "not valid UTF-8"),
        (b"\xef\xbb\xbf" + json.dumps(sc.fbi_i2()).encode(), "byte order mark"),
        (b'{"request_id": ', "not JSON"),
        (b"request_id=x&legal_basis=6103(i)(2)", "not JSON"),
        (b'{"request_id": "a"} {"request_id": "b"}', "not JSON"),
        (b'{"request_id": "a",}', "not JSON"),
        (b"{'request_id': 'a'}", "not JSON"),
        (b'{"open_caseload": NaN}', "NaN"),
        (b'{"open_caseload": -Infinity}', "Infinity"),
        (b'{"open_caseload": 1e999}', "too large"),
        (b'{"request_id": "\\ud800"}', "U+D800"),  # a lone surrogate, escaped
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
    ids=[
        "invalid-byte",
        "overlong",
        "truncated",
        "utf8-surrogate",
        "latin-1",
        "utf-16",
        "bom",
        "truncated-json",
        "form-encoded",
        "two-documents",
        "trailing-comma",
        "single-quotes",
        "nan",
        "infinity",
        "overflowing-number",
        "lone-surrogate-escape",
        "deep-nesting",
    ],
)
def test_body_that_is_not_utf8_json_is_a_422_problem(
    client: TestClient, tokens: Tokens, raw: bytes, says: str
) -> None:
    problem = _refused(client, tokens, raw, 422)
    assert problem["title"] == "Invalid request"
    assert says in problem["detail"]


# -- every endpoint, not just lookups ----------------------------------------------------


def _routes_with_bodies(client: TestClient) -> list[str]:
    """Every path under /v1 that takes POST, PUT or PATCH, from the app's own OpenAPI."""
    paths: dict[str, dict[str, Any]] = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    return sorted(
        path
        for path, operations in paths.items()
        if path.startswith("/v1") and {"post", "put", "patch"} & set(operations)
    )


def test_every_route_that_accepts_a_body_is_behind_the_gate(client: TestClient) -> None:
    """No endpoint opts in: today's and tomorrow's all get the same answer, before any
    of them authenticates the caller or reads the body itself."""
    paths = _routes_with_bodies(client)
    assert {LOOKUPS, "/v1/reviews/{decision_id}/{ref}"} <= set(paths)
    size = _log(client).size()
    for path in paths:
        concrete = re.sub(r"\{[^}]*\}", "x", path)
        for raw, content_type, status in [
            (b'{"action": "deny", "action": "approve"}', JSON, 422),
            (b'{"note": "\\u202e"}', JSON, 422),
            (b'{"note": "x"}', "text/plain", 415),
            (b'{"note": "\xff"}', JSON, 422),
        ]:
            resp = client.post(concrete, content=raw, headers={"Content-Type": content_type})
            assert resp.status_code == status, (path, raw, resp.text)
            assert resp.headers["content-type"] == "application/problem+json"
    assert _log(client).size() == size


def test_a_request_without_a_body_needs_no_content_type(client: TestClient, tokens: Tokens) -> None:
    resp = client.post("/v1/log/checkpoint", headers=tokens.staff("auditor"))
    assert resp.status_code == 200, resp.text


def _pending_review(client: TestClient, tokens: Tokens) -> dict[str, Any]:
    """An acting FBI Director signs: 6103-I2-2 sends the request to human review."""
    headers = tokens.agency_official("DOJ-FBI", "fbi-acting-director")
    answer: dict[str, Any] = client.post(LOOKUPS, json=sc.fbi_i2(), headers=headers).json()
    assert answer["outcome"] == "pending_review"
    return answer


@pytest.mark.parametrize(
    "raw",
    [
        b'{"action": "deny", "action": "approve", "note": "Designation verified."}',
        b'{"action": "approve", "note": "Designation verified.\\u202e"}',
        b'{"action": "approve", "note": "Designation\\nverified."}',
    ],
    ids=["duplicate-action", "bidi-override", "newline"],
)
def test_refused_review_action_settles_nothing(
    client: TestClient, tokens: Tokens, raw: bytes
) -> None:
    answer = _pending_review(client, tokens)
    url = f"/v1/reviews/{answer['decision_id']}/TP-1"
    size = _log(client).size()
    officer = tokens.staff("disclosure_officer")
    resp = client.post(url, content=raw, headers={**officer, "Content-Type": JSON})
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    assert _log(client).size() == size
    queue = client.get("/v1/reviews", headers=tokens.staff("disclosure_officer")).json()
    assert answer["decision_id"] in {i["decision_id"] for i in queue["items"]}  # still pending
    ok = client.post(
        url,
        json={"action": "deny", "note": "Checked."},
        headers=tokens.staff("disclosure_officer"),
    )
    assert ok.status_code == 200, ok.text


def test_refused_body_leaves_no_personal_data_in_the_request_log(
    client: TestClient, tokens: Tokens
) -> None:
    body = sc.fbi_i2()
    body["subjects"][0]["name"]["last"] = "Rivera\u200b"
    with capture_logs() as logs:
        _refused(client, tokens, json.dumps(body), 422)
    completed = [e for e in logs if e["event"] == "request.completed"]
    assert [e["status"] for e in completed] == [422]
    for secret in PERSONAL:
        assert secret not in repr(logs)
