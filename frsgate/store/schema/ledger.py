"""Tables of the audit ledger: entries, complete-subtree hashes, head and checkpoints."""
