"""`frsgate sandbox-frs`: run the sandbox FRS (synthetic gallery) in the foreground.

For development, demonstrations and benchmarks only: every answer it gives is labelled as
sandbox data. The root CLI registers `sandbox_frs` as the command.

Like a real provider it can demand an API key (`--api-key-file`, or the variable
FRSGATE_SANDBOX_FRS_API_KEY; never an argument, which `ps` would show) and serve over TLS
(`--tls-cert-file`, `--tls-key-file`), so the gateway's registration, key and TLS settings can
be tried against it.
"""

from __future__ import annotations

import os
from pathlib import Path
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
from frsgate.errors import ConfigurationError

API_KEY_ENV = "FRSGATE_SANDBOX_FRS_API_KEY"


def build_sandbox_app(
    *, seed: int, gallery_size: int, fault: str, api_key: str | None = None
) -> FastAPI:
    """The app the command serves; `fault` is a `SandboxFaults.parse` spec ("" for none);
    `api_key` set: every request needs `Authorization: Bearer <api_key>`."""
    return create_sandbox_app(
        seed=seed,
        gallery_size=gallery_size,
        faults=SandboxFaults.parse(fault),
        api_key=api_key,
        warm=True,
    )


def read_api_key(path: Path | None) -> str | None:
    """The key from `--api-key-file`, else from FRSGATE_SANDBOX_FRS_API_KEY, else none."""
    if path is not None:
        try:
            key = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigurationError(
                f"--api-key-file {path}: cannot be read ({exc.strerror or exc})"
            ) from None
        if not key:
            raise ConfigurationError(f"--api-key-file {path}: is empty")
        return key
    return os.environ.get(API_KEY_ENV, "").strip() or None


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
    api_key_file: Annotated[
        Path | None,
        typer.Option(
            "--api-key-file",
            help=f"Require this API key (a file holding it); env {API_KEY_ENV}.",
            show_default=False,
        ),
    ] = None,
    tls_cert_file: Annotated[
        Path | None, typer.Option("--tls-cert-file", help="Serve https with this certificate.")
    ] = None,
    tls_key_file: Annotated[
        Path | None, typer.Option("--tls-key-file", help="The certificate's private key.")
    ] = None,
) -> None:
    """Run the sandbox FRS: the connector protocol over a synthetic gallery, not real people."""
    import uvicorn

    if (tls_cert_file is None) != (tls_key_file is None):
        raise ConfigurationError("--tls-cert-file and --tls-key-file go together")
    api_key = read_api_key(api_key_file)
    app = build_sandbox_app(seed=seed, gallery_size=gallery_size, fault=fault, api_key=api_key)
    listen_port = port if port is not None else load_settings().sandbox_frs_port
    scheme = "https" if tls_cert_file is not None else "http"
    typer.secho(
        f"{SANDBOX_NOTICE}. Sandbox FRS on {scheme}://{host}:{listen_port} "
        f"(seed {seed}, {gallery_size} identities"
        + (f", faults: {fault}" if fault else "")
        + (", API key required" if api_key else "")
        + ")",
        fg=typer.colors.YELLOW,
        err=True,
    )
    uvicorn.run(
        app,
        host=host,
        port=listen_port,
        log_level="info",
        ws="none",
        lifespan="off",
        ssl_certfile=str(tls_cert_file) if tls_cert_file is not None else None,
        ssl_keyfile=str(tls_key_file) if tls_key_file is not None else None,
    )


command = sandbox_frs
