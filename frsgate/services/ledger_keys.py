"""Rotating the ledger's checkpoint signing key, and the published history of its keys.

A rotation (`frsgate ledger rotate-key`, with the service stopped: a running service keeps
signing with the key it loaded):

1. records `ledger:key:rotate` on the ledger, naming the retiring and the new key;
2. issues the handover checkpoint over that entry, signed by the retiring key, and adds the new
   key's signature to the same note, so one checkpoint carries both and ties them together;
3. appends the retiring key's verifier string and the handover size to the key history
   (`keys/ledger-key-history.txt`, public), then puts the new key in place of the old one (a
   rename: the old private key is gone).

Every later checkpoint is signed by the new key only; the retired key stays valid for the
checkpoints it signed up to the handover size and for nothing after (`KeyHistory`), so old
checkpoints still verify and a leaked old key cannot extend the log. A rotation interrupted
before step 3 leaves the old key in place (run it again); after the history is written and
before the rename, running it again finishes the rename.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, select, update

from frsgate.config import Settings
from frsgate.errors import ValidationFailed
from frsgate.keyfiles import read_private_file, write_private_file
from frsgate.ledger import Actor, EntryDraft, EventTag, Ledger, Outcome
from frsgate.ledger.cosignature import add_signature_lines
from frsgate.ledger.notes import (
    CheckpointSigner,
    HistoricKey,
    KeyHistory,
    load_or_create_signing_key,
)
from frsgate.store.schema.ledger import ledger_checkpoints

COMPONENT = "services.ledger_keys"
HISTORY_FILE = "ledger-key-history.txt"


def history_path(settings: Settings) -> Path:
    return settings.keys_dir / HISTORY_FILE


def _pending_path(settings: Settings) -> Path:
    return settings.ledger_key_path.with_name(settings.ledger_key_path.name + ".next")


def key_history(settings: Settings) -> KeyHistory:
    """The retired keys from the history file and the current key: what verifies every
    checkpoint this installation ever signed."""
    current = load_or_create_signing_key(
        settings.ledger_key_path, name=settings.ledger_origin, create=False
    )
    path = history_path(settings)
    retired = path.read_text(encoding="utf-8") if path.exists() else ""
    return KeyHistory.parse(f"{retired}{HistoricKey(current.verifier).line()}\n")


@dataclass(frozen=True, slots=True)
class Rotation:
    retired: str
    new: str
    handover_size: int


def _pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def rotate_ledger_key(settings: Settings, engine: Engine, *, source: str = "cli") -> Rotation:
    """Rotate the checkpoint signing key (steps in the module's docstring)."""
    pending = _pending_path(settings)
    old = load_or_create_signing_key(
        settings.ledger_key_path, name=settings.ledger_origin, create=False
    )
    history = key_history(settings)
    if pending.exists():
        pending_key = serialization.load_pem_private_key(read_private_file(pending), password=None)
        if not isinstance(pending_key, Ed25519PrivateKey):
            raise ValidationFailed(f"{pending} is not an Ed25519 key; remove it and rotate again")
        last_retired = history.keys[-2].verifier if len(history.keys) > 1 else None
        if last_retired is not None and last_retired.public_key == old.public_key:
            # Interrupted after the history was written: finish the rename.
            os.replace(pending, settings.ledger_key_path)
            finished = CheckpointSigner(pending_key, settings.ledger_origin)
            return Rotation(old.verifier.verifier_string, finished.verifier.verifier_string,
                            history.keys[-2].retired_at or 0)  # fmt: skip
        pending.unlink()  # interrupted before the history: start again with a fresh key
    new_key = Ed25519PrivateKey.generate()
    new = CheckpointSigner(new_key, settings.ledger_origin)
    with Ledger(engine, signer=old, origin=settings.ledger_origin) as ledger:
        ledger.append(
            EntryDraft(
                event=EventTag.LEDGER_KEY_ROTATE, actor=Actor.system(), outcome=Outcome.SUCCEEDED,
                subject="ledger:key", component=COMPONENT, source=source,
                details={"retired_key": old.verifier.verifier_string,
                         "new_key": new.verifier.verifier_string},
            )
        )  # fmt: skip
        handover = ledger.checkpoint()
    body = handover.checkpoint.body()
    both = add_signature_lines(handover.note, new.sign_note(body).split("\n\n", 1)[1])
    with engine.begin() as conn:
        stored = conn.execute(
            select(ledger_checkpoints.c.note).where(
                ledger_checkpoints.c.tree_size == handover.tree_size
            )
        ).scalar_one()
        conn.execute(
            update(ledger_checkpoints)
            .where(ledger_checkpoints.c.tree_size == handover.tree_size)
            .values(note=add_signature_lines(stored, both.split("\n\n", 1)[1]))
        )
    write_private_file(pending, _pem(new_key))
    path = history_path(settings)
    retired = HistoricKey(old.verifier, handover.tree_size)
    # Kept 0600 beside the keys (it is public, but backup and restore carry it as a key file).
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        out.write(retired.line() + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(pending, settings.ledger_key_path)
    return Rotation(old.verifier.verifier_string, new.verifier.verifier_string, handover.tree_size)
