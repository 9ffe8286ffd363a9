"""/docs in a real browser with every other host cut off: Swagger UI renders the API
document from the gateway's own files (the fastapi-offline package), fetching nothing
from anywhere else."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Route

from tests.e2e.served import gateway_env, served

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def docs_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("docs-gateway")
    with served(gateway_env(home), never_logged=()) as url:
        yield url


def test_docs_render_the_api_with_no_other_host(
    browser: Browser, docs_gateway: str, artifacts: Path
) -> None:
    own = urlsplit(docs_gateway).netloc
    elsewhere: list[str] = []

    def only_own_host(route: Route) -> None:
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    ctx = browser.new_context(java_script_enabled=True, viewport={"width": 1280, "height": 900})
    try:
        ctx.route("**/*", only_own_host)
        page = ctx.new_page()
        page.goto(f"{docs_gateway}/docs")
        lookup = page.locator(".opblock-post .opblock-summary-path", has_text="/v1/address-lookups")
        lookup.first.wait_for(timeout=30_000)
        assert page.locator(".opblock").count() >= 10
        page.locator("button.authorize").first.wait_for()  # the bearer scheme is offered
        page.screenshot(path=str(artifacts / "api-docs.png"), full_page=False)
    finally:
        ctx.close()
    assert elsewhere == []
