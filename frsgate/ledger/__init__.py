"""The tamper-evident audit ledger: an RFC 9162 Merkle log with signed checkpoints and proofs.

Services record acts with `Ledger.append(EntryDraft(...))`; auditors check the whole log with
`verify_ledger` or single proofs with the pure functions of `frsgate.ledger.merkle`.
"""

from frsgate.ledger.entry import Actor, Citation, EntryDraft, Outcome, PolicyRef
from frsgate.ledger.events import EventTag
from frsgate.ledger.log import Ledger, PeriodicCheckpointer
from frsgate.ledger.merkle import (
    ConsistencyProof,
    InclusionProof,
    InvalidProof,
    leaf_hash,
    root_from_leaves,
    verify_consistency,
    verify_inclusion,
)
from frsgate.ledger.notes import (
    Checkpoint,
    CheckpointSigner,
    NoteVerifier,
    SignedCheckpoint,
    load_or_create_signing_key,
    open_checkpoint,
)

__all__ = [
    "Actor",
    "Checkpoint",
    "CheckpointSigner",
    "Citation",
    "ConsistencyProof",
    "EntryDraft",
    "EventTag",
    "InclusionProof",
    "InvalidProof",
    "Ledger",
    "NoteVerifier",
    "Outcome",
    "PeriodicCheckpointer",
    "PolicyRef",
    "SignedCheckpoint",
    "leaf_hash",
    "load_or_create_signing_key",
    "open_checkpoint",
    "root_from_leaves",
    "verify_consistency",
    "verify_inclusion",
]
