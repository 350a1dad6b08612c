"""Every console route is a signed-in page that declares what it decides, and every form post
passes the CSRF check: checked on the routes themselves, so a page added later without
`web.context.page` fails here rather than in a review."""

from __future__ import annotations

from fastapi.routing import APIRoute

from frsgate.domain import Role
from frsgate.web import pages
from frsgate.web.context import declared_page_actions

# Before a session exists: the sign-in pages and the identity provider's callback. Sign-out
# checks the session's token itself (it must work for a session already ended).
OPEN = {
    ("GET", "/console/sign-in"),
    ("POST", "/console/sign-in"),
    ("GET", "/console/sign-in/oidc"),
    ("GET", "/console/oidc/callback"),
    ("POST", "/console/sign-out"),
}
# Pages that decide nothing: the home page shows only the user's own navigation; the other two
# only redirect to the page that decides (a worklist's list, the last finished review period).
DECIDE_NOTHING = {
    ("GET", "/console/"),
    ("GET", "/console/examinations/open"),
    ("GET", "/console/log-review"),
}


def _routes() -> dict[tuple[str, str], tuple[object, ...] | None]:
    found: dict[tuple[str, str], tuple[object, ...] | None] = {}
    for module in pages.MODULES:
        for route in module.router.routes:
            assert isinstance(route, APIRoute)
            declared = [
                declared_page_actions(d.call) for d in route.dependant.dependencies if d.call
            ]
            actions = next((a for a in declared if a is not None), None)
            for method in route.methods:
                found[(method, route.path)] = actions
    return found


def test_every_console_route_is_a_page_or_part_of_signing_in() -> None:
    routes = _routes()
    assert set(routes) >= OPEN, "the sign-in routes moved"
    missing = sorted(key for key, actions in routes.items() if key not in OPEN and actions is None)
    assert not missing, f"console routes without page(...): {missing}"


def test_every_page_but_home_declares_the_actions_it_decides() -> None:
    undeclared = sorted(
        key for key, actions in _routes().items()
        if key not in OPEN and key not in DECIDE_NOTHING and not actions
    )  # fmt: skip
    assert not undeclared, f"console pages that declare no action: {undeclared}"


def test_there_are_pages_for_every_role() -> None:
    roles = {item.role for module in pages.MODULES for item in getattr(module, "NAV", ())}
    # A monitoring system's account reads /metrics only; it has no pages.
    assert roles >= set(Role) - {Role.metrics}
