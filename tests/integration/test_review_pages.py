"""The ``/review/`` pages in-process: officers only, CSRF on every form, the same service.

Real OPA and SQLite (the service beneath runs on PostgreSQL in
``test_review_workbench.py``); the browser itself is in ``tests/browser``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gateway.settings import Settings
from gateway.web.review_pages import SESSION_COOKIE
from tests.integration.test_review_workbench import HARPER, REF, _dhs_notice_item, _fbi_batch
from tests.support import Tokens, make_settings, prepare_home, running_gateway


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


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


def _sign_in(client: TestClient, headers: dict[str, str]) -> int:
    form = client.get("/review/sign-in")
    resp = client.post(
        "/review/sign-in",
        data={"csrf_token": _csrf(form.text), "token": headers["Authorization"][7:]},
        follow_redirects=False,
    )
    return resp.status_code


def test_only_disclosure_officers_get_a_session_under_review(
    client: TestClient, tokens: Tokens
) -> None:
    assert _sign_in(client, tokens.staff("auditor")) == 403
    assert client.get("/review/", follow_redirects=False).status_code == 303
    assert _sign_in(client, tokens.staff("disclosure_officer")) == 303
    assert client.cookies.get(SESSION_COOKIE)
    page = client.get("/review/")
    assert page.status_code == 200
    assert "Signed in as <strong>officer-harper</strong>" in page.text
    assert "script" not in page.headers["content-security-policy"]


def test_the_queue_page_shows_each_subjects_context_and_settles_a_selection_with_one_note(
    client: TestClient, tokens: Tokens
) -> None:
    answer = _fbi_batch(client, tokens, n=3)
    did = answer["decision_id"]
    assert _sign_in(client, tokens.staff("disclosure_officer")) == 303
    page = client.get("/review/").text
    for subject in answer["body"]["subjects"]:
        assert subject["specific_reason"] in page
        assert subject["tin"] in page
    assert answer["body"]["purpose"]["case_number"] in page
    assert "Special Agent Luis Ortega" in page
    assert "6103-I2-2" in page
    form = {
        "csrf_token": _csrf(page),
        "note": "Acting designation confirmed.",
        "action": "approve",
        "item-1": f"{did}/TP-1",
        "item-3": f"{did}/TP-3",
    }
    forged = client.post("/review/act", data={**form, "csrf_token": "nope"})
    assert forged.status_code == 403
    done = client.post("/review/act", data=form)
    assert done.status_code == 200
    results = done.text.split('id="result-table"')[1].split("</table>")[0]
    assert results.count("approved") == 2
    left = client.get("/v1/reviews", headers=tokens.staff("disclosure_officer")).json()["items"]
    assert [i["ref"] for i in left] == ["TP-2"]


def test_a_filing_recorded_from_the_page_lets_the_approval_through(
    client: TestClient, tokens: Tokens
) -> None:
    did = _dhs_notice_item(client, tokens)["decision_id"]
    assert _sign_in(client, tokens.staff("disclosure_officer")) == 303
    page = client.get("/review/").text
    assert "Court notice required" in page
    act = {"csrf_token": _csrf(page), "note": "ok", "action": "approve", "item-1": f"{did}/{REF}"}
    refused = client.post("/review/act", data=act).text
    assert "refused (409)" in refused
    assert "filing" in refused
    filed_at = (datetime.now(UTC) - timedelta(hours=30)).strftime("%Y-%m-%dT%H:%M")
    resp = client.post(
        "/review/filings",
        data={
            "csrf_token": _csrf(page),
            "decision_id": did,
            "filed_by": "A. Counsel",
            "filed_at": filed_at,
            "court": "U.S. District Court for the District of Columbia",
            "reference": "ECF No. 88",
        },
        follow_redirects=False,
    )
    assert resp.status_code == 303, resp.text
    page = client.get(resp.headers["location"]).text
    assert "Notice filed by A. Counsel" in page
    after = client.post("/review/act", data=act).text
    assert "awaiting second approval" in after  # the two-person rule: DHS recipients


def test_a_session_ends_when_its_officer_leaves_the_staff_registry(
    client: TestClient, tokens: Tokens
) -> None:
    assert _sign_in(client, tokens.staff("disclosure_officer")) == 303
    assert client.get("/review/").status_code == 200
    verifier = client.app.state.services.verifier  # type: ignore[attr-defined]
    registry = verifier.registry
    gone = dataclasses.replace(registry.staff[HARPER], status="inactive")
    verifier.use_registry(dataclasses.replace(registry, staff={**registry.staff, HARPER: gone}))
    resp = client.get("/review/", follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"] == "/review/sign-in"
