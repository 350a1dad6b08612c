"""The console in a real browser: a demo gateway (one per test module) beside the sandbox FRS,
on the backend under test, driven by Playwright in Debian's Chromium (never a downloaded one).

Without /usr/bin/chromium every browser test skips with a reason saying how to install it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

# The functional tests' harness (a running gateway, the sandbox FRS) is shared, not copied.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "functional"))

from browser_kit import CHROMIUM, ConsoleBrowser
from harness import Gateway, Sandbox, running_gateway

from frsgate.connectors.sandbox import create_sandbox_app
from frsgate.connectors.serve import serve_in_thread


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium from the system (apt), shared by one module's tests. Not by the whole
    session: Playwright's sync API keeps an event loop running in the main thread until it
    stops, and the tests collected after these (`asyncio.run` in tests/functional) need none."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"the browser tests need Debian's Chromium at {CHROMIUM}: apt-get install chromium"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def browser_sandbox() -> Iterator[Sandbox]:
    app = create_sandbox_app(seed=7, warm=True)
    with serve_in_thread(app) as url:
        yield Sandbox(url=url, app=app)


@pytest.fixture(scope="module")
def gateway(
    browser: Browser,
    tmp_path_factory: pytest.TempPathFactory,
    module_database_url: str,
    browser_sandbox: Sandbox,
) -> Iterator[Gateway]:
    """One demo gateway for a whole module (the browser comes first: without it, skip before
    anything starts)."""
    home = tmp_path_factory.mktemp("gateway") / "home"
    with running_gateway(home, module_database_url, browser_sandbox.url) as gw:
        yield gw


@pytest.fixture(scope="module")
def console(browser: Browser, gateway: Gateway) -> Iterator[ConsoleBrowser]:
    """Opens one browser context (one session) per user signed in; closes them all after."""
    with ConsoleBrowser(browser, gateway.url) as driver:
        yield driver
