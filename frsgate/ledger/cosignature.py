"""Witness cosignatures of checkpoints: C2SP tlog-cosignature, Ed25519 (`cosignature/v1`).

A witness that has checked a checkpoint is consistent with every earlier one it saw signs

    cosignature/v1\\n time <POSIX seconds>\\n <the checkpoint body>

and appends a signed-note signature line to the checkpoint::

    — <witness name> base64(key ID (4 bytes) || timestamp (u64, big-endian) || signature (64))

The key ID is SHA-256(name || 0x0A || 0x04 || public key)[:4] (c2sp.org/tlog-cosignature), 0x04
being the cosignature/v1 type: a witness key never verifies as a log key (type 0x01) or the
other way round. A verifier string ``<name>+<key ID hex>+<base64(0x04 || public key)>`` (a C2SP
vkey) is all an auditor needs to check a cosignature.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from frsgate.ledger.merkle import InvalidProof
from frsgate.ledger.notes import SIGNATURE_PREFIX, Checkpoint, parse_vkey, split_note

COSIGNATURE_TYPE = b"\x04"  # c2sp.org/tlog-cosignature: Ed25519 cosignature/v1
HEADER = "cosignature/v1\n"
_MAX_TIMESTAMP = 2**63 - 1


def _key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + COSIGNATURE_TYPE + public).digest()[:4]


def _check_name(name: str) -> str:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise InvalidProof(f"witness name {name!r} must be non-empty with no spaces or '+'")
    return name


def signed_message(body: str, timestamp: int) -> bytes:
    """What a cosignature signs: the header, the time line and the whole checkpoint body."""
    if not 0 <= timestamp <= _MAX_TIMESTAMP:
        raise InvalidProof("a cosignature's timestamp is out of range")
    return f"{HEADER}time {timestamp}\n{body}".encode()


class Cosigner:
    """A witness's signing key under its name (the private key never leaves this object)."""

    __slots__ = ("_key", "name", "public_key")

    def __init__(self, key: Ed25519PrivateKey, name: str) -> None:
        self._key = key
        self.name = _check_name(name)
        self.public_key = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    def __repr__(self) -> str:
        return f"Cosigner(name={self.name!r}, key_id={_key_id(self.name, self.public_key).hex()})"

    @property
    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier(self.name, self.public_key)

    def cosign(self, checkpoint: Checkpoint, timestamp: int) -> str:
        """The signature line (with its newline) cosigning `checkpoint` at `timestamp`."""
        signature = self._key.sign(signed_message(checkpoint.body(), timestamp))
        blob = _key_id(self.name, self.public_key) + struct.pack(">Q", timestamp) + signature
        return f"{SIGNATURE_PREFIX}{self.name} {base64.b64encode(blob).decode()}\n"


@dataclass(frozen=True, slots=True)
class CosignatureVerifier:
    """Checks one witness's cosignatures; built from its verifier string."""

    name: str
    public_key: bytes

    def __post_init__(self) -> None:
        _check_name(self.name)
        if len(self.public_key) != 32:
            raise InvalidProof("a witness key is a 32-byte Ed25519 public key")

    @property
    def key_id(self) -> bytes:
        return _key_id(self.name, self.public_key)

    @property
    def verifier_string(self) -> str:
        key = base64.b64encode(COSIGNATURE_TYPE + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{key}"

    @classmethod
    def parse(cls, text: str) -> CosignatureVerifier:
        """Read ``name+keyid+base64(0x04 || key)``; `InvalidProof` naming what is wrong."""
        name, expected, key = parse_vkey(
            text, COSIGNATURE_TYPE, "witness", "Ed25519 cosignature/v1"
        )
        verifier = cls(name, key)
        if verifier.key_id != expected:
            raise InvalidProof("witness verifier string's key ID does not match its key")
        return verifier

    def timestamp_in(self, note: str) -> int:
        """The time this witness cosigned the checkpoint in `note` (a signed note whose
        signature lines may include others'); `InvalidProof` if it did not, or not validly."""
        body, lines = split_note(note)
        Checkpoint.parse(body)
        seen = False
        for name, blob in lines:
            if name != self.name:
                continue
            try:
                raw = base64.b64decode(blob, validate=True)
            except binascii.Error:
                raise InvalidProof(f"the cosignature by {self.name} is not base64") from None
            if len(raw) != 4 + 8 + 64 or raw[:4] != self.key_id:
                seen = True
                continue  # another key or type under the same name
            if base64.b64encode(raw).decode() != blob:
                raise InvalidProof(f"the cosignature by {self.name} is not canonical base64")
            (timestamp,) = struct.unpack(">Q", raw[4:12])
            try:
                Ed25519PublicKey.from_public_bytes(self.public_key).verify(
                    raw[12:], signed_message(body, timestamp)
                )
            except InvalidSignature:
                raise InvalidProof(f"the cosignature by {self.name} does not verify") from None
            return int(timestamp)
        if seen:
            raise InvalidProof(f"the note is cosigned by another key named {self.name}")
        raise InvalidProof(f"the note carries no cosignature by witness {self.name}")


def add_signature_lines(note: str, lines: str) -> str:
    """`note` with signature `lines` appended, each line once (a note keeps its own lines)."""
    have = set(note.rstrip("\n").split("\n"))
    extra = [line for line in lines.rstrip("\n").split("\n") if line and line not in have]
    return note + "".join(f"{line}\n" for line in extra)
