"""`frsgate cases ...`: administration of cases from the command line (see frsgate.cli.acting)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Administration: cases.", no_args_is_help=True)
