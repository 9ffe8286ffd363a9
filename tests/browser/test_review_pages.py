"""A disclosure officer's morning in Chromium, JavaScript off: settle a batch from the page.

A gateway of its own (``gateway serve``, real OPA, SQLite), so that what the
officer settles here changes nothing the auditor pages' tests count. Its queue:
twenty-five subjects of one FBI request signed by an Acting Director (6103-I2-2,
one officer each; the five scenario taxpayers and twenty more imported for this
test) and one DHS request under a court order (INJ-3: a court notice to file
first, and two officers). The issue's measure: an officer settles a batch of 25
from the page, with context, in a few minutes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests import scenarios as sc
from tests.browser.conftest import Served, screenshot
from tests.e2e.served import cli, gateway_env, served

pytestmark = pytest.mark.browser

FIRST_NAMES = ["Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Harper", "Indigo", "Jules"]
LAST_NAMES = ["Abernathy", "Brightwater", "Calloway", "Dunmore", "Eastwick", "Fairbanks"]


def _imported(k: int) -> sc.Person:
    """A taxpayer of this test's own, at an address of their own (no household flag)."""
    return sc.Person(
        f"321-54-{1000 + k:04d}",
        FIRST_NAMES[k % len(FIRST_NAMES)],
        None,
        f"{LAST_NAMES[k % len(LAST_NAMES)]}-{k}",
        {
            "line1": f"{100 + k} Juniper Ct",
            "line2": None,
            "city": "Baltimore",
            "state": "MD",
            "zip": "21201",
        },
    )


EXTRA = [_imported(k) for k in range(20)]
PEOPLE = [sc.OKAFOR, sc.WHITFIELD, sc.OBRIEN, sc.CHEN, sc.NUNEZ, *EXTRA]
BATCH = len(PEOPLE)


def _record(p: sc.Person) -> dict[str, Any]:
    """The datastore's record of an imported taxpayer (the demo file's shape)."""
    return {
        "tin": p.tin,
        "tin_type": "SSN",
        "name": {"first": p.first, "middle": p.middle, "last": p.last},
        "date_of_birth": "1980-01-01",
        "addresses": [
            {**p.address, "tax_year": year, "source": "form_1040", "taxpayer_supplied": True}
            for year in (2023, 2024)
        ],
        "returns": [
            {
                "tax_year": year,
                "filing_status": "single",
                "agi": 50_000,
                "employer": None,
                "bank_account": None,
            }
            for year in (2023, 2024)
        ],
        "flags": {"confidential_informant": False, "tax_investigation_impairment": False},
    }


def _post(url: str, path: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
    resp = httpx.post(
        f"{url}{path}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert resp.status_code in (200, 201), resp.text
    answer: dict[str, Any] = resp.json()
    return answer


@pytest.fixture(scope="module")
def queue_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("review-gateway")
    never_logged = tuple(p.tin for p in PEOPLE)
    extra = home / "extra.jsonl"
    extra.write_text("".join(json.dumps(_record(p)) + "\n" for p in EXTRA))
    env = gateway_env(home)
    with served(env, never_logged=never_logged) as url:
        cli(env, "store", "import", str(extra))
        gw = Served(url, home, "taxpayer-gateway", {}, "")
        body = sc.fbi_i2()
        subjects = []
        for k, person in enumerate(PEOPLE, start=1):
            s = sc.about(body, person)["subjects"][0]
            s["ref"] = f"TP-{k}"
            s["specific_reason"] = f"Seen by witness {k} beside the getaway car on 12 Jan 2026."
            subjects.append(s)
        body["subjects"] = subjects
        fbi = _post(
            url, "/v1/address-lookups", gw.agency_token("DOJ-FBI", "fbi-acting-director"), body
        )
        assert fbi["outcome"] == "pending_review"
        dhs_body = sc.fbi_i1()
        for r in dhs_body["recipients"]:
            r["employer_agency"] = "DHS"
        _post(
            url,
            "/v1/court-orders",
            gw.token("court_liaison"),
            sc.order_record(dhs_body["court_order"]),
        )
        dhs = _post(
            url, "/v1/address-lookups", gw.agency_token("DHS-CBP", "cbp-commissioner"), dhs_body
        )
        assert dhs["outcome"] == "pending_review"
        yield Served(
            url, home, gw.audience, {fbi["decision_id"]: "fbi", dhs["decision_id"]: "dhs"}, ""
        )


def _sign_in(page: Page, gw: Served) -> None:
    page.goto(f"{gw.url}/review/sign-in")
    page.get_by_label("Officer token").fill(gw.token("disclosure_officer"))
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{gw.url}/review/")


def test_an_officer_settles_a_batch_from_the_page_with_one_note(
    page: Page, queue_gateway: Served, artifacts: Path
) -> None:
    gw = queue_gateway
    _sign_in(page, gw)
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    expect(page.locator("article.item")).to_have_count(BATCH + 1)
    # what the policy saw, for each subject: its reason, identity and match facts
    expect(page.get_by_text("Seen by witness 3 beside the getaway car")).to_be_visible()
    expect(page.get_by_text(sc.OBRIEN.tin)).to_be_visible()
    expect(page.get_by_text("FBI-BA-2026-0142").first).to_be_visible()
    screenshot(page, artifacts, "review-queue")
    # only the FBI request's subjects
    page.get_by_label("Agency").fill("DOJ-FBI")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("article.item")).to_have_count(BATCH)
    started = time.monotonic()
    for k in range(1, BATCH + 1):
        page.get_by_label(f"Select TP-{k}", exact=True).check()
    page.get_by_label("Note for every selected item").fill(
        "Acting Director's designation confirmed with FBI OGC by phone."
    )
    page.get_by_role("button", name="Approve selected").click()
    results = page.locator("#result-table tbody tr")
    expect(results).to_have_count(BATCH)
    for i in range(BATCH):
        expect(results.nth(i).locator("td").nth(2)).to_have_text("approved")
    print(f"\n{BATCH} items settled from the page in {time.monotonic() - started:.2f} s")
    # the filter is kept, and nothing of the FBI request is left to settle
    expect(page.locator("#empty-queue")).to_be_visible()
    screenshot(page, artifacts, "review-results")
    for decision_id, kind in gw.decisions.items():
        if kind == "fbi":
            answer = httpx.get(
                f"{gw.url}/v1/address-lookups/{decision_id}",
                headers={"Authorization": f"Bearer {gw.agency_token('DOJ-FBI', 'fbi-director')}"},
                timeout=30,
            ).json()
            assert answer["outcome"] == "allowed"


def test_a_court_notice_is_filed_from_the_page_before_the_first_of_two_approvals(
    page: Page, queue_gateway: Served, artifacts: Path
) -> None:
    gw = queue_gateway
    _sign_in(page, gw)
    page.get_by_label("Agency").fill("DHS-CBP")
    page.get_by_role("button", name="Show").click()
    item = page.locator("article.item")
    expect(item).to_have_count(1)
    expect(item.get_by_text("Approval waits for: the court notice's filing")).to_be_visible()
    # approving first is refused, and the page says why
    page.get_by_label("Select TP-2002", exact=True).check()
    page.get_by_label("Note for every selected item").fill("Counsel signed off.")
    page.get_by_role("button", name="Approve selected").click()
    expect(page.locator("#result-table")).to_contain_text("refused (409)")
    item.get_by_label("Filed by").fill("A. Counsel, Office of Chief Counsel")
    when = (datetime.now(UTC) - timedelta(hours=26)).strftime("%Y-%m-%dT%H:%M")
    item.get_by_label("Filed at (UTC)").fill(when)
    item.get_by_label("Court", exact=True).fill("U.S. District Court for the District of Columbia")
    item.get_by_label("Reference").fill("1:25-cv-00457, ECF No. 88")
    item.get_by_role("button", name="Record filing").click()
    expect(page.get_by_text("Court-notice filing recorded")).to_be_visible()
    expect(page.get_by_text("Notice filed by A. Counsel")).to_be_visible()
    page.get_by_label("Select TP-2002", exact=True).check()
    page.get_by_label("Note for every selected item").fill("Counsel signed off.")
    page.get_by_role("button", name="Approve selected").click()
    expect(page.locator("#result-table")).to_contain_text("awaiting second approval")
    expect(page.get_by_text("first approved by officer-harper")).to_be_visible()
    screenshot(page, artifacts, "review-two-person")
