"""Every page of the console each demo role can reach from its navigation, and the sign-in page,
in Chromium: no serious or critical axe-core violation (WCAG 2.1 AA), no Content-Security-Policy
violation, a screenshot of each in docs/console/, and the keyboard reaching main content first."""

from __future__ import annotations

import pytest
from browser_kit import ROLE_OF, ConsoleBrowser, page_name
from playwright.sync_api import Page

pytestmark = pytest.mark.slow

SWEPT = ("alice", "sam", "erin", "olga", "ivan", "otto", "ada")


def nav_paths(page: Page) -> list[str]:
    """The main navigation's links, in order, home first."""
    hrefs: list[str] = page.locator("nav[aria-label='Main'] a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    return list(dict.fromkeys(hrefs))


def test_sign_in_page_signed_out(console: ConsoleBrowser) -> None:
    page = console.anonymous()
    console.visit(page, "/console/sign-in", "signed-out", "sign-in")
    assert page.get_by_role("heading", level=1).count() == 1


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(console: ConsoleBrowser) -> None:
    page = console.sign_in("alice")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"


def test_wrong_username_is_announced(console: ConsoleBrowser) -> None:
    page = console.anonymous()
    page.goto("/console/sign-in")
    page.get_by_label("Username").fill("nobody-such")
    page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    assert "No active user" in alert.inner_text()
    console.check(page, "signed-out", "sign-in-refused")


@pytest.mark.parametrize("username", SWEPT)
def test_every_page_of_the_role(console: ConsoleBrowser, username: str) -> None:
    role = ROLE_OF[username]
    page = console.sign_in(username)
    console.check(page, role, "home")
    paths = nav_paths(page)
    assert paths[0] == "/console/"
    for path in paths[1:]:
        console.visit(page, path, role, page_name(path))
        assert page.get_by_role("heading", level=1).count() == 1, f"{path}: one <h1> per page"
    console.send(page, page.get_by_role("button", name="Sign out"))
    assert page.url.endswith("/console/sign-in")
    page.goto("/console/")
    assert "/console/sign-in" in page.url, "signed out: home asks to sign in again"
