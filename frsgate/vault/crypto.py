"""Envelope encryption at rest for probe and candidate images.

Every object gets a fresh 256-bit data key; the data is sealed with AES-256-GCM under that key
and the data key is itself sealed (wrapped) with AES-256-GCM under the key-encryption key (KEK).
The caller's associated data (the probe's or candidate's id, see `probe_aad`/`candidate_aad`) is
bound into *both* layers, so a ciphertext moved to another row, or an old one replayed under a
new id, fails to open instead of yielding another object's image.

Why AES-GCM and not AES key wrap (RFC 3394) for the data key: RFC 3394 takes no associated
data, so a wrapped key could be lifted onto another object unnoticed until the data layer
failed; GCM binds the object id and the blob header at the wrap layer too, and the project
already depends on it. Each wrap uses a random 96-bit nonce under the KEK; NIST SP 800-38D
§8.3 allows 2^32 such invocations per key, far above any probe vault's count between KEK
rotations (`rewrap` re-seals a blob under a new KEK).

Storage form (`SealedBlob.to_bytes`), fixed-width fields then the ciphertext:
``version(1) | kek_id(8) | wrap_nonce(12) | wrapped_key(32+16) | nonce(12) | ciphertext+tag``.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from frsgate.errors import ConfigurationError, FrsGateError
from frsgate.keyfiles import write_private_file

FORMAT_VERSION = 1
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # 96-bit GCM nonce, NIST SP 800-38D §8.2
TAG_BYTES = 16
KEK_ID_BYTES = 8
WRAPPED_KEY_BYTES = KEY_BYTES + TAG_BYTES
_HEADER_BYTES = 1 + KEK_ID_BYTES
_FIXED_BYTES = _HEADER_BYTES + NONCE_BYTES + WRAPPED_KEY_BYTES + NONCE_BYTES

# Domain labels keep the two layers' associated data distinct from each other and from any
# other use of AES-GCM in the project.
_WRAP_LABEL = b"frsgate/vault/v1/data-key\x00"
_DATA_LABEL = b"frsgate/vault/v1/data\x00"
_KEK_ID_LABEL = b"frsgate/vault/kek-id\x00"


class VaultIntegrityError(FrsGateError):
    """A sealed object cannot be opened: wrong key, wrong id, or altered bytes. Never garbage."""


class KeyEncryptionKey:
    """The vault's 256-bit key-encryption key. Its repr shows only its public id."""

    __slots__ = ("_key", "kek_id")

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, bytes | bytearray) or len(key) != KEY_BYTES:
            raise ConfigurationError(
                f"a vault key-encryption key must be exactly {KEY_BYTES} bytes"
            )
        self._key = bytes(key)
        # A fingerprint, not the key: lets a blob say which KEK wrapped it, so rotation works.
        self.kek_id = hashlib.sha256(_KEK_ID_LABEL + self._key).digest()[:KEK_ID_BYTES]

    @classmethod
    def generate(cls) -> KeyEncryptionKey:
        return cls(os.urandom(KEY_BYTES))

    @property
    def kek_id_hex(self) -> str:
        return self.kek_id.hex()

    def _aead(self) -> AESGCM:
        return AESGCM(self._key)

    def __repr__(self) -> str:
        return f"KeyEncryptionKey(kek_id={self.kek_id_hex})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, KeyEncryptionKey):
            return NotImplemented
        return hmac.compare_digest(self._key, other._key)

    def __hash__(self) -> int:
        return hash(self.kek_id)

    def __reduce__(self) -> str | tuple[object, ...]:
        # Refuse pickling: a pickled KEK would be a copy of the key outside its 0600 file.
        raise TypeError("KeyEncryptionKey cannot be pickled")


def load_or_create_kek(path: Path, *, create: bool = True) -> KeyEncryptionKey:
    """Load the raw 32-byte KEK at `path`, creating it (mode 0600) when absent and allowed.

    Refuses a file of the wrong length, a non-regular file, and one that group or others may
    read or write. Creation never replaces an existing file: two processes starting together
    end up with the same key, since losing a KEK loses every image sealed under it.
    """
    if create and not path.exists():
        # Never replaces a key: if another process created it first, theirs is kept.
        with contextlib.suppress(FileExistsError):
            write_private_file(path, os.urandom(KEY_BYTES))
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        raise ConfigurationError(
            f"vault key-encryption key {path} is missing; run `frsgate init`"
        ) from None
    except OSError as exc:
        raise ConfigurationError(
            f"vault key-encryption key {path} cannot be opened: {exc.strerror or exc}"
        ) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigurationError(f"vault key-encryption key {path} is not a regular file")
        if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigurationError(
                f"vault key-encryption key {path} has permissions "
                f"{stat.filemode(info.st_mode)}; it must be 0600 (chmod 600 {path})"
            )
        data = os.read(fd, KEY_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) != KEY_BYTES:
        raise ConfigurationError(
            f"vault key-encryption key {path} must hold exactly {KEY_BYTES} bytes "
            f"(found {'more' if len(data) > KEY_BYTES else len(data)}); it is damaged or not a KEK"
        )
    return KeyEncryptionKey(data)


@dataclass(frozen=True, slots=True)
class SealedBlob:
    """One sealed object: the wrapped data key, the data nonce and the ciphertext with its tag."""

    kek_id: bytes
    wrap_nonce: bytes
    wrapped_key: bytes
    nonce: bytes
    ciphertext: bytes
    version: int = FORMAT_VERSION

    def header(self) -> bytes:
        return bytes([self.version]) + self.kek_id

    def to_bytes(self) -> bytes:
        return self.header() + self.wrap_nonce + self.wrapped_key + self.nonce + self.ciphertext

    @classmethod
    def from_bytes(cls, raw: bytes) -> SealedBlob:
        if len(raw) < _FIXED_BYTES + TAG_BYTES:
            raise VaultIntegrityError(
                f"sealed object is truncated: {len(raw)} bytes, at least "
                f"{_FIXED_BYTES + TAG_BYTES} expected"
            )
        if raw[0] != FORMAT_VERSION:
            raise VaultIntegrityError(
                f"sealed object has format version {raw[0]}; this build reads {FORMAT_VERSION}"
            )
        at = 1
        fields: list[bytes] = []
        for width in (KEK_ID_BYTES, NONCE_BYTES, WRAPPED_KEY_BYTES, NONCE_BYTES):
            fields.append(raw[at : at + width])
            at += width
        kek_id, wrap_nonce, wrapped_key, nonce = fields
        return cls(kek_id, wrap_nonce, wrapped_key, nonce, raw[at:], version=raw[0])


def probe_aad(probe_id: str) -> bytes:
    """Associated data for a probe image: its kind and id, so nothing else opens it."""
    return b"probe\x00" + probe_id.encode("utf-8")


def candidate_aad(candidate_id: str) -> bytes:
    """Associated data for a candidate image returned by an FRS."""
    return b"candidate\x00" + candidate_id.encode("utf-8")


def _layer_aad(label: bytes, header: bytes, associated_data: bytes) -> bytes:
    # The header (version, kek id) is fixed-width, so the concatenation is unambiguous.
    return label + header + associated_data


def seal(plaintext: bytes, *, kek: KeyEncryptionKey, associated_data: bytes) -> SealedBlob:
    """Encrypt `plaintext` under a fresh data key wrapped by `kek`, bound to `associated_data`."""
    data_key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
    header = bytes([FORMAT_VERSION]) + kek.kek_id
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(data_key).encrypt(
        nonce, plaintext, _layer_aad(_DATA_LABEL, header, associated_data)
    )
    wrap_nonce = os.urandom(NONCE_BYTES)
    wrapped_key = kek._aead().encrypt(
        wrap_nonce, data_key, _layer_aad(_WRAP_LABEL, header, associated_data)
    )
    return SealedBlob(kek.kek_id, wrap_nonce, wrapped_key, nonce, ciphertext)


def _unwrap(blob: SealedBlob, kek: KeyEncryptionKey, associated_data: bytes) -> bytes:
    if blob.version != FORMAT_VERSION:
        raise VaultIntegrityError(
            f"sealed object has format version {blob.version}; this build reads {FORMAT_VERSION}"
        )
    if not hmac.compare_digest(blob.kek_id, kek.kek_id):
        raise VaultIntegrityError(
            f"sealed object was wrapped by key-encryption key {blob.kek_id.hex()}, "
            f"not by the loaded one ({kek.kek_id_hex}); load that key or rewrap the object"
        )
    try:
        return kek._aead().decrypt(
            blob.wrap_nonce,
            blob.wrapped_key,
            _layer_aad(_WRAP_LABEL, blob.header(), associated_data),
        )
    except InvalidTag:
        raise VaultIntegrityError(
            "sealed object's data key does not open: it belongs to another object id "
            "or its wrapped key was altered"
        ) from None


def open_sealed(blob: SealedBlob, *, kek: KeyEncryptionKey, associated_data: bytes) -> bytes:
    """Return the plaintext, or raise VaultIntegrityError; never returns unauthenticated bytes."""
    data_key = _unwrap(blob, kek, associated_data)
    try:
        return AESGCM(data_key).decrypt(
            blob.nonce, blob.ciphertext, _layer_aad(_DATA_LABEL, blob.header(), associated_data)
        )
    except InvalidTag:
        raise VaultIntegrityError(
            "sealed object's ciphertext does not authenticate: it was altered or its parts "
            "were swapped with another object's"
        ) from None


def rewrap(
    blob: SealedBlob,
    *,
    old_kek: KeyEncryptionKey,
    new_kek: KeyEncryptionKey,
    associated_data: bytes,
) -> SealedBlob:
    """Re-seal an object under `new_kek` (KEK rotation), with a fresh data key.

    The data layer is re-encrypted as well, not only the data key rewrapped, because its
    associated data carries the blob header and hence the KEK id.
    """
    plaintext = open_sealed(blob, kek=old_kek, associated_data=associated_data)
    return seal(plaintext, kek=new_kek, associated_data=associated_data)
