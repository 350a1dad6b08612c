"""The FastAPI application: routers under /api/v1, error mapping, logs and metrics.

Only liveness (/healthz) and readiness (/readyz), which say nothing but "ok", and the OpenAPI
document (/openapi.json, and Swagger UI at /docs) are reachable without a token; everything under
/api/v1 needs one, and /metrics a token of a monitoring account (role `metrics`): each read of
the metrics is decided (`metrics.read`) and recorded like any other read.

Swagger UI's script, style sheet and icon are served from the installed `fastapi_offline`
package, never from a CDN: agency networks are often offline, and a CDN would also learn who
reads the documentation. An unknown path or method answers in the API's own error shape.
"""

from __future__ import annotations

import gc
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from pathlib import Path
from typing import Annotated

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.exceptions import HTTPException as StarletteHTTPException

import frsgate
from frsgate.api.deps import requires
from frsgate.api.errors import install_error_handlers
from frsgate.api.limits import BodyLimit
from frsgate.api.observability import Metrics, request_middleware
from frsgate.api.routes import (
    admin_cases,
    admin_certifications,
    admin_providers,
    admin_users,
    approvals,
    disclosure,
    leads,
    ledger,
    log_format,
    log_review,
    policy,
    probes,
    queues,
    reports,
    review,
    roi,
    sharing,
    submissions,
)
from frsgate.policy.facts import Action
from frsgate.services.gate import Caller
from frsgate.services.monitoring import read_metrics
from frsgate.services.runtime import Runtime
from frsgate.services.tokens import TokenVerifier
from frsgate.web import install_console
from frsgate.web.routing import console_http_error, is_console_path

ROUTERS = (
    probes.router,
    submissions.router,
    review.router,
    approvals.router,
    queues.router,
    ledger.router,
    ledger.cases_router,
    policy.router,
    admin_users.router,
    admin_cases.router,
    admin_certifications.router,
    admin_providers.router,
    disclosure.router,
    leads.router,
    roi.router,
    sharing.router,
    reports.router,
    log_review.router,
    log_format.router,
)

DOCS_URL = "/docs"
DOCS_ASSETS_URL = "/docs/assets"
# Swagger UI 5 (which renders OpenAPI 3.1, the version FastAPI writes), as the package ships it.
DOCS_ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
# Only what /docs uses: the package also ships ReDoc, which the app does not offer, and whose
# bundle names a CDN; serving nothing else keeps everything served reviewable.
DOCS_ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon.png")


def create_app_in_worker() -> FastAPI:
    """The app of one `frsgate serve` worker process: its own runtime, from the environment,
    closed when the worker stops. Start-up recovery ran once, in the parent, before any worker
    started: a worker must never mistake another worker's dispatch in flight for a crash."""
    from frsgate.api.observability import configure_logging
    from frsgate.config import load_settings

    configure_logging()
    runtime = Runtime.build(load_settings())
    runtime.start_checkpointer()
    app = create_app(runtime, owns_runtime=True)
    tune_garbage_collector()
    return app


def tune_garbage_collector() -> None:
    """Call once start-up has loaded what lives as long as the process."""
    # Keep the start-up objects out of every later collection (a full pass rescans them all).
    gc.freeze()
    # A request allocates thousands of short-lived objects; collecting the youngest
    # generation every 700 allocations costs more than it frees here.
    gc.set_threshold(20_000, 20, 20)


def create_app(
    runtime: Runtime, *, verifier: TokenVerifier | None = None, owns_runtime: bool = False
) -> FastAPI:
    """The HTTP app over an open `runtime` (closed with the app only with `owns_runtime`)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        import anyio.to_thread

        # Routes are synchronous (database and fsync-bound); give them room to overlap so the
        # ledger's group commit can batch concurrent appends.
        anyio.to_thread.current_default_thread_limiter().total_tokens = 64
        try:
            yield
        finally:
            if owns_runtime:
                runtime.close()

    app = FastAPI(
        title="FRS Gate",
        version=frsgate.__version__,
        description=(
            "The accountable gateway for third-party facial recognition services. Every "
            "candidate is an investigative lead only — never a positive identification "
            "(memo 4.D.2)."
        ),
        lifespan=lifespan,
        # Served below from local files instead of FastAPI's CDN-backed pages.
        docs_url=None,
        redoc_url=None,
    )
    metrics = Metrics()
    app.state.runtime = runtime
    app.state.verifier = verifier or TokenVerifier(runtime.settings)
    app.state.metrics = metrics
    # Added first, so it runs inside the request log: a 413 is logged and counted like any
    # answer. Nothing between the two reads the body, so its limit still comes before any
    # parsing and before the token check.
    app.add_middleware(BodyLimit, max_probe_bytes=runtime.settings.max_probe_bytes)
    app.middleware("http")(request_middleware(metrics))
    install_error_handlers(app)
    app.add_exception_handler(StarletteHTTPException, on_http_exception)
    for router in ROUTERS:
        app.include_router(router)
    install_docs(app)
    install_console(app, runtime, app.state.verifier)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        if not runtime.gate.ready():
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ready"})

    @app.get("/metrics", include_in_schema=False)
    def metrics_endpoint(caller: Annotated[Caller, requires(Action.metrics_read)]) -> Response:
        def render() -> bytes:
            return generate_latest(metrics.registry) + generate_latest(runtime.metrics.registry)

        body = read_metrics(gate=runtime.gate, caller=caller, render=render)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return app


def install_docs(app: FastAPI) -> None:
    """Swagger UI at /docs (no token, like /openapi.json) from assets served by the app."""
    assets = {name: DOCS_ASSETS_DIR / name for name in DOCS_ASSETS}

    @app.get(DOCS_ASSETS_URL + "/{name}", include_in_schema=False)
    def docs_asset(name: str) -> FileResponse:
        # A fixed table, not a directory: no other file of the package can be named.
        if name not in assets:
            raise StarletteHTTPException(status_code=404)
        return FileResponse(assets[name])

    openapi_url = app.openapi_url or "/openapi.json"

    @app.get(DOCS_URL, include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} — API",
            swagger_js_url=f"{DOCS_ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS_URL}/favicon.png",
            # Swagger UI would otherwise send the document's URL to validator.swagger.io.
            swagger_ui_parameters={"validatorUrl": None},
        )


def _error_name(status: int) -> str:
    """`NotFound` for 404, `MethodNotAllowed` for 405: the phrase in the API's error style."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return "HTTPError"
    return "".join(word.capitalize() for word in re.split(r"[^A-Za-z]+", phrase) if word)


async def on_http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (no such route, method not allowed) in the API's error shape
    (`ErrorOut`) rather than Starlette's `{"detail": ...}`, so a client parses one shape."""
    assert isinstance(exc, StarletteHTTPException)
    if is_console_path(request.url.path):
        return console_http_error(request, exc.status_code, exc.headers)
    if exc.status_code == 404:
        message = f"no such resource: {request.url.path}"
    elif exc.status_code == 405:
        message = f"method {request.method} not allowed on {request.url.path}"
    elif exc.status_code == 400 and str(exc.detail) == "There was an error parsing the body":
        # FastAPI's words for a body it cannot even parse; say what a readable one is.
        kind = request.headers.get("content-type", "").split(";")[0].strip() or "none"
        message = (
            f"the request body could not be parsed (content type {kind}): send UTF-8 JSON, "
            "or for a probe upload a well-formed multipart form; nothing was recorded"
        )
    else:
        message = str(exc.detail)
    return JSONResponse(
        {"error": _error_name(exc.status_code), "message": message},
        status_code=exc.status_code,
        headers=exc.headers,  # e.g. 405's Allow
    )
