"""`frsgate sandbox-frs`: run the sandbox FRS (synthetic gallery) in the foreground.

For development, demonstrations and benchmarks only: every answer it gives is labelled as
sandbox data. The root CLI registers `sandbox_frs` as the command.
"""

from __future__ import annotations

from typing import Annotated

import typer
from fastapi import FastAPI

from frsgate.config import load_settings
from frsgate.connectors.sandbox import (
    DEFAULT_GALLERY_SIZE,
    SANDBOX_NOTICE,
    SandboxFaults,
    create_sandbox_app,
)


def build_sandbox_app(*, seed: int, gallery_size: int, fault: str) -> FastAPI:
    """The app the command serves; `fault` is a `SandboxFaults.parse` spec ("" for none)."""
    return create_sandbox_app(
        seed=seed, gallery_size=gallery_size, faults=SandboxFaults.parse(fault), warm=True
    )


def sandbox_frs(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int | None,
        typer.Option(help="Port to listen on (default: FRSGATE_SANDBOX_FRS_PORT, 8081)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic gallery.")] = 0,
    gallery_size: Annotated[
        int, typer.Option(min=1, max=100_000, help="Number of synthetic identities.")
    ] = DEFAULT_GALLERY_SIZE,
    fault: Annotated[
        str,
        typer.Option(
            help="Inject faults for demos, e.g. 'delay_ms=500' or 'status=503,fail_times=2' "
            "(also: malformed, wrong_schema, extra_candidates=N, trickle_ms=N).",
        ),
    ] = "",
) -> None:
    """Run the sandbox FRS: the connector protocol over a synthetic gallery, not real people."""
    import uvicorn

    app = build_sandbox_app(seed=seed, gallery_size=gallery_size, fault=fault)
    listen_port = port if port is not None else load_settings().sandbox_frs_port
    typer.secho(
        f"{SANDBOX_NOTICE}. Sandbox FRS on http://{host}:{listen_port} "
        f"(seed {seed}, {gallery_size} identities" + (f", faults: {fault}" if fault else "") + ")",
        fg=typer.colors.YELLOW,
        err=True,
    )
    uvicorn.run(app, host=host, port=listen_port, log_level="info", ws="none", lifespan="off")


command = sandbox_frs
