"""`frsgate backup --out PATH` and `frsgate restore PATH`: the installation's backups.

Exit codes: 0 when the backup was written or the restore verified; 1 when a restore ran but its
ledger does not verify; 2 for an archive or a target refused, or bad configuration (the message
says which, and nothing was changed). See `frsgate.services.backup` for the archive's contents.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from frsgate.cli.database import require_installed_database
from frsgate.config import load_settings
from frsgate.errors import FrsGateError
from frsgate.services.backup import create as backups
from frsgate.services.backup import restore as restores

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except restores.RestoreFailed as exc:
        typer.secho(f"error: {exc.message}", fg=typer.colors.RED, err=True)
        raise typer.Exit(EXIT_FAILED) from None
    except FrsGateError as exc:
        typer.secho(f"error: {exc.message}", fg=typer.colors.RED, err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def _progress(message: str) -> None:
    typer.echo(message, err=True)


def backup(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="The archive to write (never overwritten).")
    ],
    with_keys: Annotated[
        bool,
        typer.Option(
            "--with-keys",
            help="Also put the keys in the archive (then it opens every sealed image: keep it "
            "as carefully as the keys).",
        ),
    ] = False,
) -> None:
    """Back up the database (a consistent snapshot while the service runs) into one archive,
    created 0600; the keys only with --with-keys."""
    with _errors():
        settings = load_settings()
        require_installed_database(settings)
        if with_keys:
            typer.secho(
                "warning: --with-keys puts the ledger signing key and the vault key-encryption "
                "key in the archive: whoever holds it can open every sealed probe and candidate "
                "image and sign checkpoints. Keep it encrypted, offline and apart.",
                fg=typer.colors.YELLOW,
                err=True,
            )
        report = backups.backup(settings, out, with_keys=with_keys, progress=_progress)
    typer.echo(f"backup written: {report.archive} (0600)")
    typer.echo(f"  sha256 {report.archive_sha256}")
    typer.echo(f"  {report.backend} database, schema revision {report.schema_revision}")
    typer.echo(
        f"  ledger size {report.ledger.size}, root {report.ledger.root_b64} "
        f"(the backup is entry {report.backup_seq})"
    )
    if report.keys_included:
        typer.echo("  the keys ARE in this archive")
    if report.not_included:
        typer.echo("  NOT in this archive (back them up apart, see docs/deploy.md, Keys):")
        for item in report.not_included:
            typer.echo(f"    {item}")
    typer.echo(f"  took {report.seconds:.2f} s")


def restore(
    archive: Annotated[Path, typer.Argument(help="A backup archive written by `frsgate backup`.")],
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace everything in a target database that is not empty."),
    ] = False,
    checkpoint_file: Annotated[
        Path | None,
        typer.Option(
            "--checkpoint",
            help="A checkpoint note saved before the backup; the restored ledger must extend it.",
        ),
    ] = None,
) -> None:
    """Restore a backup into the configured database (stop the service first): the archive and
    the target are checked before anything changes, and the restored ledger is verified."""
    with _errors():
        settings = load_settings()
        trusted = checkpoint_file.read_text() if checkpoint_file is not None else None
        report = restores.restore(
            settings, archive, force=force, trusted_checkpoint=trusted, progress=_progress
        )
    typer.echo(f"restored {report.backend} database, schema revision {report.schema_revision}")
    typer.echo(f"  ledger size {report.restored.size}, root {report.restored.root_b64}")
    typer.echo(f"  {report.verification.summary()}")
    for path in report.keys_written:
        typer.echo(f"  key restored: {path} (0600)")
    typer.echo(f"  the restore is ledger entry {report.restore_seq}")
    typer.echo(f"  took {report.seconds:.2f} s")
