"""C2SP tlog-cosignature (Ed25519, cosignature/v1): what a witness signs, how its line is built,
and every way a cosignature can fail to verify."""

from __future__ import annotations

import base64
import hashlib
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from frsgate.ledger.cosignature import (
    CosignatureVerifier,
    Cosigner,
    add_signature_lines,
    signed_message,
)
from frsgate.ledger.merkle import InvalidProof
from frsgate.ledger.notes import Checkpoint, CheckpointSigner, sign_checkpoint

ORIGIN = "frsgate.test/ledger"
CHECKPOINT = Checkpoint(ORIGIN, 20852163, hashlib.sha256(b"root").digest())


@pytest.fixture
def cosigner() -> Cosigner:
    return Cosigner(Ed25519PrivateKey.generate(), "witness.test/w1")


@pytest.fixture
def note() -> str:
    return sign_checkpoint(CheckpointSigner(Ed25519PrivateKey.generate(), ORIGIN), CHECKPOINT).note


def test_the_signed_message_is_header_time_and_the_whole_body() -> None:
    assert signed_message(CHECKPOINT.body(), 1679315147) == (
        b"cosignature/v1\ntime 1679315147\n" + CHECKPOINT.body().encode()
    )


def test_a_cosignature_line_carries_key_id_timestamp_and_signature(
    cosigner: Cosigner, note: str
) -> None:
    line = cosigner.cosign(CHECKPOINT, 1679315147)
    assert line.startswith("\u2014 witness.test/w1 ")
    assert line.endswith("\n")
    raw = base64.b64decode(line.split(" ")[2])
    assert len(raw) == 4 + 8 + 64
    # Key ID: SHA-256(name || "\n" || 0x04 || public key)[:4] (c2sp.org/tlog-cosignature).
    assert raw[:4] == hashlib.sha256(b"witness.test/w1\n\x04" + cosigner.public_key).digest()[:4]
    assert struct.unpack(">Q", raw[4:12]) == (1679315147,)
    cosigned = add_signature_lines(note, line)
    assert cosigner.verifier.timestamp_in(cosigned) == 1679315147


def test_the_verifier_string_round_trips(cosigner: Cosigner) -> None:
    text = cosigner.verifier.verifier_string
    assert text.startswith("witness.test/w1+")
    assert CosignatureVerifier.parse(text) == cosigner.verifier


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("no-plus-signs", "has the form"),
        ("w+zz+AAAA", "malformed"),
        ("w+00000000+" + base64.b64encode(b"\x01" + bytes(32)).decode(), "not an Ed25519 cosig"),
        ("w+00000000+" + base64.b64encode(b"\x04" + bytes(32)).decode(), "does not match"),
    ],
)
def test_a_bad_verifier_string_is_named(text: str, words: str) -> None:
    with pytest.raises(InvalidProof, match=words):
        CosignatureVerifier.parse(text)


def test_a_log_key_line_is_not_a_cosignature(cosigner: Cosigner, note: str) -> None:
    # The log's own signature (type 0x01) under the witness's name never passes as one.
    impostor = CheckpointSigner(Ed25519PrivateKey.generate(), "witness.test/w1")
    forged = impostor.sign_note(CHECKPOINT.body())
    line = forged.split("\n\n", 1)[1]
    with pytest.raises(InvalidProof, match="another key named"):
        cosigner.verifier.timestamp_in(add_signature_lines(note, line))


def test_a_changed_timestamp_or_body_does_not_verify(cosigner: Cosigner, note: str) -> None:
    line = cosigner.cosign(CHECKPOINT, 1000)
    name, blob = line.rstrip("\n").split(" ")[1:]
    raw = bytearray(base64.b64decode(blob))
    raw[11] ^= 1  # the timestamp's last byte
    shifted = f"\u2014 {name} {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(InvalidProof, match="does not verify"):
        cosigner.verifier.timestamp_in(add_signature_lines(note, shifted))
    other = Checkpoint(ORIGIN, CHECKPOINT.tree_size + 1, CHECKPOINT.root)
    moved = sign_checkpoint(CheckpointSigner(Ed25519PrivateKey.generate(), ORIGIN), other).note
    with pytest.raises(InvalidProof, match="does not verify"):
        cosigner.verifier.timestamp_in(add_signature_lines(moved, line))


def test_no_cosignature_is_named(cosigner: Cosigner, note: str) -> None:
    with pytest.raises(InvalidProof, match="no cosignature by witness"):
        cosigner.verifier.timestamp_in(note)


def test_adding_lines_keeps_each_once(cosigner: Cosigner, note: str) -> None:
    line = cosigner.cosign(CHECKPOINT, 5)
    once = add_signature_lines(note, line)
    assert add_signature_lines(once, line) == once
    assert once.count("\n\u2014 ") == 2
