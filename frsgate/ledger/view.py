"""Read-only access to a stored ledger: size, roots, entries and proofs, in O(log n) reads.

`LedgerView` needs no signing key and starts no thread, so commands and auditors that only read
(export, proofs) use it directly; `Ledger` extends it with appends and checkpoints.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Engine

from frsgate.errors import NotFound, ValidationFailed
from frsgate.ledger import storage
from frsgate.ledger.merkle import (
    ConsistencyProof,
    InclusionProof,
    build_consistency_proof,
    build_inclusion_proof,
    fold,
    root_keys,
)


class LedgerView:
    """Reads of the ledger stored behind `engine`; safe to share between threads."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.reader = storage.Reader(engine)

    def close(self) -> None:
        self.reader.close()

    def __enter__(self) -> LedgerView:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def size(self) -> int:
        return self.reader.head()[0]

    def _size_at_most(self, tree_size: int | None) -> int:
        size = self.size()
        if tree_size is None:
            return size
        if not 0 <= tree_size <= size:
            raise ValidationFailed(f"tree size {tree_size} is outside 0..{size}")
        return tree_size

    def root(self, tree_size: int | None = None) -> bytes:
        """The root of the whole tree, or of its first `tree_size` entries (O(log n) reads)."""
        if tree_size is None:
            return self.reader.head()[1]
        size = self._size_at_most(tree_size)
        keys = root_keys(size)
        found = self.reader.nodes(keys)
        return fold([found[k] for k in keys])

    def entry(self, seq: int) -> bytes:
        rows = self.reader.entries(seq, seq + 1)
        if not rows:
            raise NotFound(f"ledger entry {seq} does not exist")
        return rows[0][1]

    def entries(self, start: int, end: int) -> list[bytes]:
        """Canonical entries with `start <= seq < end`."""
        if not 0 <= start <= end:
            raise ValidationFailed(f"entry range {start}..{end} is not a range")
        return [e for _, e in self.reader.entries(start, end)]

    def iter_entries(self, start: int = 0, end: int | None = None) -> Iterator[tuple[int, bytes]]:
        """(seq, entry) for `start <= seq < end`, read in chunks (for export)."""
        stop = self.size() if end is None else end
        while start < stop:
            chunk = self.reader.entries(start, min(stop, start + 5000))
            if not chunk:
                return
            yield from chunk
            start = chunk[-1][0] + 1

    def inclusion_proof(self, index: int, tree_size: int | None = None) -> InclusionProof:
        size = self._size_at_most(tree_size)
        if not 0 <= index < size:
            raise ValidationFailed(f"leaf index {index} is not in a tree of size {size}")
        return build_inclusion_proof(index, size, self.reader.nodes)

    def consistency_proof(self, first: int, second: int) -> ConsistencyProof:
        size = self._size_at_most(second)
        if not 0 < first <= size:
            raise ValidationFailed(
                f"no consistency proof from size {first} to {size} (first must be 1..second)"
            )
        return build_consistency_proof(first, size, self.reader.nodes)
