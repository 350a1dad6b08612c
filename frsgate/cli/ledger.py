"""`frsgate ledger ...`: the verifier key, checkpoints, the full audit, proofs and export.

Exit codes: 0 when the command succeeded (for `verify`: everything agrees), 1 when verification
found a disagreement, 2 for bad input or configuration (the message says which).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine

from frsgate.cli.database import require_installed_database
from frsgate.config import Settings, load_settings
from frsgate.errors import FrsGateError, ValidationFailed
from frsgate.ledger.index_check import check_index
from frsgate.ledger.log import Ledger
from frsgate.ledger.notes import (
    CheckpointSigner,
    NoteOpener,
    NoteVerifier,
    load_or_create_signing_key,
)
from frsgate.ledger.verify import verify_ledger
from frsgate.ledger.view import LedgerView
from frsgate.ledger.witnessed import WitnessReport
from frsgate.services.runtime import database

app = typer.Typer(
    help="The tamper-evident audit ledger: checkpoints, verification, proofs, export.",
    no_args_is_help=True,
)

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


@contextmanager
def _errors() -> Iterator[None]:
    """Turn a deliberate error into one line on stderr and exit status 2."""
    try:
        yield
    except FrsGateError as exc:
        typer.secho(f"error: {exc.message}", fg=typer.colors.RED, err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def _engine(settings: Settings) -> AbstractContextManager[Engine]:
    # Before `frsgate init`: one line saying so, not an empty database file and a traceback.
    require_installed_database(settings)
    return database(settings)  # pooled connections close before the process moves on


def _signer(settings: Settings, *, create: bool) -> CheckpointSigner:
    return load_or_create_signing_key(
        settings.ledger_key_path, name=settings.ledger_origin, create=create
    )


@app.command("key")
def key(
    history: Annotated[
        bool,
        typer.Option(
            "--history",
            help="Print every key the log has signed with, oldest first: a verifier string and "
            "the last tree size it may sign ('current' for the key in use). Publish it.",
        ),
    ] = False,
) -> None:
    """Print the note verifier string auditors use to check checkpoints (creates the key on
    first use)."""
    with _errors():
        settings = load_settings()
        signer = _signer(settings, create=True)
        if history:
            from frsgate.services.ledger_keys import key_history

            typer.echo(key_history(settings).text(), nl=False)
            return
        typer.echo(signer.verifier.verifier_string)


@app.command("rotate-key")
def rotate_key() -> None:
    """Retire the checkpoint signing key for a new one. Stop the service first (it signs with
    the key it loaded). The handover checkpoint is signed by both keys; old checkpoints keep
    verifying with the published key history (`frsgate ledger key --history`)."""
    from frsgate.services.ledger_keys import rotate_ledger_key

    with _errors():
        settings = load_settings()
        with _engine(settings) as engine:
            done = rotate_ledger_key(settings, engine)
    typer.echo(f"retired  {done.retired} (valid up to tree size {done.handover_size})")
    typer.echo(f"current  {done.new}")
    typer.echo("Publish the key history (`frsgate ledger key --history`) and give the new key to "
               "the witnesses (`frsgate witness serve --log`).")  # fmt: skip


@app.command("checkpoint")
def checkpoint(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Also write the note here.")
    ] = None,
) -> None:
    """Issue, sign and store a checkpoint of the current tree; print its signed note."""
    with _errors():
        settings = load_settings()
        # The database first: a checkpoint before `frsgate init` must not leave a key behind.
        with _engine(settings) as engine:
            signer = _signer(settings, create=True)
            with Ledger(engine, signer=signer, origin=settings.ledger_origin) as ledger:
                signed = ledger.checkpoint()
        if output is not None:
            output.write_text(signed.note)
        typer.echo(signed.note, nl=False)


@app.command("verify")
def verify(
    checkpoint_file: Annotated[
        Path | None,
        typer.Option(
            "--checkpoint", help="A checkpoint note published earlier; the log must extend it."
        ),
    ] = None,
    key_string: Annotated[
        str | None,
        typer.Option(
            "--key", help="Note verifier string (default: this installation's key history)."
        ),
    ] = None,
    history_file: Annotated[
        Path | None,
        typer.Option(
            "--key-history",
            help="A published key history (`frsgate ledger key --history`) instead of --key.",
        ),
    ] = None,
    index: Annotated[
        bool,
        typer.Option(
            "--index",
            help="Also re-derive the index rows oversight reports count from each entry and "
            "compare (reads and parses every entry: slower).",
        ),
    ] = False,
    no_witness: Annotated[
        bool,
        typer.Option(
            "--no-witness",
            help="Do not require the log to match its witnesses' latest cosigned checkpoints.",
        ),
    ] = False,
    witness_args: Annotated[
        list[str] | None,
        typer.Option(
            "--witness",
            help="'URL VERIFIER' of a witness to ask (repeatable; default FRSGATE_WITNESSES, "
            "or the witness `frsgate serve` runs beside the service).",
        ),
    ] = None,
    witnessed_file: Annotated[
        Path | None,
        typer.Option(
            "--witnessed",
            help="A cosigned checkpoint note saved earlier (offline), checked with --witness-key.",
        ),
    ] = None,
    witness_key: Annotated[
        str | None,
        typer.Option("--witness-key", help="The verifier string of the witness of --witnessed."),
    ] = None,
) -> None:
    """Recompute every leaf, node and root and check every checkpoint signature and their
    consistency, then check the log against its witnesses' latest cosigned checkpoints; exit 0
    only if all agree, 1 naming the first bad seq or the witness that disagrees otherwise."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with _errors():
        settings = load_settings()
        from frsgate.ledger.notes import KeyHistory
        from frsgate.services.ledger_keys import key_history

        if key_string and history_file is not None:
            raise ValidationFailed("--key and --key-history are alternatives")
        verifier: NoteVerifier | KeyHistory
        if key_string:
            verifier = NoteVerifier.parse(key_string)
        elif history_file is not None:
            verifier = KeyHistory.parse(history_file.read_text())
        else:
            verifier = key_history(settings)
        trusted = checkpoint_file.read_text() if checkpoint_file is not None else None
        console = Console(stderr=True)
        with (
            _engine(settings) as engine,
            Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            ) as bar,
        ):
            task = bar.add_task("verifying ledger", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            report = verify_ledger(
                engine,
                verifier,
                trusted_checkpoint=trusted,
                origin=settings.ledger_origin,
                progress=progress,
            )
            indexed = None
            if index and report.ok:
                bar.update(task, description="checking the index", completed=0, total=None)
                indexed = check_index(engine, progress=progress)
            witnessed = None
            if not no_witness and report.ok:
                bar.update(task, description="asking the witnesses", completed=0, total=None)
                witnessed = _check_witnesses(
                    settings, engine, verifier, witness_args, witnessed_file, witness_key
                )
    if report.ok:
        typer.echo(report.summary())
        failed = False
        for extra in (indexed, witnessed):
            if extra is None:
                continue
            if extra.ok:
                typer.echo(extra.summary())
            else:
                typer.secho(extra.summary(), fg=typer.colors.RED, err=True)
                for line in getattr(extra, "problems", ())[1:]:
                    typer.echo(f"  also {line}", err=True)
                failed = True
        if failed:
            raise typer.Exit(EXIT_FAILED)
        return
    typer.secho(report.summary(), fg=typer.colors.RED, err=True)
    for line in report.more:
        typer.echo(f"  also {line}", err=True)
    raise typer.Exit(EXIT_FAILED)


def _check_witnesses(
    settings: Settings,
    engine: Engine,
    log_key: NoteOpener,
    witness_args: list[str] | None,
    witnessed_file: Path | None,
    witness_key: str | None,
) -> WitnessReport:
    """Gather each witness's latest cosigned checkpoint (asked over HTTP, or read from a file
    saved earlier) and compare the log with them."""
    from frsgate.ledger.cosignature import CosignatureVerifier
    from frsgate.ledger.witnessed import Witnessed, check_witnessed
    from frsgate.services.witnessing import WitnessClient, configured_witnesses

    if (witnessed_file is None) != (witness_key is None):
        raise ValidationFailed("--witnessed and --witness-key go together")
    gathered: list[Witnessed] = []
    if witnessed_file is not None and witness_key is not None:
        gathered.append(
            Witnessed(CosignatureVerifier.parse(witness_key), witnessed_file.read_text())
        )
    clients: list[WitnessClient] = []
    for item in witness_args or []:
        url, _, verifier = item.strip().partition(" ")
        if not url.startswith(("http://", "https://")) or not verifier.strip():
            raise ValidationFailed(f"--witness takes 'URL VERIFIER', not {item[:60]!r}")
        clients.append(WitnessClient(url, CosignatureVerifier.parse(verifier.strip())))
    if not clients and not gathered:
        clients = configured_witnesses(settings)
    gathered.extend(client.latest(settings.ledger_origin) for client in clients)
    with LedgerView(engine) as view:
        return check_witnessed(view, log_key, settings.ledger_origin, gathered)


@app.command("prove-inclusion")
def prove_inclusion(
    index: Annotated[int, typer.Argument(help="The entry's seq (leaf index).")],
    tree_size: Annotated[
        int | None, typer.Option("--tree-size", help="Default: the current size.")
    ] = None,
) -> None:
    """Print the RFC 9162 inclusion proof of entry INDEX as JSON."""
    with _errors():
        settings = load_settings()
        with _engine(settings) as engine, LedgerView(engine) as view:
            typer.echo(json.dumps(view.inclusion_proof(index, tree_size).to_json()))


@app.command("prove-consistency")
def prove_consistency(
    old: Annotated[int, typer.Argument(help="The older tree size.")],
    new: Annotated[int, typer.Argument(help="The newer tree size.")],
) -> None:
    """Print the RFC 9162 consistency proof from tree size OLD to NEW as JSON."""
    with _errors():
        settings = load_settings()
        with _engine(settings) as engine, LedgerView(engine) as view:
            typer.echo(json.dumps(view.consistency_proof(old, new).to_json()))


@app.command("export")
def export(
    start: Annotated[int, typer.Option("--start", help="First seq to export.")] = 0,
    end: Annotated[
        int | None, typer.Option("--end", help="Stop before this seq (default: all).")
    ] = None,
) -> None:
    """Write entries as JSON lines, one canonical entry per line, in seq order."""
    with _errors():
        if start < 0 or (end is not None and end < start):
            raise FrsGateError(f"--start {start} / --end {end} is not a range")
        settings = load_settings()
        out = sys.stdout
        with _engine(settings) as engine, LedgerView(engine) as view:
            for _, raw in view.iter_entries(start, end):
                out.write(raw.decode("utf-8"))
                out.write("\n")
        out.flush()
