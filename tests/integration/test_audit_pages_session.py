"""Signing in to the auditor pages: only auditors, one-use tokens, strict cookies, CSRF.

In-process gateway on real OPA and SQLite: the pages touch the database only
through the token verifier and the audit service, which run the same code on
PostgreSQL in their own tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.audit.logkey import ensure_log_key
from gateway.audit.sealing import AuditKeys
from gateway.auth.keys import GATEWAY_KEY_NAME, KeyStore
from gateway.settings import Settings
from gateway.web.sessions import SESSION_COOKIE, SIGNIN_COOKIE
from tests import scenarios as sc
from tests.support import Tokens, make_settings, prepare_home, running_gateway, staff_id


@pytest.fixture
def settings(tmp_path: Path, opa_binary: Path) -> Settings:
    s = make_settings(tmp_path / "home", f"sqlite:///{tmp_path / 'gw.db'}", opa_binary)
    prepare_home(s)
    return s


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with running_gateway(settings) as c:
        yield c


@pytest.fixture
def tokens(settings: Settings) -> Tokens:
    return Tokens(settings)


def _bare(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def _sign_in_form(client: TestClient) -> str:
    page = client.get("/audit/sign-in")
    assert page.status_code == 200
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


def _sign_in(client: TestClient, token: str, **headers: str) -> tuple[int, dict[str, str], str]:
    csrf = _sign_in_form(client)
    resp = client.post(
        "/audit/sign-in",
        data={"csrf_token": csrf, "token": token},
        headers=headers,
        follow_redirects=False,
    )
    return resp.status_code, dict(resp.headers), resp.text


def _session_cookie_header(resp_headers: list[tuple[str, str]]) -> str:
    cookies = [v for k, v in resp_headers if k == "set-cookie" and v.startswith(SESSION_COOKIE)]
    assert len(cookies) == 1, cookies
    return cookies[0]


def test_an_auditor_token_opens_a_session_with_a_strict_short_lived_http_only_cookie(
    client: TestClient, tokens: Tokens
) -> None:
    csrf = _sign_in_form(client)
    resp = client.post(
        "/audit/sign-in",
        data={"csrf_token": csrf, "token": _bare(tokens.staff("auditor"))},
        follow_redirects=False,
    )
    assert resp.status_code == 303
    assert resp.headers["location"] == "/audit/"
    cookie = _session_cookie_header(resp.headers.multi_items())
    attrs = {a.strip().split("=")[0].lower(): a.strip() for a in cookie.split(";")[1:]}
    assert "httponly" in attrs
    assert attrs["samesite"].lower() == "samesite=strict"
    assert attrs["max-age"] == "Max-Age=900"
    assert attrs["path"] == "Path=/audit/"
    assert "secure" not in attrs  # development serves plain HTTP on loopback
    home = client.get("/audit/", follow_redirects=False)
    assert home.status_code == 200
    assert "Signed in as" in home.text


def test_cookies_are_secure_outside_development(tmp_path: Path, opa_binary: Path) -> None:
    prod = Settings(
        environment="production",
        home=tmp_path,
        database_url="postgresql+psycopg://gateway@127.0.0.1:1/none",
        opa_binary=opa_binary,
    )
    # Production reads provisioned keys and never makes its own: provision them first.
    KeyStore(prod.keys_dir).ensure(GATEWAY_KEY_NAME, demo=False)
    ensure_log_key(prod.keys_dir, prod.log_origin, demo=False)
    AuditKeys.load_or_create(prod.keys_dir, demo=False)
    assert create_app(prod).state.audit_pages.secure_cookies is True


@pytest.mark.parametrize("role", ["disclosure_officer", "operator", "court_liaison"])
def test_staff_who_are_not_auditors_are_refused_a_session(
    client: TestClient, tokens: Tokens, role: str
) -> None:
    status, headers, text = _sign_in(client, _bare(tokens.staff(role)))  # type: ignore[arg-type]
    assert status == 403
    assert "for auditors only" in text
    assert SESSION_COOKIE not in headers.get("set-cookie", "")
    assert client.get("/audit/", follow_redirects=False).status_code == 303


def test_an_agency_official_is_refused_a_session(client: TestClient, tokens: Tokens) -> None:
    status, headers, _ = _sign_in(client, _bare(tokens.agency("DOJ-FBI", "FBI_DIRECTOR")))
    assert status == 403
    assert SESSION_COOKIE not in headers.get("set-cookie", "")


def test_a_bad_or_reused_token_is_refused_without_echoing_it(
    client: TestClient, tokens: Tokens
) -> None:
    status, _, text = _sign_in(client, "not-a-jwt-at-all")
    assert status == 401
    assert "not-a-jwt-at-all" not in text
    token = _bare(tokens.staff("auditor"))
    assert _sign_in(client, token)[0] == 303
    client.cookies.clear()
    status, _, text = _sign_in(client, token)
    assert status == 401
    assert "already been used" in text


def test_sign_in_needs_the_form_served_to_this_browser(client: TestClient, tokens: Tokens) -> None:
    _sign_in_form(client)
    resp = client.post(
        "/audit/sign-in",
        data={"csrf_token": "forged", "token": _bare(tokens.staff("auditor"))},
        follow_redirects=False,
    )
    assert resp.status_code == 403
    assert SESSION_COOKIE not in resp.headers.get("set-cookie", "")
    client.cookies.delete(SIGNIN_COOKIE, path="/audit/")


def test_a_form_posted_from_another_site_is_refused(client: TestClient, tokens: Tokens) -> None:
    status, headers, text = _sign_in(
        client, _bare(tokens.staff("auditor")), **{"Sec-Fetch-Site": "cross-site"}
    )
    assert status == 403
    assert "<h1>Forbidden</h1>" in text
    assert SESSION_COOKIE not in headers.get("set-cookie", "")


def _signed_in(client: TestClient, tokens: Tokens) -> str:
    """Sign in; the session's CSRF token, read from the sign-out form."""
    assert _sign_in(client, _bare(tokens.staff("auditor")))[0] == 303
    page = client.get("/audit/")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


def test_sign_out_needs_the_session_csrf_token_and_then_ends_the_session(
    client: TestClient, tokens: Tokens
) -> None:
    csrf = _signed_in(client, tokens)
    refused = client.post("/audit/sign-out", data={"csrf_token": "x"}, follow_redirects=False)
    assert refused.status_code == 403
    assert client.get("/audit/", follow_redirects=False).status_code == 200
    done = client.post("/audit/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == "/audit/sign-in"
    assert client.get("/audit/", follow_redirects=False).status_code == 303


def test_a_stolen_cookie_stops_working_after_sign_out(client: TestClient, tokens: Tokens) -> None:
    csrf = _signed_in(client, tokens)
    stolen = client.cookies.get(SESSION_COOKIE)
    assert stolen
    client.post("/audit/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    client.cookies.set(SESSION_COOKIE, stolen, path="/audit/")
    assert client.get("/audit/", follow_redirects=False).status_code == 303


def test_pages_without_a_session_send_the_browser_to_sign_in(client: TestClient) -> None:
    for path in ("/audit/", "/audit/decisions", "/audit/summary", "/audit/accounting"):
        resp = client.get(path, follow_redirects=False)
        assert resp.status_code == 303, path
        assert resp.headers["location"] == "/audit/sign-in"


def test_pages_forbid_scripts_and_caching(client: TestClient) -> None:
    resp = client.get("/audit/sign-in")
    csp = resp.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "script-src" not in csp
    assert resp.headers["cache-control"] == "no-store"
    assert "<script" not in resp.text
    css = client.get("/audit/static/audit.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")


def test_form_bodies_are_held_to_wire_hygiene(client: TestClient) -> None:
    csrf = _sign_in_form(client)
    dup = client.post(
        "/audit/sign-in",
        content=f"csrf_token={csrf}&token=a&token=b",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert dup.status_code == 422
    ctl = client.post(
        "/audit/sign-in",
        content=f"csrf_token={csrf}&token=a%E2%80%AEb",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert ctl.status_code == 422
    as_json = client.post("/audit/sign-in", json={"csrf_token": csrf, "token": "a"})
    assert as_json.status_code == 415


def _lookup(client: TestClient, tokens: Tokens) -> str:
    body = sc.fbi_i2()
    resp = client.post(
        "/v1/address-lookups", json=body, headers=tokens.agency("DOJ-FBI", "FBI_DIRECTOR")
    )
    assert resp.status_code == 200, resp.text
    decision_id: str = resp.json()["decision_id"]
    return decision_id


def test_the_export_link_streams_the_search_as_csv_and_json_lines(
    client: TestClient, tokens: Tokens
) -> None:
    decision_id = _lookup(client, tokens)
    _signed_in(client, tokens)
    csv_resp = client.get("/audit/decisions/export.csv", params={"agency": "DOJ-FBI"})
    assert csv_resp.status_code == 200
    assert csv_resp.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_resp.headers["content-disposition"]
    lines = csv_resp.text.splitlines()
    assert lines[0].startswith("decision_id,position,log_index")
    assert any(line.startswith(decision_id) for line in lines[1:])
    jsonl = client.get("/audit/decisions/export.jsonl", params={"agency": "NO-SUCH"})
    assert jsonl.status_code == 200
    assert jsonl.text == ""
    assert client.get("/audit/decisions/export.xlsx").status_code == 404


def test_problems_are_html_pages_with_the_problem_status(
    client: TestClient, tokens: Tokens
) -> None:
    _signed_in(client, tokens)
    missing = client.get("/audit/decisions/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert "<h1>Not found</h1>" in missing.text
    bad_day = client.get("/audit/summary", params={"since": "yesterday"})
    assert bad_day.status_code == 422
    assert "YYYY-MM-DD" in bad_day.text
    bad_outcome = client.get("/audit/decisions", params={"outcome": "maybe"})
    assert bad_outcome.status_code == 422
    assert bad_outcome.headers["content-security-policy"].startswith("default-src 'none'")


def test_the_accounting_form_needs_the_csrf_token_and_answers_on_the_same_url(
    client: TestClient, tokens: Tokens
) -> None:
    _lookup(client, tokens)
    csrf = _signed_in(client, tokens)
    refused = client.post("/audit/accounting", data={"tin": sc.RIVERA_TIN})
    assert refused.status_code == 403
    assert "Jordan" not in refused.text
    shown = client.post("/audit/accounting", data={"tin": sc.RIVERA_TIN, "csrf_token": csrf})
    assert shown.status_code == 200
    assert str(shown.url).endswith("/audit/accounting")
    assert "1 disclosure;" in shown.text
    not_a_tin = client.post("/audit/accounting", data={"tin": "12345", "csrf_token": csrf})
    assert not_a_tin.status_code == 422
    assert "12345" not in not_a_tin.text


def test_an_unknown_address_under_audit_is_an_html_404(client: TestClient) -> None:
    resp = client.get("/audit/no-such-page")
    assert resp.status_code == 404
    assert resp.headers["content-type"].startswith("text/html")
    assert "no audit page at this address" in resp.text
    assert client.get("/audit/static/audit.css").status_code == 200


def test_looking_through_the_pages_is_itself_logged_without_the_tin(
    client: TestClient, tokens: Tokens
) -> None:
    _lookup(client, tokens)
    csrf = _signed_in(client, tokens)  # viewed the dashboard once
    client.post("/audit/accounting", data={"tin": sc.RIVERA_TIN, "csrf_token": csrf})
    log = client.app.state.services.decision_log  # type: ignore[attr-defined]
    size = log.size()
    records = [json.loads(e.body) for e in log.entries(0, size)]
    looks = [r for r in records if r["kind"] == "audit_access"]
    assert [(r["action"], r["channel"]) for r in looks] == [
        ("dashboard", "pages"),
        ("accounting", "pages"),
    ]
    assert {r["viewer"]["subject"] for r in looks} == {staff_id("auditor")}
    assert looks[-1]["taxpayer"]
    raw = b"".join(e.body for e in log.entries(0, size))
    assert sc.RIVERA_TIN.encode() not in raw
    assert sc.RIVERA_TIN.replace("-", "").encode() not in raw
