"""`frsgate serve`: the HTTP service, with the sandbox FRS beside it on the embedded default."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Annotated

import httpx
import typer

from frsgate.config import Settings, load_settings
from frsgate.errors import ConfigurationError

SANDBOX_HOST = "127.0.0.1"  # where `frsgate sandbox-frs` listens by default


def require_free_port(host: str, port: int, setting: str) -> None:
    """Refuse (one line naming the port and its setting) when another process listens there.

    The probe binds the way the server will (SO_REUSEADDR, as uvicorn does), so a port left
    in TIME_WAIT by a previous run is free, and a listener on any address of the port is not.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigurationError(
                f"port {port} ({setting}) is already in use by another process "
                f"({exc.strerror or exc}); stop it or set {setting} to a free port"
            ) from None


@contextlib.contextmanager
def _child_beside(
    what: str, args: list[str], port: int, setting: str, health: str
) -> Iterator[None]:
    """Run `frsgate ARGS` in a child process until the block ends, once `health` answers 200.

    A separate process, not a thread: the child stands in for a remote party (a provider, a
    witness), and sharing the service's interpreter lock would make both slower than apart.
    """
    # Otherwise a process already on the port would answer the health check below and the
    # service would take it for ours.
    require_free_port(SANDBOX_HOST, port, setting)
    command = [sys.executable, "-c", "from frsgate.cli.main import main; main()", *args]
    child = subprocess.Popen(command, env=os.environ.copy())  # noqa: S603 - our own program
    try:
        deadline = time.monotonic() + 20
        while True:
            if child.poll() is not None:
                raise ConfigurationError(
                    f"the {what} could not start on port {port} ({setting}); is the port in use?"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(health, timeout=0.5).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise ConfigurationError(f"the {what} did not answer within 20 s")
            time.sleep(0.1)
        yield
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()


@contextlib.contextmanager
def sandbox_beside(settings: Settings) -> Iterator[None]:
    """Run `frsgate sandbox-frs` in a child process for as long as the service runs."""
    if not settings.sandbox_frs:
        yield
        return
    port = settings.sandbox_frs_port
    with _child_beside(
        "sandbox FRS", ["sandbox-frs", "--host", SANDBOX_HOST, "--port", str(port)], port,
        "FRSGATE_SANDBOX_FRS_PORT", f"http://{SANDBOX_HOST}:{port}/v1/health",
    ):  # fmt: skip
        yield


@contextlib.contextmanager
def witness_beside(settings: Settings) -> Iterator[None]:
    """Run `frsgate witness serve` beside the service on the embedded default (when no
    FRSGATE_WITNESSES are configured), witnessing this installation's ledger."""
    if not settings.witness_beside or settings.witnesses.strip():
        yield
        return
    port = settings.witness_port
    with _child_beside(
        "witness", ["witness", "serve", "--host", SANDBOX_HOST, "--port", str(port)], port,
        "FRSGATE_WITNESS_PORT", f"http://{SANDBOX_HOST}:{port}/",
    ):  # fmt: skip
        yield


def _exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so a process manager's stop runs every cleanup (the
    sandbox child, the runtime) instead of killing the process where it stands."""

    def handler(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def serve(
    host: Annotated[str | None, typer.Option(help="Address (default FRSGATE_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default FRSGATE_PORT).")] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, max=64, help="Worker processes (default FRSGATE_WORKERS).")
    ] = None,
) -> None:
    """Start the FRS Gate HTTP service (OpenAPI at /docs)."""
    import uvicorn

    from frsgate.api.app import create_app, tune_garbage_collector
    from frsgate.api.observability import configure_logging
    from frsgate.cli.database import require_installed_database
    from frsgate.services.runtime import Runtime

    settings = load_settings()
    # Refuse early, in the order the runtime checks (settings, then the database), before the
    # sandbox starts or the runtime creates a missing home and an empty database file.
    settings.require_production_ready()
    require_installed_database(settings)
    configure_logging()
    _exit_on_sigterm()
    listen_host = host or settings.host
    listen_port = port or settings.port
    processes = workers or settings.workers
    with sandbox_beside(settings), witness_beside(settings):
        if processes > 1:
            # Recovery runs once, here, before any worker starts (see create_app_in_worker).
            with Runtime.open(settings, periodic_checkpoints=False) as runtime:
                described = runtime.describe()
            typer.secho(
                f"FRS Gate on http://{listen_host}:{listen_port} ({described}, "
                f"{processes} workers)",
                fg=typer.colors.GREEN,
                err=True,
            )
            uvicorn.run(
                "frsgate.api.app:create_app_in_worker",
                factory=True,
                host=listen_host,
                port=listen_port,
                workers=processes,
                log_level="warning",
                access_log=False,
            )
            return
        with Runtime.open(settings) as runtime:
            app = create_app(runtime)
            tune_garbage_collector()
            typer.secho(
                f"FRS Gate on http://{listen_host}:{listen_port} ({runtime.describe()})",
                fg=typer.colors.GREEN,
                err=True,
            )
            uvicorn.run(
                app, host=listen_host, port=listen_port, log_level="warning", access_log=False
            )
