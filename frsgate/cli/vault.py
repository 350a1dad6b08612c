"""`frsgate vault`: the key-encryption key's rotation and the shredding of expired images.

    frsgate vault rotate-kek        re-seal every object under a new KEK, then retire the old
    frsgate vault shred [--now T]   destroy images older than FRSGATE_PROBE_RETENTION_DAYS

Both run with the service stopped (rotate-kek) or beside it (shred: each probe is one
transaction with its ledger entry); see `frsgate.services.vault_keys`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from frsgate.cli.ledger import _engine, _errors
from frsgate.config import load_settings
from frsgate.errors import ValidationFailed

app = typer.Typer(help="Rotate the vault's key and shred expired images.", no_args_is_help=True)


@app.command("rotate-kek")
def rotate_kek() -> None:
    """Re-seal every probe image, candidate image and provider API key under a new
    key-encryption key, count that each opens, then retire the old key. Stop the service
    first; run again to finish an interrupted rotation."""
    from frsgate.services.vault_keys import rotate_kek as rotate

    with _errors():
        settings = load_settings()
        with _engine(settings) as engine:
            done = rotate(settings, engine)
    typer.echo(f"key-encryption key {done.old_kek_id} retired; {done.new_kek_id} in use")
    for table, count in done.opened.items():
        typer.echo(
            f"  {table}: {count} objects open under the new key "
            f"({done.rewrapped[table]} re-sealed now, {done.already[table]} before)"
        )


@app.command("shred")
def shred(
    now: Annotated[
        str | None,
        typer.Option("--now", help="The time to count the retention from (ISO 8601; default now)."),
    ] = None,
) -> None:
    """Destroy the images of probes older than FRSGATE_PROBE_RETENTION_DAYS, with the
    candidate images of their searches; record each on the ledger."""
    from frsgate.services.vault_keys import shred_expired

    with _errors():
        settings = load_settings()
        at = datetime.now(UTC)
        if now is not None:
            try:
                at = datetime.fromisoformat(now)
            except ValueError:
                raise ValidationFailed(f"--now {now!r} is not an ISO 8601 time") from None
            if at.tzinfo is None:
                raise ValidationFailed("--now needs a time zone, e.g. 2027-01-01T00:00:00Z")
        with _engine(settings) as engine:
            done = shred_expired(settings, engine, now=at)
    typer.echo(
        f"shredded {done.probes} probe images created before {done.cutoff:%Y-%m-%d %H:%M} UTC, "
        f"and {done.candidate_images} candidate images of {done.candidate_lists} searches"
    )
