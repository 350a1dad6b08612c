"""Templates: one Jinja2 environment for the console, autoescaping everything it renders.

Pages are rendered from `frsgate/web/templates` (package data). Every page gets the signed-in
user, their navigation (only the pages their roles have), the session's CSRF token for its
forms, and the lead-only notice; a request from HTMX (`HX-Request`) gets only the block it
asked for where the template offers one (`partial`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from frsgate.domain import Role
from frsgate.domain.results import LEAD_ONLY_NOTICE as DOMAIN_LEAD_ONLY_NOTICE

# memo 4.D.2; shown beside every candidate, on screen and in print. It carries the notice the
# API, the connectors and the ROI entry carry, word for word, and says what must follow.
LEAD_ONLY_NOTICE = (
    f"Investigative lead only. {DOMAIN_LEAD_ONLY_NOTICE}. Corroborate it by means independent "
    "of the FRS before any enforcement action (memo 4.D.3)."
)


@dataclass(frozen=True, slots=True)
class NavItem:
    """One link of the navigation, shown to users holding `role`."""

    role: Role
    label: str
    path: str


def _when(value: datetime | str | None) -> str:
    """A timestamp as people read it: UTC, to the minute."""
    if value is None:
        return "—"
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        return parsed.strftime("%Y-%m-%d %H:%M UTC")
    return value.strftime("%Y-%m-%d %H:%M UTC")


def _words(value: str | None) -> str:
    """An enum value as words: "needs_approval" -> "needs approval"."""
    return (value or "").replace("_", " ")


environment = Environment(
    loader=PackageLoader("frsgate.web", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters["when"] = _when
environment.filters["words"] = _words
environment.globals["LEAD_ONLY_NOTICE"] = LEAD_ONLY_NOTICE


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The page `template` with `context` and the console's common values."""
    values: dict[str, Any] = {
        "request": request,
        "user": None,
        "nav": [],
        "csrf": "",
        "title": "",
        "flash": None,
        "partial": request.headers.get("HX-Request") == "true",
    }
    values.update(context)
    body = environment.get_template(template).render(values)
    return HTMLResponse(body, status_code=status_code, headers=headers)
