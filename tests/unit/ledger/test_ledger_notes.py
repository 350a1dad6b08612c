"""Checkpoint notes: C2SP signed-note and tlog-checkpoint formats, verifier strings, key files."""

from __future__ import annotations

import base64
import hashlib
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from frsgate.errors import ConfigurationError
from frsgate.ledger.merkle import InvalidProof
from frsgate.ledger.notes import (
    Checkpoint,
    CheckpointSigner,
    NoteVerifier,
    load_or_create_signing_key,
    open_checkpoint,
    sign_checkpoint,
)

ROOT = hashlib.sha256(b"root").digest()


def test_verifier_string_follows_signed_note(signer: CheckpointSigner) -> None:
    text = signer.verifier.verifier_string
    name, key_hash, key = text.split("+", 2)
    raw = base64.b64decode(key)
    assert name == signer.name
    assert raw[0] == 1
    assert len(raw) == 33
    expected = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
    assert bytes.fromhex(key_hash) == expected
    assert NoteVerifier.parse(text).verifier_string == text
    assert "PRIVATE" not in repr(signer)
    assert signer.name in repr(signer)


def test_sign_and_open_round_trip(signer: CheckpointSigner) -> None:
    signed = sign_checkpoint(signer, Checkpoint(signer.name, 7, ROOT))
    body, _, sig_line = signed.note.partition("\n\n")
    assert body == f"{signer.name}\n7\n{base64.b64encode(ROOT).decode()}"
    blob = base64.b64decode(sig_line.removeprefix("\u2014 " + signer.name + " "))
    assert blob[:4] == signer.key_hash
    assert len(blob) == 68
    verifier = NoteVerifier.parse(signer.verifier.verifier_string)
    assert open_checkpoint(verifier, signed.note, origin=signer.name) == signed


@pytest.mark.parametrize(
    "mutate",
    [
        lambda n: n.replace("\n7\n", "\n8\n"),
        lambda n: n.replace("\n\n", "\n"),
        lambda n: n[:-2] + ("A" if n[-2] != "A" else "B") + "\n",
        lambda n: n.replace("\u2014 ", "- "),
        lambda n: n.split("\u2014")[0] + "\u2014 other AAAA\n",
    ],
)
def test_tampered_notes_are_refused(signer: CheckpointSigner, mutate: object) -> None:
    signed = sign_checkpoint(signer, Checkpoint(signer.name, 7, ROOT))
    with pytest.raises(InvalidProof):
        open_checkpoint(signer.verifier, mutate(signed.note))  # type: ignore[operator]


def test_extra_signatures_by_other_keys_are_ignored(signer: CheckpointSigner) -> None:
    signed = sign_checkpoint(signer, Checkpoint(signer.name, 7, ROOT))
    cosigned = signed.note + "\u2014 witness.example AAAAAAAA\n"
    assert open_checkpoint(signer.verifier, cosigned).tree_size == 7


def test_another_key_with_the_same_name_is_refused(signer: CheckpointSigner) -> None:
    forger = CheckpointSigner(Ed25519PrivateKey.generate(), signer.name)
    forged = sign_checkpoint(forger, Checkpoint(signer.name, 7, ROOT))
    with pytest.raises(InvalidProof, match="another key"):
        open_checkpoint(signer.verifier, forged.note)


def test_wrong_origin_is_refused(signer: CheckpointSigner) -> None:
    signed = sign_checkpoint(signer, Checkpoint("elsewhere", 1, ROOT))
    with pytest.raises(InvalidProof, match="not"):
        open_checkpoint(signer.verifier, signed.note, origin=signer.name)


@pytest.mark.parametrize(
    "text", ["", "a+b", "a+zz+AAAA", "a+00000000+" + base64.b64encode(b"\x01" + b"0" * 32).decode()]
)
def test_bad_verifier_strings(text: str) -> None:
    with pytest.raises(InvalidProof):
        NoteVerifier.parse(text)


def test_checkpoint_body_parsing() -> None:
    body = Checkpoint("o", 3, ROOT).body()
    assert Checkpoint.parse(body) == Checkpoint("o", 3, ROOT)
    assert Checkpoint.parse(body + "extension line\n").tree_size == 3
    for bad in ("o\n3\n", "o\n03\n" + body.split("\n")[2] + "\n", "o\n3\nAAAA\n", "\n3\nx\n"):
        with pytest.raises(InvalidProof):
            Checkpoint.parse(bad)


def test_signing_key_file_is_private_and_reloaded(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "ledger-ed25519.pem"
    first = load_or_create_signing_key(path, name="o")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_or_create_signing_key(path, name="o", create=False)
    assert again.public_key == first.public_key
    path.chmod(0o644)
    with pytest.raises(ConfigurationError):
        load_or_create_signing_key(path, name="o")
    with pytest.raises(ConfigurationError):
        load_or_create_signing_key(tmp_path / "absent.pem", name="o", create=False)
