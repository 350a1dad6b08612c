"""Mount the console on the service's app: its sessions, its pages, its static files.

The console lives under /console (the API keeps /api/v1); `/` sends a browser there. Static
files are a fixed table of the package's own files, never a directory listing.
"""

from __future__ import annotations

from datetime import timedelta
from importlib import resources
from types import ModuleType

from fastapi import FastAPI
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from frsgate.services.oidc_signin import OidcSignIn
from frsgate.services.runtime import Runtime
from frsgate.services.tokens import TokenVerifier
from frsgate.services.web_sessions import SessionStore
from frsgate.web import pages
from frsgate.web.render import NavItem
from frsgate.web.security import CONSOLE_PREFIX, console_headers

STATIC_FILES = {
    "htmx.min.js": ("htmx-2.0.11.min.js", "text/javascript"),
    "console.css": ("console.css", "text/css"),
    "htmx-LICENSE.txt": ("htmx-LICENSE.txt", "text/plain"),
}


def _static(name: str) -> bytes:
    return resources.files("frsgate.web").joinpath("static", name).read_bytes()


def install_console(app: FastAPI, runtime: Runtime, verifier: TokenVerifier) -> None:
    settings = runtime.settings
    app.state.console_sessions = SessionStore(
        runtime.engine,
        idle=timedelta(minutes=settings.web_idle_minutes),
        absolute=timedelta(hours=settings.web_absolute_hours),
    )
    app.state.console_oidc = OidcSignIn(settings, verifier) if settings.oidc_issuer else None
    modules: tuple[ModuleType, ...] = pages.MODULES
    nav: list[NavItem] = [item for module in modules for item in getattr(module, "NAV", ())]
    app.state.console_nav = nav
    app.middleware("http")(console_headers)
    for module in modules:
        app.include_router(module.router)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(CONSOLE_PREFIX + "/", status_code=303)

    files = {name: (_static(file), kind) for name, (file, kind) in STATIC_FILES.items()}

    @app.get(CONSOLE_PREFIX + "/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name not in files:
            raise StarletteHTTPException(status_code=404)
        body, kind = files[name]
        return Response(body, media_type=kind, headers={"Cache-Control": "max-age=3600"})
