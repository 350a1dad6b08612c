"""`frsgate token issue USER`: a short-lived bearer token from the local issuer (development)."""

from __future__ import annotations

import typer

from frsgate.config import load_settings
from frsgate.services.tokens import issue_local_token

app = typer.Typer(help="Bearer tokens from the local issuer (embedded default only).")


@app.command("issue")
def issue(
    user: str = typer.Argument(..., help="User id or username to issue the token for."),
    ttl: int = typer.Option(None, "--ttl", help="Lifetime in seconds (default from settings)."),
) -> None:
    """Print a token for USER, signed by the local issuer key under FRSGATE_HOME."""
    from frsgate.cli.database import require_installed_database
    from frsgate.services.runtime import resolve_user_id

    settings = load_settings()
    # Before `frsgate init`, one line saying so, rather than an empty database file created
    # by the look-up and a traceback about a missing table.
    require_installed_database(settings)
    user_id = resolve_user_id(settings, user)
    typer.echo(issue_local_token(settings, user_id, ttl_seconds=ttl))
