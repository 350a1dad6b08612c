"""What the browser tests share: signing a user in (one browser context, so one session, per
user), visiting a page with its checks (no Content-Security-Policy violation, no serious or
critical axe-core violation), and writing each page's screenshot to docs/console/."""

from __future__ import annotations

import io
import os
import re
from importlib.resources import files
from pathlib import Path
from types import TracebackType
from typing import Any

from PIL import Image
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    Response,
)

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "console"
VIEWPORT = {"width": 1280, "height": 800}
# axe-core as axe-playwright-python ships it: read from the installed package, never a CDN.
AXE_SOURCE = (files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")
BLOCKING_IMPACTS = ("serious", "critical")

# The role each demo user's screenshots are named after.
ROLE_OF = {
    "alice": "agent",
    "aaron": "agent-lapsed",
    "sam": "supervisor",
    "sue": "supervisor-sue",
    "erin": "examiner",
    "olga": "osdm",
    "ivan": "igp",
    "otto": "opr",
    "ada": "admin",
}


def page_name(path: str) -> str:
    """A readable file name part for a console path: /console/reports/annual -> reports-annual."""
    rest = path.split("?", 1)[0].removeprefix("/console").strip("/")
    return re.sub(r"[^a-z0-9]+", "-", rest.lower()).strip("-") or "home"


def screenshot(page: Page, role: str, name: str) -> Path:
    """The whole page as docs/console/<role>-<name>.png, for a reviewer to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{role}-{name}.png"
    shot = Image.open(io.BytesIO(page.screenshot(full_page=True)))
    # A palette of 256 colours keeps the pages legible at about a third of the bytes.
    small = shot.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    # Written aside, then renamed: CI runs the suite on both backends at once, into one folder.
    partial = target.with_name(f".{target.name}.{os.getpid()}")
    small.save(partial, format="PNG")
    os.replace(partial, target)
    return target


def _describe(violation: dict[str, Any]) -> str:
    nodes = "; ".join(
        " ".join(str(t) for t in node.get("target", [])) for node in violation.get("nodes", [])
    )
    return f"{violation['id']} ({violation['impact']}): {violation['help']} — at {nodes}"


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the page's CSP does not govern: the
        # console's own policy stays as strict as in production.
        page.evaluate(AXE_SOURCE)
    results: dict[str, Any] = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']})"
    )
    violations: list[dict[str, Any]] = results["violations"]
    return violations


def assert_accessible(page: Page, where: str) -> None:
    """No axe-core violation of serious or critical impact on the page."""
    blocking = [v for v in axe_violations(page) if v.get("impact") in BLOCKING_IMPACTS]
    assert not blocking, f"accessibility violations on {where} ({page.url}):\n" + "\n".join(
        _describe(v) for v in blocking
    )


class ConsoleBrowser:
    """Users of the console, each in their own browser context (cookies, so session)."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.contexts: list[BrowserContext] = []
        self.csp_violations: list[str] = []

    def _new_page(self) -> Page:
        context = self.browser.new_context(base_url=self.base_url, viewport=VIEWPORT)  # type: ignore[arg-type]
        # Short waits: a page that does not come is a failure to read, not a minute to sit out.
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", self._on_console)
        return page

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    @staticmethod
    def send(page: Page, button: Locator) -> None:
        """Press a form's button and wait for the page the form leads to."""
        with page.expect_navigation():
            button.click()

    def anonymous(self) -> Page:
        """A browser nobody has signed in to."""
        return self._new_page()

    def sign_in(self, username: str) -> Page:
        """A new browser context signed in as `username` (the demo sign-in form), on home."""
        page = self._new_page()
        page.goto("/console/sign-in")
        page.get_by_label("Username").fill(username)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{self.base_url}/console/")
        return page

    def visit(
        self, page: Page, path: str, role: str, name: str | None = None, *, status: int = 200
    ) -> Response:
        """Open `path`, check its status, accessibility and CSP, and screenshot it."""
        response = page.goto(path)
        assert response is not None
        assert response.status == status, f"{path}: {response.status}"
        self.check(page, role, name or page_name(path))
        return response

    def check(self, page: Page, role: str, name: str) -> None:
        """The page as it is now: accessible, no CSP violation, and screenshotted."""
        page.wait_for_load_state("load")
        assert_accessible(page, f"{role} {name}")
        assert not self.csp_violations, "\n".join(self.csp_violations)
        screenshot(page, role, name)

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        self.contexts.clear()

    def __enter__(self) -> ConsoleBrowser:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
