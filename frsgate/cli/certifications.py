"""`frsgate certifications ...`: PALMS certifications from the command line."""

from __future__ import annotations

import typer

app = typer.Typer(help="Administration: certifications.", no_args_is_help=True)
