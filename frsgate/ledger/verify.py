"""The full audit of a stored ledger: every leaf, node, root, checkpoint and consistency proof.

`verify_ledger` reads the entries once in seq order, in chunks of 2**16 aligned leaves. For each
chunk it recomputes the leaf hashes from the stored bytes and every complete subtree inside the
chunk, and compares them with the stored leaf hashes and nodes; chunk roots feed the levels
above. On the way it recomputes the root at every size a checkpoint, the head or the auditor's
trusted checkpoint names. Then it checks each stored checkpoint's signature and root, and a
consistency proof between every two successive checkpoints and the trusted one.

The first problem in seq order wins: the report names the first seq whose record disagrees
(a changed, missing, moved or extra entry, a wrong node), or, when only a signed root disagrees,
the first seq the last good checkpoint no longer vouches for.
"""

from __future__ import annotations

import bisect
import gc
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from sqlalchemy import Engine

from frsgate.errors import ValidationFailed
from frsgate.ledger import chunks, storage
from frsgate.ledger.entry import entry_seq
from frsgate.ledger.merkle import (
    EMPTY_ROOT,
    InvalidProof,
    b64encode,
    build_consistency_proof,
    consistency_ranges,
    fold,
    node_hash,
    root_keys,
    subtree_keys,
    verify_consistency,
)
from frsgate.ledger.notes import (
    KeyHistory,
    NoteOpener,
    NoteVerifier,
    SignedCheckpoint,
    open_checkpoint,
)
from frsgate.store.engine import is_sqlite

CHUNK_LEVEL = 16
CHUNK = 1 << CHUNK_LEVEL
# From this many full chunks on, worker processes share the pass (reading rows costs as much as
# hashing them, and one interpreter runs one thread at a time).
PARALLEL_MIN_CHUNKS = 4

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """`ok` only if everything agrees; otherwise the first bad seq and what disagrees."""

    ok: bool
    size: int
    checkpoints: int
    first_bad_seq: int | None = None
    problem: str | None = None
    more: tuple[str, ...] = field(default=())

    def summary(self) -> str:
        if self.ok:
            return f"ledger OK: {self.size} entries, {self.checkpoints} checkpoints verified"
        return f"ledger verification FAILED at seq {self.first_bad_seq}: {self.problem}"


class _Problems:
    def __init__(self) -> None:
        self.found: list[tuple[int, str]] = []

    def add(self, seq: int, message: str) -> None:
        self.found.append((seq, message))

    def __bool__(self) -> bool:
        return bool(self.found)


def verify_ledger(
    engine: Engine,
    verifier_key: NoteVerifier | KeyHistory | str,
    *,
    trusted_checkpoint: str | None = None,
    origin: str | None = None,
    progress: Progress | None = None,
    parallel: bool = True,
) -> VerifyReport:
    """Recompute and check the whole ledger stored behind `engine`.

    `verifier_key` is the note verifier (or its string) the checkpoints must be signed with,
    or the log's key history after a rotation (each checkpoint signed by a key valid at its size);
    `trusted_checkpoint` a signed checkpoint note published earlier, which the stored log must
    still contain; `origin` the log name checkpoints must carry (default: the key's name).
    `progress(done, total)` is called as entries are checked. With `parallel`, a large log's
    full chunks are checked by worker processes (the report is the same either way). Raises
    `ValidationFailed` if the trusted checkpoint itself is not signed by the key.
    """
    verifier = NoteVerifier.parse(verifier_key) if isinstance(verifier_key, str) else verifier_key
    origin = origin or verifier.name
    trusted: SignedCheckpoint | None = None
    if trusted_checkpoint is not None:
        try:
            trusted = open_checkpoint(verifier, trusted_checkpoint, origin=origin)
        except InvalidProof as exc:
            raise ValidationFailed(f"the trusted checkpoint does not verify: {exc}") from None
    reader = storage.Reader(engine)
    # The pass allocates millions of short-lived, acyclic row tuples; the cyclic collector's
    # traversals of them would cost as much as the hashing, and there is nothing for it to
    # free. It is paused for the pass only, and only if it was running.
    collecting = gc.isenabled()
    gc.disable()
    try:
        check = _Verification(reader, verifier, origin, trusted, progress)
        if parallel:
            check.use_workers(chunks.worker_dsn(engine), sqlite=is_sqlite(engine))
        return check.run()
    finally:
        if collecting:
            gc.enable()
        reader.close()


class _Verification:
    def __init__(
        self,
        reader: storage.Reader,
        verifier: NoteOpener,
        origin: str,
        trusted: SignedCheckpoint | None,
        progress: Progress | None,
    ) -> None:
        self.reader = reader
        self.verifier = verifier
        self.origin = origin
        self.trusted = trusted
        self.progress = progress
        self.problems = _Problems()
        self.roots: dict[int, bytes] = {0: EMPTY_ROOT}  # recomputed root by tree size
        self.count = 0  # entries present, contiguous from 0
        self.parallel = False
        self.dsn = ""
        self.sqlite = True

    def use_workers(self, dsn: str, *, sqlite: bool) -> None:
        """Let worker processes check full chunks; they connect with `dsn` themselves."""
        self.parallel, self.dsn, self.sqlite = True, dsn, sqlite

    def run(self) -> VerifyReport:
        head_size, head_root = self.reader.head()
        checkpoints = self._read_checkpoints()
        targets = sorted({head_size, *(s for s, _ in checkpoints)} | self._trusted_sizes())
        before = len(self.problems.found)
        self._stream(targets)
        if len(self.problems.found) == before:
            # Only a complete, clean pass makes the head and the signed roots comparable.
            self._check_head(head_size, head_root)
            good = self._check_checkpoint_roots(checkpoints)
            if not self.problems:
                self._check_consistency(good)
        if not self.problems.found:
            return VerifyReport(ok=True, size=self.count, checkpoints=len(checkpoints))
        ordered = sorted(self.problems.found, key=lambda p: p[0])
        seq, message = ordered[0]
        return VerifyReport(
            ok=False,
            size=self.count,
            checkpoints=len(checkpoints),
            first_bad_seq=seq,
            problem=message,
            more=tuple(f"seq {s}: {m}" for s, m in ordered[1:20]),
        )

    def _trusted_sizes(self) -> set[int]:
        return {self.trusted.tree_size} if self.trusted else set()

    # Checkpoint signatures ----------------------------------------------------------------

    def _read_checkpoints(self) -> list[tuple[int, bytes]]:
        """Stored checkpoints whose signature, origin and columns agree; others are problems
        attributed to the first seq after the last good checkpoint before them."""
        good: list[tuple[int, bytes]] = []
        last_good = 0
        for size, root, note in self.reader.checkpoint_rows():
            try:
                signed = open_checkpoint(self.verifier, note, origin=self.origin)
            except InvalidProof as exc:
                self.problems.add(last_good, f"checkpoint at tree size {size}: {exc}")
                continue
            if signed.tree_size != size or signed.root != root:
                self.problems.add(
                    last_good, f"checkpoint row at tree size {size} disagrees with its signed note"
                )
                continue
            good.append((size, root))
            last_good = size
        return good

    # The pass over the entries --------------------------------------------------------------

    def _stream(self, targets: Sequence[int]) -> None:
        max_seq = self.reader.query("SELECT MAX(seq) FROM ledger_entries")[0][0]
        end = 0 if max_seq is None else int(max_seq) + 1  # O(log n): seq is the primary key
        upper: list[tuple[int, bytes]] = []  # compact range of the chunk roots so far
        chunk_roots: list[bytes] = []
        first = 0
        if self.parallel and end // CHUNK >= PARALLEL_MIN_CHUNKS and chunks.can_fork():
            first = self._stream_parallel(targets, end, upper, chunk_roots)
            if first < 0:
                return
        for start in range(first, end, CHUNK):
            expected = min(CHUNK, end - start)
            levels = self._check_chunk(start, expected, self._read_chunk(start, expected))
            if levels is None:
                return
            if not self._after_chunk(start, levels, targets, end, upper, chunk_roots):
                break
        self._finish_stream(end, chunk_roots)

    def _stream_parallel(
        self,
        targets: Sequence[int],
        end: int,
        upper: list[tuple[int, bytes]],
        chunk_roots: list[bytes],
    ) -> int:
        """Check the full chunks in worker processes, in order; return where the sequential
        pass must go on (the last, partial chunk), or -1 after recording a problem."""
        tasks = []
        for start in range(0, end - end % CHUNK, CHUNK):
            lo, hi = (
                bisect.bisect_right(targets, start),
                bisect.bisect_right(targets, start + CHUNK),
            )
            tasks.append((start, list(targets[lo:hi])))
        for result in chunks.check_in_workers(self.dsn, self.sqlite, CHUNK_LEVEL, tasks):
            start = result.start
            if not result.ok:
                # Find what disagrees with the messages the report needs; if the chunk agrees
                # now (it was being written meanwhile), carry on with what this pass read.
                levels = self._check_chunk(start, CHUNK, self._read_chunk(start, CHUNK))
                if levels is None:
                    return -1
                self._after_chunk(start, levels, targets, end, upper, chunk_roots)
                return start + CHUNK
            assert result.parts is not None
            for size, parts in result.parts.items():
                self.roots[size] = fold([h for _, h in upper] + parts)
            self.count = start + CHUNK
            if self.progress:
                self.progress(self.count, end)
            chunk_roots.append(result.root)
            _push(upper, result.root)
        return end - end % CHUNK

    def _after_chunk(
        self,
        start: int,
        levels: list[list[bytes]],
        targets: Sequence[int],
        end: int,
        upper: list[tuple[int, bytes]],
        chunk_roots: list[bytes],
    ) -> bool:
        """Roots at the target sizes inside the chunk; False after a short (last) chunk."""
        stop = start + len(levels[0])
        for size in targets[
            bisect.bisect_right(targets, start) : bisect.bisect_right(targets, stop)
        ]:
            parts = [h for _, h in upper]
            parts += [levels[lv][i - (start >> lv)] for lv, i in subtree_keys(start, size)]
            self.roots[size] = fold(parts)
        self.count = stop
        if self.progress:
            self.progress(stop, end)
        if stop - start < CHUNK:
            return False
        chunk_roots.append(levels[CHUNK_LEVEL][0])
        _push(upper, levels[CHUNK_LEVEL][0])
        return True

    def _finish_stream(self, end: int, chunk_roots: list[bytes]) -> None:
        if self.count < end:  # a short chunk before the last row: rows are missing
            self.problems.add(self.count, f"entry {self.count} is missing (rows up to {end - 1})")
            return
        self._check_upper_levels(chunk_roots)
        self._check_no_extra_nodes()

    def _read_chunk(self, start: int, expected: int) -> tuple[list[Any], list[list[bytes]]]:
        """The rows of entries start..start+expected-1 and of the nodes inside that range.

        Only the columns compared are read: seq and idx are primary keys, so a range query
        returning as many rows as the range is long returned exactly that range, in order.
        """
        rows = self.reader.query(
            "SELECT entry, leaf_hash FROM ledger_entries WHERE seq >= ? AND seq < ? ORDER BY seq",
            (start, start + expected),
        )
        nodes: list[list[bytes]] = []
        for level in range(1, CHUNK_LEVEL + 1):
            count, first = expected >> level, start >> level
            if not count:
                break
            got = [
                r[0]
                for r in self.reader.query(
                    "SELECT hash FROM ledger_nodes WHERE level = ? AND idx >= ? AND idx < ?"
                    " ORDER BY idx",
                    (level, first, first + count),
                )
            ]
            if got and not isinstance(got[0], bytes):
                got = [bytes(h) for h in got]
            nodes.append(got)
        return rows, nodes

    def _check_chunk(
        self, start: int, expected: int, fetched: tuple[list[Any], list[list[bytes]]]
    ) -> list[list[bytes]] | None:
        """Check entries start..start+expected-1 and the subtrees inside them."""
        rows, stored_nodes = fetched
        if len(rows) != expected:
            seqs = [int(s) for (s,) in self.reader.query(
                "SELECT seq FROM ledger_entries WHERE seq >= ? AND seq < ? ORDER BY seq",
                (start, start + expected),
            )]  # fmt: skip
            at = next((i for i, s in enumerate(seqs) if s != start + i), len(seqs))
            self.problems.add(start + at, f"entry {start + at} is missing")
            return None
        entries, stored = (list(col) for col in zip(*rows, strict=True))
        if entries and not isinstance(entries[0], bytes):
            entries, stored = [bytes(e) for e in entries], [bytes(h) for h in stored]
        sha = hashlib.sha256
        computed = [sha(b"\x00" + e).digest() for e in entries]  # RFC 9162 §2.1.1
        if computed != stored:
            at = next(i for i in range(len(rows)) if computed[i] != stored[i])
            self.problems.add(
                start + at,
                f"entry {start + at}: its bytes do not hash to the stored leaf hash "
                "(entry or leaf hash altered)",
            )
            return None
        levels = [computed]
        for level in range(1, CHUNK_LEVEL + 1):
            below = levels[-1]
            here = [
                sha(b"\x01" + below[i] + below[i + 1]).digest() for i in range(0, len(below) - 1, 2)
            ]  # RFC 9162 §2.1.1
            if not here:
                break
            got = stored_nodes[level - 1] if level <= len(stored_nodes) else []
            if got != here:
                self._node_problem(start, level, here, entries)
                return None
            levels.append(here)
        return levels

    def _node_problem(
        self, start: int, level: int, computed: list[bytes], entries: list[bytes]
    ) -> None:
        first = start >> level
        got = self.reader.query(
            "SELECT idx, hash FROM ledger_nodes WHERE level = ? AND idx >= ? AND idx < ?",
            (level, first, first + len(computed)),
        )
        stored = {int(i): bytes(h) for i, h in got}
        idx = next(first + k for k, h in enumerate(computed) if stored.get(first + k) != h)
        lo, hi = idx << level, (idx + 1) << level
        for seq in range(lo, hi):  # entries under the node that sit in the wrong place
            embedded = entry_seq(entries[seq - start])
            if embedded != seq:
                self.problems.add(seq, f"entry at seq {seq} carries seq {embedded} (rows moved)")
                return
        what = "is missing" if idx not in stored else "disagrees with the recomputation"
        self.problems.add(
            lo, f"stored node (level {level}, index {idx}) over seq {lo}..{hi - 1} {what}"
        )

    def _check_upper_levels(self, chunk_roots: list[bytes]) -> None:
        level, hashes = CHUNK_LEVEL, chunk_roots
        while len(hashes) > 1:
            hashes = [node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes) - 1, 2)]
            level += 1
            got = self.reader.query(
                "SELECT idx, hash FROM ledger_nodes WHERE level = ? ORDER BY idx", (level,)
            )
            stored = {int(i): bytes(h) for i, h in got}
            for idx, h in enumerate(hashes):
                if stored.get(idx) != h:
                    lo = idx << level
                    self.problems.add(
                        lo,
                        f"stored node (level {level}, index {idx}) disagrees with the "
                        "recomputation",
                    )
                    return

    def _check_no_extra_nodes(self) -> None:
        """No stored node may lie beyond the last entry (those inside were all compared)."""
        top = self.count.bit_length()
        for level in range(1, top + 1):
            beyond = self.reader.query(
                "SELECT idx FROM ledger_nodes WHERE level = ? AND idx >= ? LIMIT 1",
                (level, self.count >> level),
            )
            if beyond:
                self.problems.add(
                    self.count,
                    f"stored node (level {level}, index {beyond[0][0]}) lies beyond the last "
                    f"entry ({self.count - 1})",
                )
                return
        if self.reader.query("SELECT level FROM ledger_nodes WHERE level > ? LIMIT 1", (top,)):
            self.problems.add(
                self.count, f"stored nodes above level {top} lie beyond the last entry"
            )

    # Roots, head, checkpoints, consistency ------------------------------------------------

    def _check_head(self, head_size: int, head_root: bytes) -> None:
        if head_size != self.count:
            # From where the head and the log part, nothing is vouched for (never below seq 0).
            self.problems.add(
                max(0, min(head_size, self.count)),
                f"the head says {head_size} entries but {self.count} are stored in sequence",
            )
        elif self.roots.get(head_size) != head_root:
            self.problems.add(head_size, "the head's root disagrees with the recomputed root")
        else:
            # The right-edge hashes appenders start from: wrong ones would corrupt every
            # later append, so they must be the (already verified) stored subtrees.
            keys = root_keys(head_size)
            nodes = self.reader.nodes(keys)
            if b"".join(nodes.get(k, b"") for k in keys) != self.reader.head_frontier():
                self.problems.add(head_size, "the head's right-edge hashes disagree with the nodes")

    def _check_checkpoint_roots(
        self, checkpoints: list[tuple[int, bytes]]
    ) -> list[tuple[int, bytes]]:
        good: list[tuple[int, bytes]] = []
        attested = 0
        claims = [(s, r, "checkpoint") for s, r in checkpoints]
        if self.trusted:
            claims.append((self.trusted.tree_size, self.trusted.root, "trusted checkpoint"))
        for size, root, what in sorted(claims, key=lambda c: c[0]):
            if size > self.count:
                self.problems.add(
                    self.count,
                    f"{what} at tree size {size} attests entries {self.count}..{size - 1}, "
                    "which are not in the ledger (tail truncated)",
                )
                continue
            recomputed = self.roots.get(size)
            if recomputed is None:
                continue  # the pass stopped early; that problem is already recorded
            if recomputed != root:
                self.problems.add(
                    self._localize(attested, size),
                    f"{what} at tree size {size} has root {b64encode(root)} but the stored "
                    f"entries give {b64encode(recomputed)} (entries {attested}..{size - 1} "
                    "differ from what it attested)",
                )
                continue
            good.append((size, root))
            attested = max(attested, size)
        return good

    def _localize(self, lo: int, hi: int) -> int:
        """The first entry in [lo, hi) whose embedded seq is not its row, else `lo`."""
        for start in range(lo, hi, CHUNK):
            for seq, entry in self.reader.entries(start, min(hi, start + CHUNK)):
                if entry_seq(entry) != seq:
                    return seq
        return lo

    def _check_consistency(self, good: list[tuple[int, bytes]]) -> None:
        pairs = [(a, b) for a, b in pairwise(good) if 0 < a[0] < b[0]]
        keys = {
            key
            for (s1, _), (s2, _) in pairs
            for lo, hi in consistency_ranges(s1, s2)
            for key in subtree_keys(lo, hi)
        }
        nodes = self.reader.nodes(keys)
        for (s1, r1), (s2, r2) in pairs:
            proof = build_consistency_proof(s1, s2, lambda _keys: nodes)
            try:
                verify_consistency(s1, s2, proof.hashes, r1, r2)
            except InvalidProof as exc:
                self.problems.add(s1, f"checkpoints {s1} and {s2} are not consistent: {exc}")
                return


def _push(frontier: list[tuple[int, bytes]], h: bytes) -> None:
    frontier.append((CHUNK_LEVEL, h))
    while len(frontier) > 1 and frontier[-2][0] == frontier[-1][0]:
        (level, left), (_, right) = frontier[-2], frontier[-1]
        del frontier[-2:]
        frontier.append((level + 1, node_hash(left, right)))
