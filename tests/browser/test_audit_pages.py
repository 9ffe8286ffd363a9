"""An auditor's tour of the pages in Chromium, with JavaScript off throughout.

Each test signs in with a fresh auditor token (tokens are single-use) in a fresh
browser profile, as a person would: typing into labelled fields and pressing
buttons found by their accessible names. The browser profile has JavaScript
disabled, so every step also proves the pages work without it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from gateway.web.sessions import SESSION_COOKIE
from tests import scenarios as sc
from tests.browser.conftest import Served, screenshot, sign_in

pytestmark = pytest.mark.browser


def _session_cookie(context: BrowserContext) -> dict[str, object] | None:
    for cookie in context.cookies():
        if cookie.get("name") == SESSION_COOKIE:
            return dict(cookie)
    return None


def _values(bars: Locator) -> list[int]:
    return [int(bars.nth(i).get_attribute("data-value") or "0") for i in range(bars.count())]


def _column(table: Locator, header: str) -> list[str]:
    """The text of one column of a table, found by its header."""
    headers = [" ".join(h.split()) for h in table.locator("thead th").all_text_contents()]
    index = headers.index(header)
    rows = table.locator("tbody tr")
    return [rows.nth(i).locator("td, th").nth(index).inner_text() for i in range(rows.count())]


def test_an_auditor_signs_in_and_the_dashboard_charts_show_the_decisions(
    page: Page, context: BrowserContext, gateway: Served, artifacts: Path
) -> None:
    sign_in(page, gateway, gateway.token("auditor"))
    expect(page).to_have_url(f"{gateway.url}/audit/")
    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()
    expect(page.get_by_text("Signed in as auditor-okoye")).to_be_visible()
    expect(page.locator("svg[role=img]")).to_have_count(4)
    for chart_id, title in [
        ("chart-over-time", "Decisions per day by final outcome"),
        ("chart-top-rules", "Top rules"),
        ("chart-denials", "Denied subjects by agency"),
        ("chart-backlog", "Review backlog"),
    ]:
        chart = page.locator(f"svg#{chart_id}")
        expect(chart).to_have_attribute("aria-labelledby", f"{chart_id}-title {chart_id}-desc")
        assert title in (chart.locator(f"#{chart_id}-title").text_content() or "")
    # every request sent today is one stacked segment's worth of the over-time chart
    assert sum(_values(page.locator("svg#chart-over-time rect.bar"))) == len(gateway.decisions)
    denied = sum(1 for outcome in gateway.decisions.values() if outcome == "denied")
    assert sum(_values(page.locator("svg#chart-denials rect.bar"))) >= denied > 0
    assert _values(page.locator("svg#chart-top-rules rect.bar"))[0] > 0
    assert sum(_values(page.locator("svg#chart-backlog rect.bar"))) > 0
    expect(page.locator("#backlog")).to_contain_text("Subjects waiting for a disclosure officer")
    cookie = _session_cookie(context)
    assert cookie is not None
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["secure"] is False  # development: plain HTTP on loopback
    lifetime = float(str(cookie["expires"])) - datetime.now(UTC).timestamp()
    assert 14 * 60 < lifetime <= 15 * 60
    print(f"dashboard: {screenshot(page, artifacts, 'dashboard')}")


def test_an_auditor_filters_denials_citing_inj_1_and_opens_one_with_a_verified_proof(
    page: Page, gateway: Served, artifacts: Path
) -> None:
    sign_in(page, gateway, gateway.token("auditor"))
    page.get_by_role("link", name="Decisions", exact=True).click()
    page.get_by_label("Rule").fill("INJ-1")
    page.get_by_label("Final outcome").select_option("denied")
    page.get_by_role("button", name="Search").click()
    assert "rule=INJ-1" in page.url
    assert "outcome=denied" in page.url
    results = page.locator("table#results")
    outcomes = _column(results, "Final outcome")
    assert outcomes
    assert all(o.startswith("denied") for o in outcomes)
    assert all("INJ-1" in rules for rules in _column(results, "Rules"))
    screenshot(page, artifacts, "decisions-inj-1")
    export = page.get_by_role("link", name="CSV")
    assert "rule=INJ-1" in (export.get_attribute("href") or "")

    results.locator("tbody tr").first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Decision")
    expect(page.locator("#proof-badge")).to_have_text("✔ Proof verified")
    rules = page.locator("table#rules")
    expect(rules.get_by_role("rowheader", name="INJ-1", exact=True)).to_be_visible()
    citation = rules.locator("tr", has=page.get_by_role("rowheader", name="INJ-1", exact=True))
    assert citation.locator("td").nth(2).inner_text() not in ("", "—")  # the citation
    proof = page.locator("#proof")
    expect(proof).to_contain_text("Root (hex)")
    assert len(proof.locator("dd").nth(2).inner_text().strip()) == 64
    screenshot(page, artifacts, "decision")


def test_a_reviewed_decision_shows_the_officers_action(
    page: Page, gateway: Served, artifacts: Path
) -> None:
    sign_in(page, gateway, gateway.token("auditor"))
    page.goto(f"{gateway.url}/audit/decisions/{gateway.reviewed}")
    reviews = page.locator("table#reviews")
    assert _column(reviews, "Action") == ["approve"]
    assert _column(reviews, "Officer") == ["officer-harper"]
    expect(page.locator("#proof-badge")).to_have_text("✔ Proof verified")


def test_a_taxpayer_accounting_is_asked_for_in_a_form_and_the_tin_stays_out_of_the_url(
    page: Page, gateway: Served, artifacts: Path
) -> None:
    sign_in(page, gateway, gateway.token("auditor"))
    page.get_by_role("link", name="Taxpayer accounting").click()
    page.get_by_label("Taxpayer identification number").fill(sc.RIVERA_TIN)
    page.get_by_role("button", name="Show accounting").click()
    assert page.url == f"{gateway.url}/audit/accounting"
    assert sc.RIVERA_TIN.replace("-", "") not in page.url.replace("-", "")
    table = page.locator("table#accounting")
    outcomes = _column(table, "Final outcome")
    assert any(o.startswith("disclosed") for o in outcomes)
    assert any(o.startswith("denied") for o in outcomes)
    assert all(agency for agency in _column(table, "Agency"))
    # the sealed input was opened on the server: recipients and requested fields are named
    assert any("Special Agent" in r for r in _column(table, "Recipients"))
    assert any("last_known_address" in f.lower() for f in _column(table, "Fields requested"))
    expect(page.locator("#accounting-summary")).to_contain_text("disclosure")
    screenshot(page, artifacts, "accounting")


def test_the_summary_report_counts_every_request_of_the_period(
    page: Page, gateway: Served, artifacts: Path
) -> None:
    sign_in(page, gateway, gateway.token("auditor"))
    page.get_by_role("link", name="Summary report").click()
    first = page.locator("table").first
    assert _column(first, "Requests") == [str(len(gateway.decisions))]
    expect(page.get_by_role("heading", name="By agency")).to_be_visible()
    screenshot(page, artifacts, "summary")


@pytest.mark.parametrize("role", ["disclosure_officer", "operator"])
def test_a_token_that_is_not_an_auditors_opens_no_session(
    page: Page, context: BrowserContext, gateway: Served, role: str
) -> None:
    sign_in(page, gateway, gateway.token(role))  # type: ignore[arg-type]
    expect(page.get_by_role("alert")).to_contain_text("for auditors only")
    assert _session_cookie(context) is None
    page.goto(f"{gateway.url}/audit/decisions")
    expect(page).to_have_url(f"{gateway.url}/audit/sign-in")


def test_signing_out_ends_the_session_in_the_browser(
    page: Page, context: BrowserContext, gateway: Served
) -> None:
    sign_in(page, gateway, gateway.token("auditor"))
    assert _session_cookie(context) is not None
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{gateway.url}/audit/sign-in")
    assert _session_cookie(context) is None
    page.goto(f"{gateway.url}/audit/")
    expect(page).to_have_url(f"{gateway.url}/audit/sign-in")


def test_the_pages_run_no_script_and_load_nothing_from_elsewhere(
    context: BrowserContext, gateway: Served
) -> None:
    """With JavaScript off and every request watched: nothing leaves the gateway's origin."""
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    sign_in(page, gateway, gateway.token("auditor"))
    for path in ("/audit/", "/audit/decisions", "/audit/summary", "/audit/accounting"):
        page.goto(f"{gateway.url}{path}")
        assert page.locator("script").count() == 0
    assert requested
    assert all(url.startswith(gateway.url + "/audit/") for url in requested), requested
