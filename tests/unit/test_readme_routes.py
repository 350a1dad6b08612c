"""The README's HTTP API table names every route the app serves under /api/v1, and no route it
does not serve; its example of OSDM's structured review is a body the route accepts.

A row's first cell lists routes in backticks: `METHOD /api/v1/path`, or `METHOD …/rest` (or
`…/rest`, the method of the route before) for a path that shares a leading part with the row's
first path. Path parameters match whatever their names (`{id}` for `{probe_id}`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi.routing import APIRoute

from frsgate.api.app import ROUTERS
from frsgate.api.routes.queues import ReviewIn
from frsgate.domain import ReviewStatus

README = Path(__file__).resolve().parents[2] / "README.md"
HEADER = "| route | what it does |"
TOKEN = re.compile(r"`(?:([A-Z]+) )?([^`]+)`")
PARAMETER = re.compile(r"\{[^}]*\}")

Route = tuple[str, str]  # (method, path with parameters as "{}")


def _normal(path: str) -> str:
    return PARAMETER.sub("{}", path)


def served() -> set[Route]:
    return {
        (method, _normal(route.path))
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute) and route.path.startswith("/api/v1/")
        for method in route.methods
    }


def _rows(text: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index(HEADER) + 2  # past the header and its rule
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append(line.split(" | ", 1)[0])
    return rows


def _resolve(suffix: str, first: str, candidates: set[Route], method: str) -> Route | None:
    """`…/suffix` in a row whose first path is `first`: the served route whose path is a
    leading part of `first` (whole segments) followed by `/suffix`."""
    for served_method, path in candidates:
        if served_method != method or not path.endswith(suffix):
            continue
        lead = path[: -len(suffix)]
        if first == lead or first.startswith(lead + "/"):
            return (method, path)
    return None


def documented(text: str, candidates: set[Route]) -> tuple[set[Route], list[str]]:
    """The routes the table names, and the tokens that name no served route."""
    found: set[Route] = set()
    unknown: list[str] = []
    for cell in _rows(text):
        method, first = "", ""
        for given, raw in TOKEN.findall(cell):
            method = given or method
            if raw.startswith("…"):
                route = _resolve(_normal(raw[1:]), first, candidates, method)
            else:
                first = _normal(raw)
                route = (method, first)
            if route is None or route not in candidates:
                unknown.append(f"{given or method} {raw}")
            else:
                found.add(route)
    return found, unknown


def test_the_readme_names_every_served_route() -> None:
    routes = served()
    found, unknown = documented(README.read_text(), routes)
    assert unknown == [], f"the README names routes the app does not serve: {unknown}"
    missing = sorted(f"{m} {p}" for m, p in routes - found)
    assert missing == [], f"the README's API table lacks: {missing}"


def test_the_check_finds_a_missing_and_a_made_up_route() -> None:
    routes = {("GET", "/api/v1/a/{}"), ("POST", "/api/v1/a/{}/b"), ("DELETE", "/api/v1/c")}
    table = "\n".join([
        HEADER, "| --- | --- |",
        "| `GET /api/v1/a/{id}`, `POST …/{id}/b` | two |",
        "| `PATCH /api/v1/nowhere` | made up |",
        "",
    ])  # fmt: skip
    found, unknown = documented(table, routes)
    assert found == {("GET", "/api/v1/a/{}"), ("POST", "/api/v1/a/{}/b")}
    assert unknown == ["PATCH /api/v1/nowhere"]


def test_the_review_example_is_a_body_the_route_accepts() -> None:
    text = README.read_text()
    after = text.split("The body of `POST /api/v1/providers/{id}/review`", 1)[1]
    example = json.loads(after.split("```json\n", 1)[1].split("```", 1)[0])
    statement = ReviewIn.model_validate(example).statement()
    assert statement.decision is ReviewStatus.approved
    assert statement.terms is not None
    assert statement.accuracy_evidence
