"""Probe image vault: validation, metadata-free re-encoding and envelope encryption at rest.

Intake is `validate_and_reencode(data, limits=ImageLimits.from_settings(settings))`, then
`seal(clean.data, kek=kek, associated_data=probe_aad(probe_id))`; `SealedBlob.to_bytes()` is
what the store keeps. Candidate images from an FRS are sealed with `candidate_aad(id)`.
"""

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
from frsgate.vault.faces import FaceBox, FaceDetector, default_detector
from frsgate.vault.images import (
    CleanImage,
    ImageLimits,
    declared_size,
    sniff_format,
    validate_and_reencode,
)

__all__ = [
    "CleanImage",
    "FaceBox",
    "FaceDetector",
    "ImageLimits",
    "KeyEncryptionKey",
    "SealedBlob",
    "VaultIntegrityError",
    "candidate_aad",
    "declared_size",
    "default_detector",
    "load_or_create_kek",
    "open_sealed",
    "probe_aad",
    "rewrap",
    "seal",
    "sniff_format",
    "validate_and_reencode",
]
