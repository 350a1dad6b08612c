"""Property tests of the Merkle math: every honest proof verifies, every corruption from
transparency-dev/merkle's `proof/verify_test.go` list is rejected, and roots agree with pymerkle."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pymerkle
from hypothesis import given, settings
from hypothesis import strategies as st

from frsgate.ledger.merkle import (
    ConsistencyProof,
    InclusionProof,
    InvalidProof,
    build_consistency_proof,
    build_inclusion_proof,
    complete_levels,
    leaf_hash,
    levels_source,
    root_from_leaves,
    verify_consistency,
    verify_inclusion,
)

MAX_SIZE = 300


def _leaves(size: int, salt: bytes) -> list[bytes]:
    # Distinct leaves: a corruption must not pass because two leaves happen to be equal.
    return [leaf_hash(salt + i.to_bytes(4, "big")) for i in range(size)]


def _flip(h: bytes, bit: int) -> bytes:
    return h[: bit // 8] + bytes([h[bit // 8] ^ (1 << (bit % 8))]) + h[bit // 8 + 1 :]


def _hash_list_corruptions(hashes: list[bytes], extra: bytes) -> Iterator[tuple[str, list[bytes]]]:
    """Mutations of a proof's hash list: flipped bit, removed, added, truncated, garbage."""
    for i, h in enumerate(hashes):
        for bit in (0, 7, 8 * i % 256, 255):
            yield f"bit {bit} of hash {i}", [*hashes[:i], _flip(h, bit), *hashes[i + 1 :]]
        yield f"hash {i} removed", hashes[:i] + hashes[i + 1 :]
        yield f"hash {i} truncated", [*hashes[:i], h[:-1], *hashes[i + 1 :]]
        yield f"garbage appended to hash {i}", [*hashes[:i], h + b"g", *hashes[i + 1 :]]
    for i in range(len(hashes) + 1):
        yield f"hash added at {i}", [*hashes[:i], extra, *hashes[i:]]
    yield "garbage appended", [*hashes, b"garbage"]
    yield "garbage prepended", [b"garbage", *hashes]
    yield "proof emptied", []


def _rejected(check: Callable[[], None]) -> bool:
    try:
        check()
    except InvalidProof:
        return True
    return False


@settings(max_examples=150, deadline=None)
@given(
    size=st.integers(1, MAX_SIZE),
    data=st.data(),
    salt=st.binary(min_size=4, max_size=4),
)
def test_every_inclusion_proof_verifies_and_every_corruption_fails(
    size: int, data: st.DataObject, salt: bytes
) -> None:
    leaves = _leaves(size, salt)
    levels = complete_levels(leaves)
    root = root_from_leaves(leaves)
    index = data.draw(st.integers(0, size - 1))
    proof = build_inclusion_proof(index, size, levels_source(levels))
    hashes = list(proof.hashes)
    leaf = leaves[index]
    verify_inclusion(index, size, leaf, hashes, root)
    assert InclusionProof.from_json(proof.to_json()) == proof

    other = leaf_hash(b"other" + salt)
    cases: list[tuple[str, Callable[[], None]]] = [
        ("index + 1", lambda: verify_inclusion(index + 1, size, leaf, hashes, root)),
        ("index - 1", lambda: verify_inclusion(index - 1, size, leaf, hashes, root)),
        ("index ^ 2", lambda: verify_inclusion(index ^ 2, size, leaf, hashes, root)),
        ("size * 2", lambda: verify_inclusion(index, size * 2, leaf, hashes, root)),
        ("size / 2", lambda: verify_inclusion(index, size // 2, leaf, hashes, root)),
        ("wrong leaf", lambda: verify_inclusion(index, size, other, hashes, root)),
        ("wrong root", lambda: verify_inclusion(index, size, leaf, hashes, other)),
        ("empty root", lambda: verify_inclusion(index, size, leaf, hashes, b"")),
        ("root prepended", lambda: verify_inclusion(index, size, leaf, [root, *hashes], root)),
        ("root appended", lambda: verify_inclusion(index, size, leaf, [*hashes, root], root)),
    ]
    for name, mutated in _hash_list_corruptions(hashes, other):
        if mutated != hashes:
            cases.append((name, lambda m=mutated: verify_inclusion(index, size, leaf, m, root)))  # type: ignore[misc]
    accepted = [name for name, check in cases if not _rejected(check)]
    assert accepted == []


@settings(max_examples=150, deadline=None)
@given(
    size2=st.integers(1, MAX_SIZE),
    data=st.data(),
    salt=st.binary(min_size=4, max_size=4),
)
def test_every_consistency_proof_verifies_and_every_corruption_fails(
    size2: int, data: st.DataObject, salt: bytes
) -> None:
    leaves = _leaves(size2, salt)
    levels = complete_levels(leaves)
    size1 = data.draw(st.integers(1, size2))
    root1, root2 = root_from_leaves(leaves[:size1]), root_from_leaves(leaves)
    proof = build_consistency_proof(size1, size2, levels_source(levels))
    hashes = list(proof.hashes)
    verify_consistency(size1, size2, hashes, root1, root2)
    assert ConsistencyProof.from_json(proof.to_json()) == proof

    other = leaf_hash(b"other" + salt)
    cases: list[tuple[str, Callable[[], None]]] = [
        ("size1 + 1", lambda: verify_consistency(size1 + 1, size2, hashes, root1, root2)),
        ("size1 - 1", lambda: verify_consistency(size1 - 1, size2, hashes, root1, root2)),
        ("size1 ^ 2", lambda: verify_consistency(size1 ^ 2, size2, hashes, root1, root2)),
        ("size2 * 2", lambda: verify_consistency(size1, size2 * 2, hashes, root1, root2)),
        ("size2 / 2", lambda: verify_consistency(size1, size2 // 2, hashes, root1, root2)),
        ("wrong root1", lambda: verify_consistency(size1, size2, hashes, other, root2)),
        ("wrong root2", lambda: verify_consistency(size1, size2, hashes, root1, other)),
        ("empty root1", lambda: verify_consistency(size1, size2, hashes, b"", root2)),
        ("empty root2", lambda: verify_consistency(size1, size2, hashes, root1, b"")),
        (
            "root1 prepended",
            lambda: verify_consistency(size1, size2, [root1, *hashes], root1, root2),
        ),
        (
            "root2 appended",
            lambda: verify_consistency(size1, size2, [*hashes, root2], root1, root2),
        ),
    ]
    if root1 != root2:
        cases.append(
            ("swapped roots", lambda: verify_consistency(size1, size2, hashes, root2, root1))
        )
    if size1 != size2:
        cases.append(
            (
                "older larger than newer",
                lambda: verify_consistency(size2, size1, hashes, root2, root1),
            )
        )
    for name, mutated in _hash_list_corruptions(hashes, other):
        if mutated != hashes:
            cases.append(
                (name, lambda m=mutated: verify_consistency(size1, size2, m, root1, root2))  # type: ignore[misc]
            )
    accepted = [name for name, check in cases if not _rejected(check)]
    assert accepted == []


@settings(max_examples=100, deadline=None)
@given(entries=st.lists(st.binary(max_size=64), max_size=200))
def test_roots_agree_with_pymerkle(entries: list[bytes]) -> None:
    tree = pymerkle.InmemoryTree(algorithm="sha256")
    ours = [leaf_hash(e) for e in entries]
    for i, entry in enumerate(entries):
        tree.append_entry(entry)
        if i % 17 == 0 or i == len(entries) - 1:
            assert tree.get_root() == root_from_leaves(ours[: i + 1])
    assert tree.get_root() == root_from_leaves(ours)


def test_empty_tree_root_is_the_hash_of_nothing() -> None:
    assert root_from_leaves([]).hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
