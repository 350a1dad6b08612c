"""The console's home page: who is signed in, and the pages their roles have."""

from __future__ import annotations

from typing import Annotated

from starlette.responses import Response

from frsgate.web.context import Console, page
from frsgate.web.routing import console_router

router = console_router()
NAV = ()


@router.get("/")
def home(console: Annotated[Console, page()]) -> Response:
    return console.render("home.html", title="Home")
