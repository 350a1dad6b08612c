"""The tamper-evident audit ledger: an RFC 9162 Merkle log with signed checkpoints and proofs."""
