"""The auditor pages in a real browser: Debian's Chromium driven by Playwright.

The gateway is the real one (``gateway serve`` on a free loopback port, its own
OPA child, SQLite), fed with the demo taxpayers and a set of lookups from the
policy scenarios, so that the pages have allowed, denied and pending decisions
and a review to show. Chromium is launched by its executable path
(``GATEWAY_TEST_CHROMIUM``, default ``/usr/bin/chromium``, installed by
``make setup`` through ``scripts/ensure-chromium.sh``); Playwright's own browser
downloads are never used.

Screenshots go to ``.gateway/artifacts/browser/`` (printed at the end of the
run); with ``GATEWAY_UPDATE_DOCS_SCREENSHOT=1`` the dashboard's is also copied
to ``docs/auditor-dashboard.png`` for the README.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from gateway.auth.keys import GATEWAY_KEY_NAME, KeyStore
from gateway.auth.registry import Registry
from gateway.auth.tokens import StaffRole, mint_token
from tests import scenarios as sc
from tests.conftest import REPO
from tests.e2e.served import gateway_env, served
from tests.support import official_for

CHROMIUM = Path(os.environ.get("GATEWAY_TEST_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = REPO / ".gateway" / "artifacts" / "browser"
DOCS_SCREENSHOT = REPO / "docs" / "auditor-dashboard.png"
MAX_SUBJECTS = 5
"""Scenarios with more subjects (the bulk ones) are left out: they add minutes, not pages."""


@dataclass(frozen=True)
class Served:
    """The running gateway and what was done to it before the browser came."""

    url: str
    home: Path
    audience: str
    decisions: dict[str, str]
    """decision_id → outcome of every lookup sent."""
    reviewed: str
    """A decision a disclosure officer approved."""

    def token(self, role: StaffRole, subject: str | None = None) -> str:
        """A token for a registered staff member (by default the first with ``role``)."""
        return mint_token(
            KeyStore(self.home / "keys"),
            issuer=GATEWAY_KEY_NAME,
            subject=Registry.load(REPO / "policies").staff_id_for(role, subject),
            audience=self.audience,
            now=datetime.now(UTC),
            lifetime=timedelta(minutes=5),
            role=role,
        )

    def agency_token(self, agency: str, official: str) -> str:
        return mint_token(
            KeyStore(self.home / "keys"),
            issuer=agency,
            subject=official,
            audience=self.audience,
            now=datetime.now(UTC),
        )


def _lookups(url: str, gw: Served) -> dict[str, str]:
    """Every small scenario without a court order, as its agency would send it; the
    first that goes to review is sent again about another taxpayer, so that one can be
    approved and one still waits."""
    decided: dict[str, str] = {}
    wanted = [
        s
        for s in sc.scenarios()
        if not s.body.get("court_order")
        and len(s.body.get("subjects", [])) <= MAX_SUBJECTS
        and s.delivery == "once"
        and not s.known_gap
    ]
    again = next(s for s in wanted if s.outcome == "pending_review")
    again_body = sc.about(again.body, sc.CHEN)  # another taxpayer: not a GW-3b duplicate
    again_body["request_id"] = f"{again.body['request_id']}-again"
    for agency, role, official, body in [
        *((s.agency, s.role, s.official, s.body) for s in wanted),
        (again.agency, again.role, again.official, again_body),
    ]:
        signer = official or official_for(agency, role)
        resp = httpx.post(
            f"{url}/v1/address-lookups",
            json=body,
            headers={"Authorization": f"Bearer {gw.agency_token(agency, signer)}"},
            timeout=30,
        )
        assert resp.status_code == 200, resp.text
        answer: dict[str, Any] = resp.json()
        decided[answer["decision_id"]] = answer["outcome"]
    return decided


def _approve_one(url: str, gw: Served) -> str:
    """A disclosure officer approves the first pending item: a review leaf to show."""
    officer = {"Authorization": f"Bearer {gw.token('disclosure_officer')}"}
    queue = httpx.get(f"{url}/v1/reviews", headers=officer, timeout=30)
    assert queue.status_code == 200, queue.text
    # one officer's approval releases only an item with no court notice that touches
    # neither DHS nor an injunction rule (the two-person rule)
    items = [
        i for i in queue.json()["items"] if not i["two_person_rule"] and not i["court_notices"]
    ]
    assert items, "no scenario went to review"
    item = items[0]
    officer = {"Authorization": f"Bearer {gw.token('disclosure_officer')}"}
    done = httpx.post(
        f"{url}/v1/reviews/{item['decision_id']}/{item['ref']}",
        json={"action": "approve", "note": "delegation verified by phone"},
        headers=officer,
        timeout=30,
    )
    assert done.status_code == 200, done.text
    decision_id: str = item["decision_id"]
    return decision_id


@pytest.fixture(scope="session")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("browser-gateway")
    env = gateway_env(home)
    never_logged = (sc.RIVERA_TIN, sc.RIVERA["address"]["line1"])
    with served(env, never_logged=never_logged) as url:
        gw = Served(url, home, "taxpayer-gateway", {}, "")
        decisions = _lookups(url, gw)
        assert {"allowed", "denied", "pending_review"} <= set(decisions.values()), decisions
        reviewed = _approve_one(url, gw)
        yield Served(url, home, gw.audience, decisions, reviewed)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing: `make setup` installs Debian's chromium package"
            " (scripts/ensure-chromium.sh, as root)"
        )
    b = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
    # the browser that answers is the Debian package's, not one Playwright brought along
    debian = subprocess.run(
        [str(CHROMIUM), "--version"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert b.version in debian, (b.version, debian)
    yield b
    b.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile per test, with JavaScript off: the pages must not need it."""
    ctx = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}, locale="en-US"
    )
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture(scope="session")
def artifacts() -> Iterator[Path]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield ARTIFACTS
    print(f"\nbrowser screenshots: {ARTIFACTS}")


def screenshot(page: Page, artifacts: Path, name: str) -> Path:
    path = artifacts / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if name == "dashboard" and os.environ.get("GATEWAY_UPDATE_DOCS_SCREENSHOT") == "1":
        shutil.copyfile(path, DOCS_SCREENSHOT)
    return path


def sign_in(page: Page, gateway: Served, token: str) -> None:
    page.goto(f"{gateway.url}/audit/sign-in")
    page.get_by_label("Auditor token").fill(token)
    page.get_by_role("button", name="Sign in").click()
