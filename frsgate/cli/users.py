"""`frsgate users ...`: administration of users from the command line (see frsgate.cli.acting)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Administration: users.", no_args_is_help=True)
