"""The witness's add-checkpoint rules (c2sp.org/tlog-witness), answer by answer, and its
storage: the check of the old size and the update are one step, so two racing requests from
the same size never both get a cosignature."""

from __future__ import annotations

import base64
import hashlib
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from frsgate.ledger.cosignature import Cosigner, add_signature_lines
from frsgate.ledger.merkle import (
    build_consistency_proof,
    complete_levels,
    levels_source,
    root_from_leaves,
)
from frsgate.ledger.notes import Checkpoint, CheckpointSigner, sign_checkpoint
from frsgate.witness.core import SIZE_TYPE, Witness, WitnessStore

ORIGIN = "frsgate.test/ledger"
LEAVES = [hashlib.sha256(b"\x00%d" % i).digest() for i in range(40)]


@pytest.fixture
def log_signer() -> CheckpointSigner:
    return CheckpointSigner(Ed25519PrivateKey.generate(), ORIGIN)


@pytest.fixture
def witness(tmp_path: Path, log_signer: CheckpointSigner) -> Witness:
    store = WitnessStore(tmp_path / "w" / "witness.sqlite3")
    cosigner = Cosigner(Ed25519PrivateKey.generate(), "witness.test/w1")
    return Witness(store, cosigner, {ORIGIN: log_signer.verifier}, clock=lambda: 1700000000.0)


def consistency_proof(leaves: list[bytes], first: int, second: int) -> list[bytes]:
    nodes = levels_source(complete_levels(leaves[:second]))
    return list(build_consistency_proof(first, second, nodes).hashes)


def _note(signer: CheckpointSigner, size: int, leaves: list[bytes] = LEAVES) -> str:
    return sign_checkpoint(signer, Checkpoint(ORIGIN, size, root_from_leaves(leaves[:size]))).note


def _body(old: int, note: str, proof: list[bytes] | None = None) -> bytes:
    if proof is None:
        proof = consistency_proof(LEAVES, old, _size(note)) if 0 < old < _size(note) else []
    lines = [f"old {old}", *(base64.b64encode(h).decode() for h in proof)]
    return ("\n".join(lines) + "\n\n" + note).encode()


def _size(note: str) -> int:
    return int(note.split("\n")[1])


def test_first_checkpoint_then_a_consistent_one_are_cosigned(
    witness: Witness, log_signer: CheckpointSigner
) -> None:
    first = _note(log_signer, 10)
    answer = witness.add_checkpoint(_body(0, first))
    assert answer.status == 200, answer.body
    assert witness.cosigner.verifier.timestamp_in(add_signature_lines(first, answer.body)) == (
        1700000000
    )
    second = _note(log_signer, 25)
    assert witness.add_checkpoint(_body(10, second)).status == 200
    latest = witness.latest(ORIGIN)
    assert latest.status == 200
    assert latest.body.startswith(second.split("\n\n")[0])
    assert witness.cosigner.verifier.timestamp_in(latest.body) == 1700000000


def test_a_stale_old_size_gets_the_current_size(
    witness: Witness, log_signer: CheckpointSigner
) -> None:
    assert witness.add_checkpoint(_body(0, _note(log_signer, 10))).status == 200
    answer = witness.add_checkpoint(_body(0, _note(log_signer, 20)))
    assert (answer.status, answer.body, answer.content_type) == (409, "10\n", SIZE_TYPE)


def test_a_rewritten_history_is_refused(witness: Witness, log_signer: CheckpointSigner) -> None:
    assert witness.add_checkpoint(_body(0, _note(log_signer, 10))).status == 200
    forked = [*LEAVES[:5], hashlib.sha256(b"changed").digest(), *LEAVES[6:]]
    note = _note(log_signer, 20, forked)
    answer = witness.add_checkpoint(_body(10, note, consistency_proof(forked, 10, 20)))
    assert answer.status == 422
    assert "does not verify" in answer.body
    # The same size with another root is a split view: refused too.
    same = witness.add_checkpoint(_body(10, _note(log_signer, 10, forked)))
    assert same.status == 409
    assert witness.latest(ORIGIN).body.split("\n")[1] == "10"


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"old 01\n\n", 400, "leading zeroes"),
        (b"new 1\n\n", 400, "old <size>"),
        (b"old 1\nnot base64!\n\n", 400, "not base64"),
        (b"old 1\n" + b"AAAA\n" + b"\n", 400, "not a SHA-256"),
        (b"old 1", 400, "no empty line"),
        (b"\xff\xfe", 400, "not UTF-8"),
        (
            b"old 0\n" + b"".join(b"%s\n" % base64.b64encode(bytes(32)) for _ in range(64)) + b"\n",
            400,
            "more than 63",
        ),
    ],
)
def test_malformed_requests_are_400_naming_the_problem(
    witness: Witness, body: bytes, status: int, words: str
) -> None:
    answer = witness.add_checkpoint(body)
    assert answer.status == status
    assert words in answer.body


def test_unknown_log_bad_signature_and_sizes(
    witness: Witness, log_signer: CheckpointSigner
) -> None:
    stranger = CheckpointSigner(Ed25519PrivateKey.generate(), "other.test/ledger")
    unknown = sign_checkpoint(stranger, Checkpoint("other.test/ledger", 3, LEAVES[0])).note
    assert witness.add_checkpoint(_body(0, unknown, [])).status == 404
    impostor = CheckpointSigner(Ed25519PrivateKey.generate(), ORIGIN)
    assert witness.add_checkpoint(_body(0, _note(impostor, 10))).status == 403
    assert witness.add_checkpoint(_body(12, _note(log_signer, 10), [])).status == 400
    proof_from_zero = _body(0, _note(log_signer, 10), [LEAVES[0]])
    assert witness.add_checkpoint(proof_from_zero).status == 400
    assert witness.latest(ORIGIN).status == 404


def test_two_requests_from_one_size_at_once_get_one_cosignature(
    witness: Witness, log_signer: CheckpointSigner
) -> None:
    assert witness.add_checkpoint(_body(0, _note(log_signer, 10))).status == 200
    bodies = [_body(10, _note(log_signer, n)) for n in (20, 30)]
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def submit(body: bytes) -> None:
        barrier.wait()
        statuses.append(witness.add_checkpoint(body).status)

    threads = [threading.Thread(target=submit, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 409]


def test_the_store_is_private(tmp_path: Path) -> None:
    WitnessStore(tmp_path / "private" / "witness.sqlite3").close()
    assert (tmp_path / "private").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "private" / "witness.sqlite3").stat().st_mode & 0o777 == 0o600
