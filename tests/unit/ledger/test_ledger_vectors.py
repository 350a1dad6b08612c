"""transparency-dev/merkle's RFC 6962 test data, reproduced: roots, nodes and every proof case."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from frsgate.ledger.merkle import (
    InvalidProof,
    build_consistency_proof,
    build_inclusion_proof,
    complete_levels,
    fold,
    leaf_hash,
    levels_source,
    root_from_leaves,
    root_keys,
    verify_consistency,
    verify_inclusion,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "rfc9162-proof-vectors"
TREE = json.loads((DATA / "tree-hashes.json").read_text())
LEAVES = [bytes.fromhex(h) for h in TREE["leaf_inputs"]]


def _cases(kind: str) -> list[tuple[str, dict[str, Any]]]:
    root = DATA / "testdata" / kind
    files = sorted(root.rglob("*.json"))
    return [(str(f.relative_to(root)), json.loads(f.read_text())) for f in files]


INCLUSION = _cases("inclusion")
CONSISTENCY = _cases("consistency")


def _b(value: str) -> bytes:
    return base64.b64decode(value)


def test_the_vector_set_is_complete() -> None:
    # 196 files in the upstream testdata; a partial copy must not pass silently.
    assert len(INCLUSION) + len(CONSISTENCY) == 196
    assert sum(not c["wantErr"] for _, c in INCLUSION + CONSISTENCY) >= 10


@pytest.mark.parametrize("size", range(len(TREE["root_hashes"])))
def test_root_hashes_of_every_prefix(size: int) -> None:
    leaves = [leaf_hash(d) for d in LEAVES[:size]]
    expected = bytes.fromhex(TREE["root_hashes"][size])
    assert root_from_leaves(leaves) == expected
    levels = complete_levels(leaves) if leaves else [[]]
    assert fold([levels[lv][i] for lv, i in root_keys(size)]) == expected


def test_node_hashes_of_every_complete_subtree() -> None:
    levels = complete_levels([leaf_hash(d) for d in LEAVES])
    assert [[h.hex() for h in level] for level in levels] == TREE["node_hashes"]


@pytest.mark.parametrize(("name", "case"), INCLUSION, ids=[n for n, _ in INCLUSION])
def test_inclusion_vector(name: str, case: dict[str, Any]) -> None:
    proof = [_b(h) for h in case["proof"] or []]
    args = (case["leafIdx"], case["treeSize"], _b(case["leafHash"]), proof, _b(case["root"]))
    if case["wantErr"]:
        with pytest.raises(InvalidProof):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize(("name", "case"), CONSISTENCY, ids=[n for n, _ in CONSISTENCY])
def test_consistency_vector(name: str, case: dict[str, Any]) -> None:
    proof = [_b(h) for h in case["proof"] or []]
    args = (case["size1"], case["size2"], proof, _b(case["root1"]), _b(case["root2"]))
    if case["wantErr"]:
        with pytest.raises(InvalidProof):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


def _happy(cases: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [c for name, c in cases if name.endswith("happy-path.json")]


@pytest.mark.parametrize("case", _happy(INCLUSION))
def test_inclusion_proofs_are_generated_identically(case: dict[str, Any]) -> None:
    size = case["treeSize"]
    levels = complete_levels([leaf_hash(d) for d in LEAVES[:size]])
    proof = build_inclusion_proof(case["leafIdx"], size, levels_source(levels))
    assert [base64.b64encode(h).decode() for h in proof.hashes] == (case["proof"] or [])
    assert base64.b64encode(root_from_leaves(levels[0])).decode() == case["root"]


@pytest.mark.parametrize("case", _happy(CONSISTENCY))
def test_consistency_proofs_are_generated_identically(case: dict[str, Any]) -> None:
    size1, size2 = case["size1"], case["size2"]
    levels = complete_levels([leaf_hash(d) for d in LEAVES[:size2]])
    proof = build_consistency_proof(size1, size2, levels_source(levels))
    assert [base64.b64encode(h).decode() for h in proof.hashes] == (case["proof"] or [])
    assert base64.b64encode(root_from_leaves(levels[0][:size1])).decode() == case["root1"]
