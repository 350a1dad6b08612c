"""The ledger a service appends to: durable group-committed appends, roots, proofs, checkpoints.

One committer thread per `Ledger` drains a queue of drafts and writes each batch in one
transaction that holds the head lock, so appends from every thread of every process are
serialized: sequence numbers have no gap, no fork and no duplicate. A caller's future is
resolved only after COMMIT has returned, which under the store's durability settings (SQLite
WAL with synchronous=FULL, PostgreSQL synchronous_commit=on) means the entry is on disk.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine

from frsgate.errors import FrsGateError, StoreError, ValidationFailed
from frsgate.ledger import storage
from frsgate.ledger.entry import EntryDraft, canonical_entry, format_time
from frsgate.ledger.merkle import (
    InvalidProof,
    fold,
    leaf_hash,
    node_hash,
    root_keys,
)
from frsgate.ledger.notes import (
    Checkpoint,
    CheckpointSigner,
    SignedCheckpoint,
    open_checkpoint,
    sign_checkpoint,
)
from frsgate.ledger.view import LedgerView

log = logging.getLogger(__name__)

MAX_BATCH = 1024  # entries per transaction: bounds the time the head lock is held


@dataclass(slots=True)
class _Pending:
    drafts: Sequence[EntryDraft]
    future: Future[list[int]] = field(default_factory=Future)


_STOP = object()


class Ledger(LedgerView):
    """The append-only audit ledger over the store `engine` (tables must exist).

    `signer` signs checkpoints; `origin` is the log's name in them (Settings.ledger_origin).
    Call `close()` when done: it drains pending appends and stops the committer thread.
    """

    def __init__(self, engine: Engine, *, signer: CheckpointSigner, origin: str) -> None:
        super().__init__(engine)
        self.signer = signer
        self.origin = origin
        storage.ensure_head(engine)
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._closed = False
        self._close_lock = threading.Lock()
        # The committer's view of the tree: (size, root) and the hashes of the complete
        # subtrees along the right edge (RFC 9162 compact range), reloaded whenever another
        # process moved the head.
        self._cached: tuple[int, bytes] | None = None
        self._frontier: list[tuple[int, bytes]] = []
        self._thread = threading.Thread(target=self._run, name="ledger-committer", daemon=True)
        self._thread.start()

    # Appending ---------------------------------------------------------------------------

    def append(self, draft: EntryDraft) -> int:
        """Record `draft` and return its `seq`.

        MUST NOT return until the entry is durable: the sequence number is handed back only
        after the transaction holding the entry, its tree nodes and the new head has
        committed. If this raises, the entry may or may not have been recorded; it is never
        recorded twice under two numbers, and no other entry takes its number.
        """
        return self.append_many([draft])[0]

    def append_many(self, drafts: Sequence[EntryDraft]) -> list[int]:
        """Record `drafts` atomically under consecutive seqs; durable before returning."""
        if not drafts:
            return []
        for draft in drafts:
            if not isinstance(draft, EntryDraft):
                raise ValidationFailed("the ledger records EntryDraft objects only")
        pending = _Pending(list(drafts))
        with self._close_lock:
            if self._closed:
                raise StoreError("the ledger is closed; no more appends")
            self._queue.put(pending)
        return pending.future.result()

    def _run(self) -> None:
        conn: Connection | None = None
        stopping = False
        while not stopping:
            item = self._queue.get()
            if item is _STOP:
                break
            batch: list[_Pending] = [item]
            count = len(item.drafts)
            while count < MAX_BATCH:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stopping = True
                    break
                batch.append(nxt)
                count += len(nxt.drafts)
            try:
                if conn is None:
                    conn = self.engine.connect()
                results = self._commit(conn, batch)
            except BaseException as exc:
                self._cached = None
                if conn is not None:
                    conn.invalidate()
                    conn.close()
                    conn = None
                error = (
                    exc
                    if isinstance(exc, FrsGateError)
                    else StoreError(f"ledger append failed: {exc}")
                )
                for pending in batch:
                    pending.future.set_exception(error)
                continue
            for pending, seqs in zip(batch, results, strict=True):
                pending.future.set_result(seqs)
        if conn is not None:
            conn.close()

    def _commit(self, conn: Connection, batch: list[_Pending]) -> list[list[int]]:
        with conn.begin():
            size, root, packed = storage.lock_head(conn)
            if self._cached == (size, root):
                frontier = list(self._frontier)
            else:
                frontier = self._unpack_frontier(conn, size, packed)
            time = format_time(datetime.now(UTC))
            entry_rows: list[tuple[int, bytes, bytes]] = []
            node_rows: list[tuple[int, int, bytes]] = []
            results: list[list[int]] = []
            seq = size
            for pending in batch:
                seqs = []
                for draft in pending.drafts:
                    data = canonical_entry(draft, seq=seq, time=time)
                    lh = leaf_hash(data)
                    entry_rows.append((seq, data, lh))
                    _push_leaf(frontier, seq, lh, node_rows)
                    seqs.append(seq)
                    seq += 1
                results.append(seqs)
            new_root = fold([h for _, h in frontier])
            packed = b"".join(h for _, h in frontier)
            storage.write_batch(conn, entry_rows, node_rows, (seq, new_root, packed))
        # Only now, after COMMIT, may anyone learn these numbers.
        self._cached = (seq, new_root)
        self._frontier = frontier
        return results

    def _unpack_frontier(
        self, conn: Connection, size: int, packed: bytes
    ) -> list[tuple[int, bytes]]:
        keys = root_keys(size)
        if len(packed) == 32 * len(keys):
            return [(level, packed[32 * i : 32 * i + 32]) for i, (level, _) in enumerate(keys)]
        return self._load_frontier(conn, size)  # not recorded in the head: read the nodes

    def _load_frontier(self, conn: Connection, size: int) -> list[tuple[int, bytes]]:
        keys = root_keys(size)

        def query(sql: str, params: Sequence[Any]) -> list[Any]:
            text = sql if conn.dialect.name == "sqlite" else sql.replace("?", "%s")
            return list(conn.exec_driver_sql(text, tuple(params)).all())

        found = storage.fetch_nodes(query, keys)
        missing = [k for k in keys if k not in found]
        if missing:
            raise StoreError(f"ledger nodes {missing} are missing; run `frsgate ledger verify`")
        return [(level, found[(level, idx)]) for level, idx in keys]

    def close(self) -> None:
        """Finish pending appends, stop the committer, release connections."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        self._thread.join()
        self.reader.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Checkpoints -------------------------------------------------------------------------

    def checkpoint(self) -> SignedCheckpoint:
        """Issue, sign and store a checkpoint of the current head (or return the stored one)."""
        with self.engine.begin() as conn:
            size, root, _ = storage.lock_head(conn)
            stored = storage.stored_checkpoint(conn, size)
            if stored is None:
                signed = sign_checkpoint(self.signer, Checkpoint(self.origin, size, root))
                storage.store_checkpoint(conn, size, root, signed.note)
                return signed
        return open_checkpoint(self.signer.verifier, stored[1], origin=self.origin)

    def latest_checkpoint(self) -> SignedCheckpoint | None:
        """The newest stored checkpoint, its signature checked; None before the first."""
        rows = self.reader.checkpoint_rows(latest_only=True)
        if not rows:
            return None
        try:
            return open_checkpoint(self.signer.verifier, rows[0][2], origin=self.origin)
        except InvalidProof as exc:
            raise StoreError(
                f"stored checkpoint at size {rows[0][0]} does not verify ({exc}); "
                "run `frsgate ledger verify`"
            ) from None


def _push_leaf(
    frontier: list[tuple[int, bytes]],
    index: int,
    leaf: bytes,
    node_rows: list[tuple[int, int, bytes]],
) -> None:
    """Add leaf `index` to the right edge, recording every complete subtree it closes."""
    frontier.append((0, leaf))
    while len(frontier) > 1 and frontier[-2][0] == frontier[-1][0]:
        (level, left), (_, right) = frontier[-2], frontier[-1]
        h = node_hash(left, right)
        del frontier[-2:]
        frontier.append((level + 1, h))
        node_rows.append((level + 1, index >> (level + 1), h))


class PeriodicCheckpointer:
    """Issues a checkpoint every `interval_seconds` when the ledger has grown since the last
    one (Settings.checkpoint_interval_seconds; 0 disables). Started and stopped by the
    service."""

    def __init__(self, ledger: Ledger, interval_seconds: float) -> None:
        self.ledger = ledger
        self.interval = interval_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> SignedCheckpoint | None:
        latest = self.ledger.latest_checkpoint()
        if latest is not None and latest.tree_size >= self.ledger.size():
            return None
        return self.ledger.checkpoint()

    def start(self) -> None:
        if self.interval <= 0 or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="ledger-checkpointer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.run_once()
            except Exception:
                log.exception("periodic ledger checkpoint failed; retrying next interval")
