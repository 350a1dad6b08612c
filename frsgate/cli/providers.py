"""`frsgate providers ...`: FRS providers from the command line."""

from __future__ import annotations

import typer

app = typer.Typer(help="Administration: providers.", no_args_is_help=True)
