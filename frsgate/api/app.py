"""The FastAPI application: routers under /api/v1, error mapping, logs and metrics.

Only liveness (/healthz) and readiness (/readyz), which say nothing but "ok", and the OpenAPI
document are reachable without a token; /metrics and everything under /api/v1 need one.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

import frsgate
from frsgate.api.deps import authenticate
from frsgate.api.errors import install_error_handlers
from frsgate.api.limits import BodyLimit
from frsgate.api.observability import Metrics, request_middleware
from frsgate.api.routes import approvals, ledger, policy, probes, queues, submissions
from frsgate.services.gate import Caller
from frsgate.services.runtime import Runtime
from frsgate.services.tokens import TokenVerifier

ROUTERS = (
    probes.router,
    submissions.router,
    approvals.router,
    queues.router,
    ledger.router,
    policy.router,
)


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
    for router in ROUTERS:
        app.include_router(router)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        if not runtime.gate.ready():
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ready"})

    @app.get("/metrics", include_in_schema=False)
    def metrics_endpoint(_: Annotated[Caller, Depends(authenticate)]) -> Response:
        body = generate_latest(metrics.registry) + generate_latest(runtime.metrics.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return app
