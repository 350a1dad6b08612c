"""Probe image vault: validation, metadata-free re-encoding and envelope encryption at rest."""

from frsgate.vault.crypto import (
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

__all__ = [
    "KeyEncryptionKey",
    "SealedBlob",
    "VaultIntegrityError",
    "candidate_aad",
    "load_or_create_kek",
    "open_sealed",
    "probe_aad",
    "rewrap",
    "seal",
]
