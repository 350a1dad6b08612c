"""`frsgate witness`: run a transparency-log witness (c2sp.org/tlog-witness) for FRS Gate logs.

A witness belongs to someone other than the log's operator (IGP, OPR, another agency): it has
its own Ed25519 key and its own storage, and cosigns a checkpoint only if it extends the last one
it cosigned. `frsgate serve` runs one beside the service on the embedded default, standing in
for such a witness.

    frsgate witness key   [--home DIR] [--name NAME]           print the witness's verifier string
    frsgate witness serve [--home DIR] [--name NAME] [--log VERIFIER]... [--host H] [--port P]
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from frsgate.config import load_settings
from frsgate.errors import ConfigurationError
from frsgate.keyfiles import load_or_create_ed25519_key
from frsgate.ledger.cosignature import Cosigner
from frsgate.ledger.merkle import InvalidProof
from frsgate.ledger.notes import NoteVerifier, load_or_create_signing_key

app = typer.Typer(help="Run a witness that cosigns the ledger's checkpoints.", no_args_is_help=True)

HomeOption = Annotated[
    Path | None,
    typer.Option("--home", help="The witness's folder (default: FRSGATE_HOME/witness)."),
]
NameOption = Annotated[
    str | None,
    typer.Option("--name", help="The witness's key name (default: <log host>/witness)."),
]


def _cosigner(home: Path | None, name: str | None) -> tuple[Path, Cosigner]:
    from frsgate.services.witnessing import WITNESS_KEY_FILE, beside_witness_name

    settings = load_settings()
    folder = home if home is not None else settings.witness_home
    key = load_or_create_ed25519_key(folder / "keys" / WITNESS_KEY_FILE)
    try:
        return folder, Cosigner(key, name or beside_witness_name(settings))
    except InvalidProof as exc:
        raise ConfigurationError(f"--name: {exc}") from None


@app.command("key")
def key(home: HomeOption = None, name: NameOption = None) -> None:
    """Print the witness's verifier string (creating its key if absent): give it to whoever
    checks the log (FRSGATE_WITNESSES, `frsgate ledger verify --witness`)."""
    _, cosigner = _cosigner(home, name)
    typer.echo(cosigner.verifier.verifier_string)


@app.command("serve")
def serve(
    home: HomeOption = None,
    name: NameOption = None,
    logs: Annotated[
        list[str] | None,
        typer.Option(
            "--log",
            help="A log's note verifier string to witness (repeatable; default: this "
            "installation's ledger key).",
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="Port (default FRSGATE_WITNESS_PORT).")] = None,
) -> None:
    """Cosign checkpoints of the given logs over HTTP (POST /add-checkpoint, GET /latest)."""
    import uvicorn

    from frsgate.witness.core import Witness, WitnessStore
    from frsgate.witness.http import create_witness_app

    settings = load_settings()
    folder, cosigner = _cosigner(home, name)
    trusted: dict[str, NoteVerifier] = {}
    try:
        for text in logs or []:
            verifier = NoteVerifier.parse(text)
            trusted[verifier.name] = verifier
    except InvalidProof as exc:
        raise ConfigurationError(f"--log: {exc}") from None
    if not trusted:
        signer = load_or_create_signing_key(
            settings.ledger_key_path, name=settings.ledger_origin, create=False
        )
        trusted[signer.name] = signer.verifier
    store = WitnessStore(folder / "witness.sqlite3")
    listen_port = port if port is not None else settings.witness_port
    typer.secho(
        f"Witness {cosigner.name} on http://{host}:{listen_port} for " + ", ".join(sorted(trusted)),
        err=True,
    )
    try:
        uvicorn.run(
            create_witness_app(Witness(store, cosigner, trusted)),
            host=host, port=listen_port, log_level="warning", ws="none", lifespan="off",
        )  # fmt: skip
    finally:
        store.close()
