"""Single-bit flips in the stored ledger, on SQLite and PostgreSQL: each one is detected and
located, and a checkpoint signed by another key is reported (reliability issue, item 9).

A ledger of 40 entries with checkpoints at sizes 13, 27 and 40 is built once per test. Then one
bit of one byte of one stored value is flipped with an SQL UPDATE, `verify_ledger` runs with the
real key's verifier, and the value is restored before the next flip, so flips are independent.
The values flipped: an entry's canonical bytes and its leaf hash, a stored subtree hash, a
checkpoint's signed note text, root column and tree size, and the head's root, size and
right-edge hashes. Integers are flipped in their 64-bit two's complement form; text in its
UTF-8 form, skipping flips that give text the column cannot hold (invalid UTF-8 or NUL).

"Located" means the report names what is wrong: the entry's seq (an entry or leaf hash), the
node's level and index and the first seq under it, the checkpoint's tree size (and, as first bad
seq, the size of the last good checkpoint before it), or the head.

Figures (seeded sample, both backends): 123 flips tried, 123 detected, 123 located. 60 are
drawn at random (20 entry bytes, 6 leaf hashes, 12 nodes, 10 checkpoint notes, 3 checkpoint
roots, 2 checkpoint sizes, 2 head roots, 2 head sizes, 3 head right-edge hashes); 63 are, for
each checkpoint, the 7 UTF-8-preserving flips of each of the note's last 3 bytes (the last
signature character, whose two low bits are base64 padding, the "=" and the newline). Before
`NoteVerifier.open` required canonical base64, a flip of the last signature character that
changed only those unused bits (``A`` to ``C``, ``0`` to ``1``, ...) decoded to the same
signature and went unnoticed (3 of the 63 in one run, depending on the key);
`test_signature_in_non_canonical_base64_is_refused` pins that down whatever the key. Head-size
flips downwards and of the sign bit are checked in `test_head_size_flips`.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import ColumnElement, Engine, Table, insert, select, update

from frsgate.ledger import EntryDraft, Ledger
from frsgate.ledger.merkle import InvalidProof
from frsgate.ledger.notes import Checkpoint, CheckpointSigner, open_checkpoint, sign_checkpoint
from frsgate.ledger.verify import VerifyReport, verify_ledger
from frsgate.store.schema.ledger import (
    ledger_checkpoints,
    ledger_entries,
    ledger_head,
    ledger_nodes,
)

SIZE = 40
CHECKPOINT_SIZES = (13, 27, SIZE)
SEED = 9162
TAIL = 3  # the note's last characters flipped exhaustively: signature end, "=", newline
Draft = Callable[..., EntryDraft]
Value = bytes | str | int
# Where a report must point for a flipped value: (first bad seq, fragments of the problem).
Expect = Callable[[Value], tuple[int, tuple[str, ...]]]


@pytest.fixture
def built(ledger: Ledger, draft: Draft) -> Ledger:
    for i in range(SIZE):
        ledger.append(draft(i))
        if i + 1 in CHECKPOINT_SIZES:
            ledger.checkpoint()
    return ledger


@dataclass(frozen=True, slots=True)
class Cell:
    """One stored value: a table, the primary key of its row, and a column."""

    table: Table
    key: tuple[tuple[str, int], ...]
    column: str

    def rekeyed(self, value: Value) -> Cell:
        """The same cell after `value` was written into it (the column may be part of the key)."""
        if not any(name == self.column for name, _ in self.key):
            return self
        assert isinstance(value, int)
        key = tuple((n, value if n == self.column else v) for n, v in self.key)
        return Cell(self.table, key, self.column)

    def where(self) -> list[ColumnElement[bool]]:
        return [self.table.c[name] == value for name, value in self.key]

    def describe(self) -> str:
        key = ", ".join(f"{n}={v}" for n, v in self.key)
        return f"{self.table.name}({key}).{self.column}"


@dataclass(frozen=True, slots=True)
class Flip:
    cell: Cell
    new: Value
    expect: Expect
    what: str


def _read(engine: Engine, cell: Cell) -> Value:
    with engine.connect() as conn:
        stmt = select(cell.table.c[cell.column]).where(*cell.where())
        value = conn.execute(stmt).scalar_one()
    if isinstance(value, (str, int)):
        return value
    return bytes(value)


def _write(engine: Engine, cell: Cell, value: Value) -> None:
    with engine.begin() as conn:
        stmt = update(cell.table).where(*cell.where()).values({cell.column: value})
        assert conn.execute(stmt).rowcount == 1


def _flip_bytes(value: bytes, index: int, bit: int) -> bytes:
    raw = bytearray(value)
    raw[index] ^= 1 << bit
    return bytes(raw)


def _flip_text(value: str, index: int, bit: int) -> str | None:
    """`value` with one bit of its UTF-8 form flipped; None if a text column cannot hold it."""
    try:
        text = _flip_bytes(value.encode(), index, bit).decode()
    except UnicodeDecodeError:
        return None
    return None if "\x00" in text else text


def _flip_int(value: int, bit: int) -> int:
    """`value` with one bit of its 64-bit two's complement form flipped."""
    flipped = (value ^ (1 << bit)) & ((1 << 64) - 1)
    return flipped - (1 << 64) if flipped >> 63 else flipped


def _random_flip(rng: random.Random, value: Value) -> tuple[Value, str]:
    if isinstance(value, bytes):
        index, bit = rng.randrange(len(value)), rng.randrange(8)
        return _flip_bytes(value, index, bit), f"byte {index} bit {bit}"
    if isinstance(value, str):
        while True:
            index, bit = rng.randrange(len(value.encode())), rng.randrange(8)
            text = _flip_text(value, index, bit)
            if text is not None:
                return text, f"UTF-8 byte {index} bit {bit}"
    bit = rng.randrange(64)
    return _flip_int(value, bit), f"bit {bit}"


def _checkpoint_before(size: int, others: list[int]) -> int:
    """The first bad seq for a bad checkpoint row at `size`: the last good size before it."""
    return max((s for s in others if s < size), default=0)


def _expect_checkpoint(size: int, *fragments: str) -> Expect:
    others = [s for s in CHECKPOINT_SIZES if s != size]

    def expect(new: Value) -> tuple[int, tuple[str, ...]]:
        at = new if isinstance(new, int) else size
        return _checkpoint_before(at, others), (f"tree size {at}", *fragments)

    return expect


def _sample(engine: Engine, rng: random.Random) -> Iterator[Flip]:
    """60 flips drawn from every kind of stored value, then the notes' tails exhaustively."""
    with engine.connect() as conn:
        rows = conn.execute(select(ledger_nodes.c.level, ledger_nodes.c.idx))
        nodes = sorted((int(level), int(idx)) for level, idx in rows)
    assert len(nodes) == 20 + 10 + 5 + 2 + 1

    def flips(count: int, cells: Callable[[], tuple[Cell, Expect]]) -> Iterator[Flip]:
        for _ in range(count):
            cell, expect = cells()
            new, what = _random_flip(rng, _read(engine, cell))
            yield Flip(cell, new, expect, what)

    def entry(column: str) -> tuple[Cell, Expect]:
        seq = rng.randrange(SIZE)
        cell = Cell(ledger_entries, (("seq", seq),), column)
        return cell, lambda _new: (seq, (f"entry {seq}", "leaf hash"))

    def node() -> tuple[Cell, Expect]:
        level, idx = rng.choice(nodes)
        cell = Cell(ledger_nodes, (("level", level), ("idx", idx)), "hash")
        return cell, lambda _new: (idx << level, (f"level {level}, index {idx}",))

    def checkpoint(column: str, *fragments: str) -> Callable[[], tuple[Cell, Expect]]:
        def pick() -> tuple[Cell, Expect]:
            size = rng.choice(CHECKPOINT_SIZES)
            cell = Cell(ledger_checkpoints, (("tree_size", size),), column)
            return cell, _expect_checkpoint(size, "checkpoint", *fragments)

        return pick

    def head(column: str, expect: Expect) -> Callable[[], tuple[Cell, Expect]]:
        return lambda: (Cell(ledger_head, (("id", 1),), column), expect)

    yield from flips(20, lambda: entry("entry"))
    yield from flips(6, lambda: entry("leaf_hash"))
    yield from flips(12, node)
    yield from flips(10, checkpoint("note"))
    yield from flips(3, checkpoint("root", "disagrees with its signed note"))
    yield from flips(2, checkpoint("tree_size", "disagrees with its signed note"))
    yield from flips(2, head("root", lambda _new: (SIZE, ("head's root",))))
    yield from flips(
        2,
        head(
            "size",
            lambda new: (min(int(new), SIZE), (f"the head says {int(new)} entries",)),
        ),
    )
    yield from flips(3, head("frontier", lambda _new: (SIZE, ("right-edge",))))
    for size in CHECKPOINT_SIZES:
        cell = Cell(ledger_checkpoints, (("tree_size", size),), "note")
        note = _read(engine, cell)
        assert isinstance(note, str)
        assert note.endswith("=\n")
        length = len(note.encode())
        for index in range(length - TAIL, length):
            for bit in range(8):
                text = _flip_text(note, index, bit)
                if text is not None:
                    expect = _expect_checkpoint(size, "checkpoint")
                    yield Flip(cell, text, expect, f"tail byte {index} bit {bit}")


def _located(report: VerifyReport, flip: Flip) -> bool:
    seq, fragments = flip.expect(flip.new)
    problem = report.problem or ""
    return report.first_bad_seq == seq and all(f in problem for f in fragments)


def test_every_sampled_bit_flip_is_detected_and_located(
    built: Ledger, engine: Engine, signer: CheckpointSigner
) -> None:
    assert verify_ledger(engine, signer.verifier).ok
    tried = detected = located = 0
    misses: list[str] = []
    for flip in _sample(engine, random.Random(SEED)):
        original = _read(engine, flip.cell)
        assert flip.new != original
        _write(engine, flip.cell, flip.new)
        try:
            report = verify_ledger(engine, signer.verifier)
        finally:
            _write(engine, flip.cell.rekeyed(flip.new), original)
        tried += 1
        where = f"{flip.cell.describe()} {flip.what}"
        if report.ok:
            misses.append(f"NOT DETECTED: {where}")
            continue
        detected += 1
        if not _located(report, flip):
            misses.append(f"not located: {where}: {report.summary()}")
            continue
        located += 1
    assert not misses, "\n".join(misses)
    assert (detected, located) == (tried, tried)
    assert tried == 60 + len(CHECKPOINT_SIZES) * TAIL * 7
    assert verify_ledger(engine, signer.verifier).ok  # every flip was undone


@pytest.mark.parametrize("bit", [0, 3, 5, 62, 63])
def test_head_size_flips(built: Ledger, engine: Engine, signer: CheckpointSigner, bit: int) -> None:
    """The head's size flipped up (41, 2**62 + 40), down (32, 8) or negative (the sign bit):
    always reported as the head disagreeing with the entries stored."""
    cell = Cell(ledger_head, (("id", 1),), "size")
    new = _flip_int(SIZE, bit)
    _write(engine, cell, new)
    report = verify_ledger(engine, signer.verifier)
    assert not report.ok
    assert f"the head says {new} entries but {SIZE} are stored" in (report.problem or "")
    assert report.first_bad_seq == max(0, min(new, SIZE))


@pytest.mark.parametrize("same_name", [True, False], ids=["same-name", "other-name"])
def test_checkpoint_signed_by_another_key_is_reported(
    built: Ledger, engine: Engine, signer: CheckpointSigner, same_name: bool
) -> None:
    """The real checkpoint at 27 replaced by one with the same size and root, signed by another
    Ed25519 key (under the log's key name, or another name): a bad signature, located."""
    forger = CheckpointSigner(
        Ed25519PrivateKey.generate(), signer.name if same_name else "forger.example/ledger"
    )
    cell = Cell(ledger_checkpoints, (("tree_size", 27),), "root")
    root = _read(engine, cell)
    assert isinstance(root, bytes)
    forged = sign_checkpoint(forger, Checkpoint(signer.name, 27, root)).note
    with engine.begin() as conn:
        conn.execute(
            update(ledger_checkpoints)
            .where(ledger_checkpoints.c.tree_size == 27)
            .values(note=forged, created_at=datetime.now(UTC))
        )
    report = verify_ledger(engine, signer.verifier)
    assert not report.ok
    assert report.first_bad_seq == 13  # the last checkpoint the real key signed
    problem = report.problem or ""
    assert "checkpoint at tree size 27" in problem
    if same_name:
        assert "signed by another key" in problem
    else:
        assert "no signature by" in problem


def test_forged_checkpoint_added_beyond_the_real_ones_is_reported(
    built: Ledger, engine: Engine, signer: CheckpointSigner
) -> None:
    """An extra checkpoint row (another key, a plausible size) among the real ones."""
    forger = CheckpointSigner(Ed25519PrivateKey.generate(), signer.name)
    root = _read(engine, Cell(ledger_checkpoints, (("tree_size", SIZE),), "root"))
    assert isinstance(root, bytes)
    forged = sign_checkpoint(forger, Checkpoint(signer.name, 33, root)).note
    with engine.begin() as conn:
        conn.execute(
            insert(ledger_checkpoints).values(
                tree_size=33, root=root, note=forged, created_at=datetime.now(UTC)
            )
        )
    report = verify_ledger(engine, signer.verifier)
    assert not report.ok
    assert report.first_bad_seq == 27
    assert "checkpoint at tree size 33" in (report.problem or "")


def test_signature_in_non_canonical_base64_is_refused(signer: CheckpointSigner) -> None:
    """Another last signature character differing only in base64's two unused bits decodes
    to the same bytes; the note text is no longer what was signed and
    published, so it must not verify."""
    note = sign_checkpoint(signer, Checkpoint(signer.name, 5, b"\x07" * 32)).note
    line = note.rstrip("\n").rsplit("\n", 1)[1]
    blob = line.rsplit(" ", 1)[1]
    assert blob.endswith("=")  # 68 bytes: 2 unused bits
    assert not blob.endswith("==")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = alphabet.index(blob[-2])
    assert last & 0b11 == 0  # canonical: the unused bits are zero
    variant = blob[:-2] + alphabet[last | 0b01] + "="
    assert base64.b64decode(variant, validate=True) == base64.b64decode(blob, validate=True)
    forged = note.replace(blob, variant)
    assert forged != note
    assert open_checkpoint(signer.verifier, note).tree_size == 5
    with pytest.raises(InvalidProof):
        open_checkpoint(signer.verifier, forged)
