"""`frsgate demo probe`: write the demo probe photo the README walk-through submits.

The photo is package data (frsgate/demo/), so the walk-through works right after the first
quick-start command, with no test dependency installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from frsgate.demo import ATTRIBUTION, demo_probe
from frsgate.errors import FrsGateError

app = typer.Typer(help="Demo material for trying FRS Gate out.", no_args_is_help=True)


@app.command("probe")
def probe(
    out: Annotated[
        Path, typer.Option("--out", help="File to write the JPEG to.", dir_okay=False)
    ] = Path("astronaut.jpg"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a public-domain photo of one face (NASA astronaut Eileen Collins) to use as a
    probe against the sandbox FRS."""
    data = demo_probe()
    try:
        if out.exists() and not force:
            raise FrsGateError(f"{out} already exists; choose another --out or add --force")
        try:
            out.write_bytes(data)
        except OSError as exc:
            raise FrsGateError(f"cannot write {out}: {exc.strerror or exc}") from None
    except FrsGateError as exc:
        typer.secho(f"error: {exc.message}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    typer.echo(f"wrote {out} ({len(data)} bytes, image/jpeg)")
    typer.echo(f"photo: {ATTRIBUTION}", err=True)
