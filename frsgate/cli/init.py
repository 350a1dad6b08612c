"""`frsgate init [--demo]`: database, keys and (optionally) demo data; safe to run twice."""

from __future__ import annotations

from typing import Annotated

import typer

from frsgate.config import load_settings


def init(
    demo: Annotated[
        bool, typer.Option("--demo", help="Seed demo users, a case, a program and providers.")
    ] = False,
) -> None:
    """Create or upgrade the database and create the keys FRS Gate needs (0600 files)."""
    from frsgate.services.bootstrap import initialize

    settings = load_settings()
    report = initialize(settings, demo=demo)
    typer.echo(f"database: {report.database_url}")
    typer.echo("schema: upgraded to head" if report.migrated else "schema: already at head")
    for key in report.created_keys:
        typer.echo(f"created key: {key}")
    if demo:
        if report.seeded:
            typer.echo("demo data: " + ", ".join(report.seeded))
        else:
            typer.echo("demo data: already present")
