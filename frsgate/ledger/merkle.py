"""RFC 9162 Merkle tree hashing, proof layout and proof verification, with no storage at all.

Everything here is a pure function of its arguments, so an outside auditor can check a
checkpoint, an inclusion proof or a consistency proof with this module and nothing else.

Trees are addressed by *complete subtrees*: ``(level, idx)`` names the subtree of ``2**level``
leaves starting at leaf ``idx * 2**level``; level 0 is a leaf hash. Any RFC 9162 subtree
``D[start:end]`` that a proof needs is the right fold of at most ``log2(n)`` such complete
subtrees, which is why the store keeps exactly those and never rescans leaves.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from frsgate.errors import FrsGateError

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"  # RFC 9162 §2.1.1: leaf hashes are domain-separated from node hashes
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()  # RFC 9162 §2.1.1: MTH({}) = HASH()

NodeKey = tuple[int, int]  # (level, idx)
Range = tuple[int, int]  # leaves [start, end)


class InvalidProof(FrsGateError):
    """A proof, root or checkpoint does not verify; the message says which check failed."""


def leaf_hash(entry: bytes) -> bytes:
    """RFC 9162 §2.1.1: MTH({d0}) = SHA-256(0x00 || d0)."""
    return hashlib.sha256(LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 §2.1.1: MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two smaller than `n` (n > 1): RFC 9162's `k`."""
    return 1 << ((n - 1).bit_length() - 1)


def root_from_leaves(leaf_hashes: Sequence[bytes]) -> bytes:
    """The tree head of `leaf_hashes` (already hashed with `leaf_hash`), RFC 9162 §2.1.1.

    Bottom-up pairing where an odd last node is carried up unchanged gives the same tree as the
    RFC's split at the largest power of two below n.
    """
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def complete_levels(leaf_hashes: Sequence[bytes]) -> list[list[bytes]]:
    """Every complete subtree hash: ``levels[l][i]`` is the node ``(l, i)``.

    This is what the store keeps (level 0 beside the entries, levels >= 1 as nodes).
    """
    levels = [list(leaf_hashes)]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])
    return levels


def subtree_keys(start: int, end: int) -> list[NodeKey]:
    """The complete subtrees, left to right, that make up the RFC 9162 subtree D[start:end].

    For every range a proof asks for, `start` is a multiple of the largest power of two not
    above `end - start`, so a greedy split into aligned powers of two is exact.
    """
    keys: list[NodeKey] = []
    while start < end:
        level = (end - start).bit_length() - 1
        while start & ((1 << level) - 1):
            level -= 1
        keys.append((level, start >> level))
        start += 1 << level
    return keys


def fold(hashes: Sequence[bytes]) -> bytes:
    """Right fold of complete-subtree hashes into the hash of the range they cover."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def root_keys(size: int) -> list[NodeKey]:
    """The complete subtrees whose fold is the root of a tree of `size` leaves."""
    return subtree_keys(0, size)


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """RFC 9162 §2.1.3.1 PATH(m, D[n]): the subtrees of the audit path, leaf end first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    ranges: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def consistency_ranges(first: int, second: int) -> list[Range]:
    """RFC 9162 §2.1.4.1 PROOF(m, D[n]) = SUBPROOF(m, D[n], true), innermost subtree first."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    ranges: list[Range] = []
    start, end, m, complete = 0, second, first, True
    while True:
        n = end - start
        if m == n:
            if not complete:
                ranges.append((start, end))
            break
        k = split_point(n)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
            m -= k
            complete = False
    ranges.reverse()
    return ranges


NodeSource = Callable[[Iterable[NodeKey]], Mapping[NodeKey, bytes]]


def hashes_for_ranges(ranges: Sequence[Range], nodes: NodeSource) -> list[bytes]:
    """Resolve each range to its hash, reading every complete subtree needed in one call."""
    plans = [subtree_keys(start, end) for start, end in ranges]
    wanted = {key for plan in plans for key in plan}
    found = nodes(wanted)
    missing = wanted - found.keys()
    if missing:
        raise LookupError(f"missing tree nodes {sorted(missing)[:5]}")
    return [fold([found[key] for key in plan]) for plan in plans]


def levels_source(levels: Sequence[Sequence[bytes]]) -> NodeSource:
    """A `NodeSource` over `complete_levels(...)` output, for tests and offline auditors."""

    def lookup(keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
        return {
            (lv, i): levels[lv][i] for lv, i in keys if lv < len(levels) and i < len(levels[lv])
        }

    return lookup


@dataclass(frozen=True, slots=True)
class InclusionProof:
    """RFC 9162 inclusion proof of leaf `leaf_index` in the tree of `tree_size` leaves."""

    leaf_index: int
    tree_size: int
    hashes: tuple[bytes, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
            "hashes": [b64encode(h) for h in self.hashes],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> InclusionProof:
        return cls(
            leaf_index=_json_int(data, "leaf_index"),
            tree_size=_json_int(data, "tree_size"),
            hashes=_json_hashes(data),
        )


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    """RFC 9162 consistency proof that the tree of `first_size` leaves is a prefix of the
    tree of `tree_size` leaves."""

    first_size: int
    tree_size: int
    hashes: tuple[bytes, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "first_size": self.first_size,
            "tree_size": self.tree_size,
            "hashes": [b64encode(h) for h in self.hashes],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> ConsistencyProof:
        return cls(
            first_size=_json_int(data, "first_size"),
            tree_size=_json_int(data, "tree_size"),
            hashes=_json_hashes(data),
        )


def build_inclusion_proof(index: int, size: int, nodes: NodeSource) -> InclusionProof:
    """The audit path for leaf `index` in the tree of `size` leaves, from complete subtrees."""
    hashes = hashes_for_ranges(inclusion_ranges(index, size), nodes)
    return InclusionProof(leaf_index=index, tree_size=size, hashes=tuple(hashes))


def build_consistency_proof(first: int, second: int, nodes: NodeSource) -> ConsistencyProof:
    """The consistency proof from `first` to `second` leaves, from complete subtrees."""
    hashes = hashes_for_ranges(consistency_ranges(first, second), nodes)
    return ConsistencyProof(first_size=first, tree_size=second, hashes=tuple(hashes))


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise InvalidProof(f"{what} is {len(value)} bytes long; SHA-256 hashes are 32")


def root_from_inclusion_proof(
    leaf_index: int, tree_size: int, leaf: bytes, hashes: Sequence[bytes]
) -> bytes:
    """RFC 9162 §2.1.3.2: the root an inclusion proof implies, or `InvalidProof`."""
    if tree_size <= 0 or not 0 <= leaf_index < tree_size:
        raise InvalidProof(f"leaf index {leaf_index} is not in a tree of size {tree_size}")
    _check_hash(leaf, "leaf hash")
    for i, h in enumerate(hashes):
        _check_hash(h, f"proof hash {i}")
    fn, sn, r = leaf_index, tree_size - 1, leaf
    for p in hashes:
        if sn == 0:
            raise InvalidProof("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise InvalidProof("inclusion proof is shorter than the tree is deep")
    return r


def verify_inclusion(
    leaf_index: int, tree_size: int, leaf: bytes, hashes: Sequence[bytes], root: bytes
) -> None:
    """Raise `InvalidProof` unless `hashes` prove `leaf` (a leaf hash) at `leaf_index` under
    `root` of a tree of `tree_size` leaves (RFC 9162 §2.1.3.2)."""
    _check_hash(root, "root hash")
    computed = root_from_inclusion_proof(leaf_index, tree_size, leaf, hashes)
    if computed != root:
        raise InvalidProof(
            f"inclusion proof of leaf {leaf_index} gives root {b64encode(computed)}, "
            f"not {b64encode(root)}"
        )


def verify_consistency(
    first_size: int,
    tree_size: int,
    hashes: Sequence[bytes],
    first_root: bytes,
    root: bytes,
) -> None:
    """Raise `InvalidProof` unless `hashes` prove the tree (`first_size`, `first_root`) is a
    prefix of the tree (`tree_size`, `root`) (RFC 9162 §2.1.4.2)."""
    if first_size < 0 or first_size > tree_size:
        raise InvalidProof(f"older size {first_size} is larger than newer size {tree_size}")
    if first_size == tree_size:
        if hashes:
            raise InvalidProof("sizes are equal but the consistency proof is not empty")
        if first_size == 0 and (first_root != EMPTY_ROOT or root != EMPTY_ROOT):
            raise InvalidProof("a tree of size 0 has only the empty root")
        if first_root != root:
            raise InvalidProof(f"two different roots for the same size {tree_size}")
        return
    if first_size == 0:
        # Every tree extends the empty tree; a "proof" of it proves nothing, so refuse it.
        raise InvalidProof("no consistency proof exists from the empty tree")
    _check_hash(first_root, "older root")
    _check_hash(root, "newer root")
    if not hashes:
        raise InvalidProof("consistency proof is empty")
    for i, h in enumerate(hashes):
        _check_hash(h, f"proof hash {i}")
    path = list(hashes)
    if first_size & (first_size - 1) == 0:
        path.insert(0, first_root)  # the older tree is a complete subtree of the newer one
    fn, sn = first_size - 1, tree_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise InvalidProof("consistency proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise InvalidProof("consistency proof is shorter than the tree is deep")
    if fr != first_root:
        raise InvalidProof(f"consistency proof does not reproduce the root of size {first_size}")
    if sr != root:
        raise InvalidProof(f"consistency proof does not reproduce the root of size {tree_size}")


def b64encode(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def b64decode(value: str, what: str = "value") -> bytes:
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise InvalidProof(f"{what} is not valid base64") from None


def _json_int(data: Mapping[str, object], key: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidProof(f"proof field {key!r} must be a non-negative integer")
    return value


def _json_hashes(data: Mapping[str, object]) -> tuple[bytes, ...]:
    value = data.get("hashes")
    if not isinstance(value, list) or not all(isinstance(h, str) for h in value):
        raise InvalidProof("proof field 'hashes' must be a list of base64 strings")
    return tuple(b64decode(h, "proof hash") for h in value)
