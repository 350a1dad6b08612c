"""Tampering with the stored ledger, on SQLite and PostgreSQL: `verify_ledger` must fail every
time and name the first bad seq; an untouched ledger must pass."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, delete, insert, select, update

from frsgate.errors import ValidationFailed
from frsgate.ledger import EntryDraft, Ledger
from frsgate.ledger.merkle import complete_levels, leaf_hash, root_from_leaves, root_keys
from frsgate.ledger.notes import Checkpoint, CheckpointSigner, sign_checkpoint
from frsgate.ledger.verify import VerifyReport, verify_ledger
from frsgate.store.schema.ledger import (
    ledger_checkpoints,
    ledger_entries,
    ledger_head,
    ledger_nodes,
)

SIZE = 40
Draft = Callable[..., EntryDraft]


@pytest.fixture
def filled(ledger: Ledger, draft: Draft) -> Ledger:
    """40 entries with checkpoints at sizes 10, 20 and 30 and at the head."""
    for i in range(SIZE):
        ledger.append(draft(i))
        if (i + 1) % 10 == 0:
            ledger.checkpoint()
    return ledger


def _verify(engine: Engine, signer: CheckpointSigner, trusted: str | None = None) -> VerifyReport:
    return verify_ledger(engine, signer.verifier.verifier_string, trusted_checkpoint=trusted)


def _entry(engine: Engine, seq: int) -> bytes:
    with engine.connect() as conn:
        stmt = select(ledger_entries.c.entry).where(ledger_entries.c.seq == seq)
        return bytes(conn.execute(stmt).scalar_one())


def _set_entry(engine: Engine, seq: int, entry: bytes, lh: bytes | None = None) -> None:
    values: dict[str, bytes] = {"entry": entry}
    if lh is not None:
        values["leaf_hash"] = lh
    with engine.begin() as conn:
        conn.execute(update(ledger_entries).where(ledger_entries.c.seq == seq).values(**values))


def _recompute_tree(engine: Engine) -> bytes:
    """What a careful attacker does after changing entries: rebuild leaves, nodes and head."""
    with engine.begin() as conn:
        rows = conn.execute(select(ledger_entries.c.seq, ledger_entries.c.entry).order_by("seq"))
        entries = [(s, bytes(e)) for s, e in rows]
        leaves = [leaf_hash(e) for _, e in entries]
        for seq, lh in zip([s for s, _ in entries], leaves, strict=True):
            conn.execute(
                update(ledger_entries).where(ledger_entries.c.seq == seq).values(leaf_hash=lh)
            )
        conn.execute(delete(ledger_nodes))
        levels = complete_levels(leaves) if leaves else [[]]
        nodes = [
            {"level": lv, "idx": i, "hash": h}
            for lv in range(1, len(levels))
            for i, h in enumerate(levels[lv])
        ]
        if nodes:
            conn.execute(insert(ledger_nodes), nodes)
        root = root_from_leaves(leaves)
        frontier = b"".join(levels[lv][i] for lv, i in root_keys(len(leaves)))
        conn.execute(update(ledger_head).values(size=len(leaves), root=root, frontier=frontier))
    return root


def test_untouched_ledger_verifies(
    filled: Ledger, engine: Engine, signer: CheckpointSigner
) -> None:
    seen: list[tuple[int, int]] = []
    report = verify_ledger(
        engine,
        signer.verifier,
        trusted_checkpoint=filled.checkpoint().note,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert report.ok, report.summary()
    assert report.size == SIZE
    assert report.checkpoints == 4
    assert seen[-1] == (SIZE, SIZE)


def test_empty_ledger_verifies(ledger: Ledger, engine: Engine, signer: CheckpointSigner) -> None:
    assert _verify(engine, signer).ok


def test_flipped_byte_in_an_entry(filled: Ledger, engine: Engine, signer: CheckpointSigner) -> None:
    raw = bytearray(_entry(engine, 17))
    raw[len(raw) // 2] ^= 0x01
    _set_entry(engine, 17, bytes(raw))
    report = _verify(engine, signer)
    assert not report.ok
    assert report.first_bad_seq == 17
    assert "leaf hash" in (report.problem or "")


def test_flipped_byte_with_recomputed_leaf_hash(
    filled: Ledger, engine: Engine, signer: CheckpointSigner
) -> None:
    raw = bytearray(_entry(engine, 23))
    raw[5] ^= 0x20
    _set_entry(engine, 23, bytes(raw), leaf_hash(bytes(raw)))
    report = _verify(engine, signer)
    assert not report.ok
    assert report.first_bad_seq == 22  # the node over 22..23 no longer matches
    assert "node" in (report.problem or "")


def test_deleted_row(filled: Ledger, engine: Engine, signer: CheckpointSigner) -> None:
    with engine.begin() as conn:
        conn.execute(delete(ledger_entries).where(ledger_entries.c.seq == 12))
    report = _verify(engine, signer)
    assert not report.ok
    assert report.first_bad_seq == 12
    assert "missing" in (report.problem or "")


def test_deleted_last_row(filled: Ledger, engine: Engine, signer: CheckpointSigner) -> None:
    with engine.begin() as conn:
        conn.execute(delete(ledger_entries).where(ledger_entries.c.seq == SIZE - 1))
    report = _verify(engine, signer)
    assert not report.ok
    assert report.first_bad_seq == SIZE - 1


def test_swapped_rows(filled: Ledger, engine: Engine, signer: CheckpointSigner) -> None:
    a, b = 9, 31
    with engine.begin() as conn:
        rows = {
            s: (bytes(e), bytes(h))
            for s, e, h in conn.execute(
                select(ledger_entries).where(ledger_entries.c.seq.in_([a, b]))
            )
        }
        for seq, other in ((a, b), (b, a)):
            conn.execute(
                update(ledger_entries)
                .where(ledger_entries.c.seq == seq)
                .values(entry=rows[other][0], leaf_hash=rows[other][1])
            )
    report = _verify(engine, signer)
    assert not report.ok
    assert report.first_bad_seq == a
    assert "carries seq 31" in (report.problem or "")


def test_swapped_rows_with_recomputed_tree(
    filled: Ledger, engine: Engine, signer: CheckpointSigner
) -> None:
    a, b = 33, 36
    ea, eb = _entry(engine, a), _entry(engine, b)
    _set_entry(engine, a, eb)
    _set_entry(engine, b, ea)
    _recompute_tree(engine)
    report = _verify(engine, signer)
    assert not report.ok
    assert report.first_bad_seq == a  # the checkpoint at 40 disagrees; entry 33 says seq 36


def test_truncated_tail_with_its_checkpoints(
    filled: Ledger, engine: Engine, signer: CheckpointSigner
) -> None:
    published = filled.checkpoint().note  # an auditor kept this copy
    keep = 25
    with engine.begin() as conn:
        conn.execute(delete(ledger_entries).where(ledger_entries.c.seq >= keep))
        conn.execute(delete(ledger_checkpoints).where(ledger_checkpoints.c.tree_size > keep))
    _recompute_tree(engine)
    # Internally consistent again: only the published checkpoint can tell.
    assert _verify(engine, signer).ok
    report = _verify(engine, signer, trusted=published)
    assert not report.ok
    assert report.first_bad_seq == keep
    assert "truncated" in (report.problem or "")


def test_truncated_tail_keeping_checkpoints(
    filled: Ledger, engine: Engine, signer: CheckpointSigner
) -> None:
    with engine.begin() as conn:
        conn.execute(delete(ledger_entries).where(ledger_entries.c.seq >= 35))
    _recompute_tree(engine)
    report = _verify(engine, signer)
    assert not report.ok
    assert report.first_bad_seq == 35


def test_rewritten_tail_resigned_with_another_key(
    filled: Ledger, engine: Engine, signer: CheckpointSigner
) -> None:
    published = filled.checkpoint().note
    for seq in range(25, SIZE):
        body = json.loads(_entry(engine, seq))
        body["outcome"] = "denied"
        _set_entry(engine, seq, json.dumps(body, sort_keys=True, separators=(",", ":")).encode())
    _recompute_tree(engine)
    leaves = _leaf_hashes(engine)
    forger = CheckpointSigner(Ed25519PrivateKey.generate(), signer.name)
    with engine.begin() as conn:
        conn.execute(delete(ledger_checkpoints).where(ledger_checkpoints.c.tree_size > 25))
        for size in (30, SIZE):
            forged_root = root_from_leaves(leaves[:size])
            note = sign_checkpoint(forger, Checkpoint(signer.name, size, forged_root)).note
            conn.execute(
                insert(ledger_checkpoints).values(
                    tree_size=size, root=forged_root, note=note, created_at=datetime.now(UTC)
                )
            )
    for trusted in (None, published):
        report = _verify(engine, signer, trusted=trusted)
        assert not report.ok
        # Recomputed hashes are all consistent; the last checkpoint the real key signed is at
        # 20, so seq 20 is the first entry nothing genuine vouches for any more.
        assert report.first_bad_seq == 20
        assert "another key" in (report.problem or "") or "differ" in (report.problem or "")


def _leaf_hashes(engine: Engine) -> list[bytes]:
    with engine.connect() as conn:
        stmt = select(ledger_entries.c.leaf_hash).order_by(ledger_entries.c.seq)
        return [bytes(h) for (h,) in conn.execute(stmt)]


def test_altered_node(filled: Ledger, engine: Engine, signer: CheckpointSigner) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(ledger_nodes)
            .where(ledger_nodes.c.level == 2, ledger_nodes.c.idx == 5)
            .values(hash=b"\x00" * 32)
        )
    report = _verify(engine, signer)
    assert not report.ok
    assert report.first_bad_seq == 20
    assert "level 2, index 5" in (report.problem or "")


def test_altered_head_frontier(filled: Ledger, engine: Engine, signer: CheckpointSigner) -> None:
    with engine.begin() as conn:
        conn.execute(update(ledger_head).values(frontier=b"\x02" * 32))
    report = _verify(engine, signer)
    assert not report.ok
    assert report.first_bad_seq == SIZE
    assert "right-edge" in (report.problem or "")


def test_altered_head_root(filled: Ledger, engine: Engine, signer: CheckpointSigner) -> None:
    with engine.begin() as conn:
        conn.execute(update(ledger_head).values(root=b"\x01" * 32))
    report = _verify(engine, signer)
    assert not report.ok
    assert report.first_bad_seq == SIZE


def test_altered_checkpoint_note(filled: Ledger, engine: Engine, signer: CheckpointSigner) -> None:
    with engine.begin() as conn:
        note = conn.execute(
            select(ledger_checkpoints.c.note).where(ledger_checkpoints.c.tree_size == 20)
        ).scalar_one()
        conn.execute(
            update(ledger_checkpoints)
            .where(ledger_checkpoints.c.tree_size == 20)
            .values(note=note.replace("\n20\n", "\n21\n"))
        )
    report = _verify(engine, signer)
    assert not report.ok
    assert report.first_bad_seq == 10


def test_extra_row_beyond_the_head(
    filled: Ledger, engine: Engine, signer: CheckpointSigner
) -> None:
    extra = _entry(engine, 3)
    with engine.begin() as conn:
        conn.execute(
            insert(ledger_entries).values(seq=SIZE, entry=extra, leaf_hash=leaf_hash(extra))
        )
    report = _verify(engine, signer)
    assert not report.ok
    assert report.first_bad_seq == SIZE


def test_trusted_checkpoint_must_be_signed_by_the_key(
    filled: Ledger, engine: Engine, signer: CheckpointSigner
) -> None:
    forger = CheckpointSigner(Ed25519PrivateKey.generate(), signer.name)
    forged = sign_checkpoint(forger, Checkpoint(signer.name, 3, b"\x00" * 32)).note
    with pytest.raises(ValidationFailed):
        _verify(engine, signer, trusted=forged)
