"""Envelope encryption: round trip, and every way a sealed object can be misused fails clearly."""

from __future__ import annotations

import os
import pickle
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from frsgate.errors import ConfigurationError, FrsGateError
from frsgate.vault.crypto import (
    FORMAT_VERSION,
    KEY_BYTES,
    KeyEncryptionKey,
    SealedBlob,
    VaultIntegrityError,
    candidate_aad,
    load_or_create_kek,
    open_sealed,
    probe_aad,
    rewrap,
    seal,
)

IMAGE = b"\xff\xd8\xff\xe0" + os.urandom(2048)


@pytest.fixture
def kek() -> KeyEncryptionKey:
    return KeyEncryptionKey.generate()


def test_round_trip_through_storage_bytes(kek: KeyEncryptionKey) -> None:
    blob = seal(IMAGE, kek=kek, associated_data=probe_aad("p-1"))
    stored = blob.to_bytes()
    assert IMAGE not in stored
    assert stored[0] == FORMAT_VERSION
    assert SealedBlob.from_bytes(stored) == blob
    opened = open_sealed(SealedBlob.from_bytes(stored), kek=kek, associated_data=probe_aad("p-1"))
    assert opened == IMAGE


def test_each_seal_uses_a_fresh_data_key_and_nonce(kek: KeyEncryptionKey) -> None:
    a = seal(IMAGE, kek=kek, associated_data=probe_aad("p-1"))
    b = seal(IMAGE, kek=kek, associated_data=probe_aad("p-1"))
    assert a.wrapped_key != b.wrapped_key
    assert a.nonce != b.nonce
    assert a.ciphertext != b.ciphertext


def test_empty_plaintext_round_trips(kek: KeyEncryptionKey) -> None:
    blob = SealedBlob.from_bytes(seal(b"", kek=kek, associated_data=b"x").to_bytes())
    assert open_sealed(blob, kek=kek, associated_data=b"x") == b""


def test_another_probe_id_fails(kek: KeyEncryptionKey) -> None:
    blob = seal(IMAGE, kek=kek, associated_data=probe_aad("p-1"))
    with pytest.raises(VaultIntegrityError, match="another object id"):
        open_sealed(blob, kek=kek, associated_data=probe_aad("p-2"))


def test_probe_blob_does_not_open_as_candidate_with_same_id(kek: KeyEncryptionKey) -> None:
    blob = seal(IMAGE, kek=kek, associated_data=probe_aad("42"))
    with pytest.raises(VaultIntegrityError):
        open_sealed(blob, kek=kek, associated_data=candidate_aad("42"))
    assert (
        open_sealed(
            seal(IMAGE, kek=kek, associated_data=candidate_aad("42")),
            kek=kek,
            associated_data=candidate_aad("42"),
        )
        == IMAGE
    )


def test_swapped_wrapped_key_fails(kek: KeyEncryptionKey) -> None:
    mine = seal(IMAGE, kek=kek, associated_data=probe_aad("p-1"))
    other = seal(b"other image", kek=kek, associated_data=probe_aad("p-1"))
    # Another object's key under the same id: unwraps, but the data does not authenticate.
    swapped = replace(mine, wrap_nonce=other.wrap_nonce, wrapped_key=other.wrapped_key)
    with pytest.raises(VaultIntegrityError, match="ciphertext does not authenticate"):
        open_sealed(swapped, kek=kek, associated_data=probe_aad("p-1"))
    # Another id's wrapped key: refused at the wrap layer already.
    foreign = seal(b"other image", kek=kek, associated_data=probe_aad("p-9"))
    swapped = replace(mine, wrap_nonce=foreign.wrap_nonce, wrapped_key=foreign.wrapped_key)
    with pytest.raises(VaultIntegrityError, match="data key does not open"):
        open_sealed(swapped, kek=kek, associated_data=probe_aad("p-1"))


def test_whole_ciphertext_replayed_under_new_id_fails(kek: KeyEncryptionKey) -> None:
    old = seal(IMAGE, kek=kek, associated_data=probe_aad("p-old")).to_bytes()
    with pytest.raises(VaultIntegrityError):
        open_sealed(SealedBlob.from_bytes(old), kek=kek, associated_data=probe_aad("p-new"))


@pytest.mark.parametrize("field", ["ciphertext", "nonce", "wrapped_key", "wrap_nonce"])
def test_a_flipped_bit_anywhere_fails(kek: KeyEncryptionKey, field: str) -> None:
    blob = seal(IMAGE, kek=kek, associated_data=probe_aad("p-1"))
    original: bytes = getattr(blob, field)
    for position in (0, len(original) // 2, len(original) - 1):
        flipped = bytearray(original)
        flipped[position] ^= 0x01
        tampered = replace(blob, **{field: bytes(flipped)})
        with pytest.raises(VaultIntegrityError):
            open_sealed(tampered, kek=kek, associated_data=probe_aad("p-1"))


def test_every_stored_byte_is_authenticated(kek: KeyEncryptionKey) -> None:
    stored = seal(b"small", kek=kek, associated_data=b"id").to_bytes()
    for position in range(len(stored)):
        tampered = bytearray(stored)
        tampered[position] ^= 0x80
        with pytest.raises(VaultIntegrityError):
            open_sealed(SealedBlob.from_bytes(bytes(tampered)), kek=kek, associated_data=b"id")


def test_wrong_kek_fails_naming_both_key_ids(kek: KeyEncryptionKey) -> None:
    blob = seal(IMAGE, kek=kek, associated_data=probe_aad("p-1"))
    other = KeyEncryptionKey.generate()
    with pytest.raises(VaultIntegrityError) as caught:
        open_sealed(blob, kek=other, associated_data=probe_aad("p-1"))
    assert kek.kek_id_hex in caught.value.message
    assert other.kek_id_hex in caught.value.message


def test_wrong_kek_with_forged_kek_id_still_fails(kek: KeyEncryptionKey) -> None:
    blob = seal(IMAGE, kek=kek, associated_data=probe_aad("p-1"))
    other = KeyEncryptionKey.generate()
    forged = replace(blob, kek_id=other.kek_id)
    with pytest.raises(VaultIntegrityError, match="data key does not open"):
        open_sealed(forged, kek=other, associated_data=probe_aad("p-1"))


def test_integrity_error_is_a_frsgate_error() -> None:
    assert issubclass(VaultIntegrityError, FrsGateError)


def test_truncated_and_unknown_version_are_refused(kek: KeyEncryptionKey) -> None:
    stored = seal(IMAGE, kek=kek, associated_data=b"id").to_bytes()
    with pytest.raises(VaultIntegrityError, match="truncated"):
        SealedBlob.from_bytes(stored[:40])
    with pytest.raises(VaultIntegrityError, match="format version 9"):
        SealedBlob.from_bytes(b"\x09" + stored[1:])


def test_rewrap_moves_object_to_new_kek(kek: KeyEncryptionKey) -> None:
    new = KeyEncryptionKey.generate()
    blob = seal(IMAGE, kek=kek, associated_data=probe_aad("p-1"))
    moved = rewrap(blob, old_kek=kek, new_kek=new, associated_data=probe_aad("p-1"))
    assert moved.kek_id == new.kek_id
    assert open_sealed(moved, kek=new, associated_data=probe_aad("p-1")) == IMAGE
    with pytest.raises(VaultIntegrityError):
        open_sealed(moved, kek=kek, associated_data=probe_aad("p-1"))


def test_kek_never_shows_its_bytes() -> None:
    raw = os.urandom(KEY_BYTES)
    kek = KeyEncryptionKey(raw)
    for text in (repr(kek), str(kek), f"{kek}"):
        assert raw.hex() not in text
        assert kek.kek_id_hex in text
    with pytest.raises(TypeError):
        pickle.dumps(kek)


def test_kek_must_be_32_bytes() -> None:
    with pytest.raises(ConfigurationError, match="32 bytes"):
        KeyEncryptionKey(b"short")


def test_kek_file_created_0600_and_reloaded(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "vault-kek.bin"
    created = load_or_create_kek(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.stat().st_size == KEY_BYTES
    assert load_or_create_kek(path) == created
    assert not [p for p in path.parent.iterdir() if p.name != path.name]  # no temp files left


def test_kek_file_missing_without_create(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="missing"):
        load_or_create_kek(tmp_path / "absent.bin", create=False)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o606])
def test_kek_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "vault-kek.bin"
    load_or_create_kek(path)
    path.chmod(mode)
    with pytest.raises(ConfigurationError, match="must be 0600"):
        load_or_create_kek(path)


@pytest.mark.parametrize("size", [0, 16, 31, 33, 64])
def test_kek_file_of_wrong_length_is_refused(tmp_path: Path, size: int) -> None:
    path = tmp_path / "vault-kek.bin"
    path.write_bytes(b"k" * size)
    path.chmod(0o600)
    with pytest.raises(ConfigurationError, match="exactly 32 bytes"):
        load_or_create_kek(path)


def test_kek_path_that_is_a_symlink_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real.bin"
    load_or_create_kek(real)
    link = tmp_path / "vault-kek.bin"
    link.symlink_to(real)
    with pytest.raises(ConfigurationError, match="cannot be opened"):
        load_or_create_kek(link)


def test_existing_kek_is_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / "vault-kek.bin"
    first = load_or_create_kek(path)
    before = path.read_bytes()
    again = load_or_create_kek(path, create=True)
    assert path.read_bytes() == before
    assert again == first
