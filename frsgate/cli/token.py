"""`frsgate token issue USER`: a short-lived bearer token from the local issuer (development)."""

from __future__ import annotations

from typing import Annotated

import typer

from frsgate.cli.acting import one_line_errors
from frsgate.config import Settings, load_settings
from frsgate.errors import ValidationFailed
from frsgate.services.tokens import issue_local_token

app = typer.Typer(help="Bearer tokens from the local issuer (embedded default only).")

# The shortest lifetime a token may be issued for: the lower bound of
# FRSGATE_LOCAL_TOKEN_TTL_SECONDS (a shorter token expires before it is used).
MIN_TTL_SECONDS = 60


def _checked_ttl(settings: Settings, ttl: int | None) -> int | None:
    """`--ttl` within the settings' bounds, or a one-line error naming them."""
    if ttl is None:
        return None
    maximum = settings.token_max_lifetime_seconds
    if not MIN_TTL_SECONDS <= ttl <= maximum:
        raise ValidationFailed(
            f"--ttl {ttl}: a token lives {MIN_TTL_SECONDS} to {maximum} seconds "
            "(FRSGATE_TOKEN_MAX_LIFETIME_SECONDS)"
        )
    return ttl


@app.command("issue")
def issue(
    user: Annotated[str, typer.Argument(help="Username or user id to issue the token for.")],
    ttl: Annotated[
        int | None, typer.Option("--ttl", help="Lifetime in seconds (default from settings).")
    ] = None,
) -> None:
    """Print a token for USER, signed by the local issuer key under FRSGATE_HOME."""
    from frsgate.cli.database import require_installed_database
    from frsgate.services.runtime import resolve_user_id

    with one_line_errors():
        settings = load_settings()
        lifetime = _checked_ttl(settings, ttl)
        # Before `frsgate init`, one line saying so, rather than an empty database file
        # created by the look-up and a traceback about a missing table.
        require_installed_database(settings)
        user_id = resolve_user_id(settings, user)
        token = issue_local_token(settings, user_id, ttl_seconds=lifetime)
    typer.echo(token)
