"""Checkpoints: a C2SP `tlog-checkpoint` body inside a C2SP `signed-note`, signed with Ed25519.

Body (c2sp.org/tlog-checkpoint)::

    <origin>\\n<tree size in decimal>\\n<root hash in base64>\\n

Note (c2sp.org/signed-note): the body, an empty line, then one signature line per signer::

    — <key name> <base64(key hash (4 bytes) || Ed25519 signature (64 bytes))>\\n

The key hash is the first four bytes of SHA-256(name || 0x0A || 0x01 || public key), 0x01 being
the Ed25519 signature type. An auditor needs only the *verifier string*
``<name>+<key hash in hex>+<base64(0x01 || public key)>``, which `frsgate ledger key` prints.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from frsgate.keyfiles import load_or_create_ed25519_key
from frsgate.ledger.merkle import HASH_SIZE, InvalidProof

ED25519_TYPE = b"\x01"  # C2SP signed-note signature type for Ed25519
SIGNATURE_PREFIX = "\u2014 "  # em dash and space open every signature line
_NAME = re.compile(r"^[^\s+]+$")  # key names: non-empty, no whitespace, no plus sign


def _key_hash(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + ED25519_TYPE + public).digest()[:4]


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise InvalidProof(f"key name {name!r} must be non-empty with no spaces or '+'")
    return name


def split_note(note: str) -> tuple[str, list[tuple[str, str]]]:
    """A signed note's body (with its final newline) and its signature lines as (key name,
    base64 blob), in order; `InvalidProof` if `note` is not a signed note (c2sp.org/signed-note).
    Log signatures and witness cosignatures are read from the same lines."""
    body, sep, signatures = note.rpartition("\n\n")
    if not sep or not signatures.endswith("\n"):
        raise InvalidProof("not a signed note: no blank line before the signatures")
    lines = []
    for line in signatures[:-1].split("\n"):
        if not line.startswith(SIGNATURE_PREFIX):
            raise InvalidProof(f"malformed signature line {line[:40]!r}")
        name, _, blob = line[len(SIGNATURE_PREFIX) :].partition(" ")
        lines.append((name, blob))
    return body + "\n", lines


def parse_vkey(
    text: str, key_type: bytes, what: str, kind: str = "Ed25519"
) -> tuple[str, bytes, bytes]:
    """A verifier string ``name+hash+base64(type || key)`` as (name, key hash, Ed25519 key);
    `InvalidProof` naming what is wrong. `what` and `kind` name the key in messages."""
    parts = text.strip().split("+", 2)  # base64 may itself contain '+'
    if len(parts) != 3:
        raise InvalidProof(f"a {what} verifier string has the form name+hash+key")
    name, hash_hex, key_b64 = parts
    try:
        raw = base64.b64decode(key_b64, validate=True)
        expected_hash = bytes.fromhex(hash_hex)
    except (binascii.Error, ValueError):
        raise InvalidProof(f"{what} verifier string has a malformed hash or key") from None
    if len(raw) != 33 or raw[:1] != key_type:
        raise InvalidProof(f"{what} verifier key is not an {kind} key")
    return name, expected_hash, raw[1:]


class CheckpointSigner:
    """Signs checkpoint bodies with one Ed25519 key under one key name (the log origin)."""

    __slots__ = ("_key", "name", "public_key")

    def __init__(self, key: Ed25519PrivateKey, name: str) -> None:
        self._key = key
        self.name = _check_name(name)
        self.public_key = _raw_public(key.public_key())

    def __repr__(self) -> str:  # never the private key
        return f"CheckpointSigner(name={self.name!r}, key_hash={self.key_hash.hex()})"

    @property
    def key_hash(self) -> bytes:
        return _key_hash(self.name, self.public_key)

    @property
    def verifier(self) -> NoteVerifier:
        return NoteVerifier(self.name, Ed25519PublicKey.from_public_bytes(self.public_key))

    def sign_note(self, body: str) -> str:
        """The signed note of `body` (which must end with a newline)."""
        if not body.endswith("\n"):
            raise ValueError("a note body ends with a newline")
        signature = self._key.sign(body.encode())
        blob = base64.b64encode(self.key_hash + signature).decode()
        return f"{body}\n{SIGNATURE_PREFIX}{self.name} {blob}\n"


class NoteVerifier:
    """Checks signed notes against one Ed25519 key, as an auditor holding the verifier string."""

    __slots__ = ("_key", "key_hash", "name", "public_key")

    def __init__(self, name: str, key: Ed25519PublicKey) -> None:
        self.name = _check_name(name)
        self._key = key
        self.public_key = _raw_public(key)
        self.key_hash = _key_hash(name, self.public_key)

    def __repr__(self) -> str:
        return f"NoteVerifier({self.verifier_string!r})"

    @property
    def verifier_string(self) -> str:
        key = base64.b64encode(ED25519_TYPE + self.public_key).decode()
        return f"{self.name}+{self.key_hash.hex()}+{key}"

    @classmethod
    def parse(cls, text: str) -> NoteVerifier:
        """Read a verifier string ``name+hash+base64key``; `InvalidProof` if malformed."""
        name, expected_hash, key = parse_vkey(text, ED25519_TYPE, "note")
        verifier = cls(name, Ed25519PublicKey.from_public_bytes(key))
        if verifier.key_hash != expected_hash:
            raise InvalidProof("note verifier string's key hash does not match its key")
        return verifier

    def open(self, note: str) -> str:
        """The body of `note` if this key signed it; `InvalidProof` otherwise."""
        body, lines = split_note(note)
        found_name = False
        for name, blob in lines:
            if name != self.name:
                continue
            found_name = True
            try:
                raw = base64.b64decode(blob, validate=True)
            except binascii.Error:
                raise InvalidProof("signature is not valid base64") from None
            if len(raw) != 4 + 64 or raw[:4] != self.key_hash:
                continue  # another key under the same name
            if base64.b64encode(raw).decode() != blob:
                # Base64's unused trailing bits would let the stored text change unnoticed.
                raise InvalidProof(f"the signature by {self.name} is not canonical base64")
            try:
                self._key.verify(raw[4:], body.encode())
            except InvalidSignature:
                raise InvalidProof(f"the signature by {self.name} does not verify") from None
            return body
        if found_name:
            raise InvalidProof(f"the note is signed by another key named {self.name}")
        raise InvalidProof(f"the note carries no signature by {self.name}")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A parsed checkpoint body: the log's origin, tree size and root hash."""

    origin: str
    tree_size: int
    root: bytes

    def body(self) -> str:
        return f"{self.origin}\n{self.tree_size}\n{base64.b64encode(self.root).decode()}\n"

    @classmethod
    def parse(cls, body: str) -> Checkpoint:
        lines = body.split("\n")
        if len(lines) < 4 or lines[-1] != "":
            raise InvalidProof("a checkpoint body has an origin, a size and a root line")
        origin, size_text, root_text = lines[0], lines[1], lines[2]
        if not origin or not re.fullmatch(r"0|[1-9][0-9]*", size_text):
            raise InvalidProof("checkpoint origin is empty or its size is not a decimal number")
        try:
            root = base64.b64decode(root_text, validate=True)
        except binascii.Error:
            raise InvalidProof("checkpoint root is not valid base64") from None
        if len(root) != HASH_SIZE:
            raise InvalidProof("checkpoint root is not a SHA-256 hash")
        return cls(origin=origin, tree_size=int(size_text), root=root)


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    """A checkpoint with its signed note text, as stored and as published."""

    checkpoint: Checkpoint
    note: str

    @property
    def tree_size(self) -> int:
        return self.checkpoint.tree_size

    @property
    def root(self) -> bytes:
        return self.checkpoint.root

    def to_json(self) -> dict[str, object]:
        return {
            "origin": self.checkpoint.origin,
            "tree_size": self.checkpoint.tree_size,
            "root": base64.b64encode(self.checkpoint.root).decode(),
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class HistoricKey:
    """A log key with the last tree size it may sign (None: the current key)."""

    verifier: NoteVerifier
    retired_at: int | None = None

    def line(self) -> str:
        """Its line in the published key history: verifier string, then the size or `current`."""
        until = "current" if self.retired_at is None else str(self.retired_at)
        return f"{self.verifier.verifier_string} {until}"


class KeyHistory:
    """Every key the log has signed with, oldest first, the last one current.

    A rotated-out key stays valid for the checkpoints it signed before it was retired, and
    for nothing after: a checkpoint larger than a key's retirement size that carries only that
    key's signature is refused (someone holding an old private key cannot extend the log).
    The rotation's handover checkpoint is signed by both keys, which ties each key to the next.
    """

    __slots__ = ("keys",)

    def __init__(self, keys: list[HistoricKey]) -> None:
        if not keys or keys[-1].retired_at is not None:
            raise InvalidProof("a key history ends with the current key")
        if any(k.retired_at is None for k in keys[:-1]):
            raise InvalidProof("only the last key of a history is current")
        if len({k.verifier.name for k in keys}) != 1:
            raise InvalidProof("every key of a log's history has the log's name")
        sizes = [k.retired_at for k in keys[:-1] if k.retired_at is not None]
        if sizes != sorted(sizes):
            raise InvalidProof("retired keys are listed in the order they were retired")
        self.keys = keys

    @property
    def name(self) -> str:
        return self.keys[-1].verifier.name

    @property
    def current(self) -> NoteVerifier:
        return self.keys[-1].verifier

    def text(self) -> str:
        return "".join(f"{k.line()}\n" for k in self.keys)

    @classmethod
    def parse(cls, text: str) -> KeyHistory:
        """Read the published form (`text`): one `VERIFIER SIZE|current` per line."""
        keys = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            verifier_text, _, size = line.strip().rpartition(" ")
            if size != "current" and not size.isdigit():
                raise InvalidProof(
                    f"key history line {number}: ends with neither a size nor 'current'"
                )
            keys.append(
                HistoricKey(
                    NoteVerifier.parse(verifier_text), None if size == "current" else int(size)
                )
            )
        return cls(keys)

    def open(self, note: str) -> str:
        """The body of `note` if a key of the history may have signed it; `InvalidProof`."""
        refused: str | None = None
        for key in reversed(self.keys):
            try:
                body = key.verifier.open(note)
            except InvalidProof as exc:
                refused = refused or str(exc)
                continue
            if key.retired_at is not None and Checkpoint.parse(body).tree_size > key.retired_at:
                refused = (
                    f"signed only by a key retired at tree size {key.retired_at}, "
                    "which may not sign a later checkpoint"
                )
                continue
            return body
        raise InvalidProof(refused or "the note carries no signature by the log's keys")


class NoteOpener(Protocol):
    """What opens a checkpoint note: one key (`NoteVerifier`) or a log's history of keys."""

    @property
    def name(self) -> str: ...

    def open(self, note: str) -> str: ...


def sign_checkpoint(signer: CheckpointSigner, checkpoint: Checkpoint) -> SignedCheckpoint:
    return SignedCheckpoint(checkpoint, signer.sign_note(checkpoint.body()))


def open_checkpoint(
    verifier: NoteOpener, note: str, *, origin: str | None = None
) -> SignedCheckpoint:
    """Verify `note`'s signature and parse its body; `InvalidProof` if either fails."""
    checkpoint = Checkpoint.parse(verifier.open(note))
    if origin is not None and checkpoint.origin != origin:
        raise InvalidProof(f"checkpoint is for log {checkpoint.origin!r}, not {origin!r}")
    return SignedCheckpoint(checkpoint, note)


def load_or_create_signing_key(path: Path, *, name: str, create: bool = True) -> CheckpointSigner:
    """The ledger's checkpoint signer from the PEM key at `path` (Settings.ledger_key_path),
    created with 0600 permissions when absent (and `create`)."""
    return CheckpointSigner(load_or_create_ed25519_key(path, create=create), name)
