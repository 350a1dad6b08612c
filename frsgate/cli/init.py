"""`frsgate init [--demo] [--admin USERNAME]`: database, keys, (optionally) demo data and the
first administrator; safe to run twice."""

from __future__ import annotations

from typing import Annotated

import typer

from frsgate.cli.acting import one_line_errors
from frsgate.config import load_settings
from frsgate.errors import ValidationFailed


def init(
    demo: Annotated[
        bool, typer.Option("--demo", help="Seed demo users, a case, a program and providers.")
    ] = False,
    admin: Annotated[
        str | None,
        typer.Option(
            "--admin",
            help="Create the first administrator with this username (refused once one exists).",
            show_default=False,
        ),
    ] = None,
    display_name: Annotated[
        str | None,
        typer.Option("--display-name", help="The first administrator's name (with --admin)."),
    ] = None,
) -> None:
    """Create or upgrade the database and create the keys FRS Gate needs (0600 files)."""
    from frsgate.services.bootstrap import FirstAdmin, initialize

    with one_line_errors():
        if display_name is not None and admin is None:
            raise ValidationFailed("--display-name names the first administrator: give --admin")
        settings = load_settings()
        first = FirstAdmin(admin, display_name) if admin is not None else None
        report = initialize(settings, demo=demo, first_admin=first)
    typer.echo(f"database: {report.database_url}")
    typer.echo("schema: upgraded to head" if report.migrated else "schema: already at head")
    for key in report.created_keys:
        typer.echo(f"created key: {key}")
    if report.administrator is not None:
        made = report.administrator
        typer.echo(
            f"administrator: {made.username} ({made.id}) created; next, as this user, add the "
            f"privacy office's approvers (`frsgate users add NAME --role igp --as {made.username}"
            " --display-name ...`) and ask them to activate the policy pack"
        )
    if demo:
        if report.seeded:
            typer.echo("demo data: " + ", ".join(report.seeded))
        else:
            typer.echo("demo data: already present")
