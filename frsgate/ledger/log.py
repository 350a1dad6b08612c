"""The ledger a service appends to: durable group-committed appends, roots, proofs, checkpoints.

Appends from every thread of a process are gathered into batches, each written in one
transaction that holds the head lock, so appends from every thread of every process are
serialized: sequence numbers have no gap, no fork and no duplicate. A caller learns its seq only
after COMMIT has returned, which under the store's durability settings (SQLite WAL with
synchronous=FULL, PostgreSQL synchronous_commit=on) means the entry is on disk.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine

from frsgate.errors import FrsGateError, StoreError, ValidationFailed
from frsgate.ledger import storage
from frsgate.ledger.entry import EntryDraft, canonical_entry, format_time
from frsgate.ledger.index import Batch
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
from frsgate.store.engine import is_sqlite, serialized_writes
from frsgate.store.faults import ledger_fault

log = logging.getLogger(__name__)

MAX_BATCH = 1024  # entries per transaction: bounds the time the head lock is held


class _Wake:
    """A one-slot wake-up signal on a bare lock (held while unset).

    `threading.Event` would do, but its `wait` and `set` run a `Condition` in Python code;
    with dozens of appenders each waking once per commit, that overhead, not the fsync, set
    the pace. `wait` returns once `set` has been called since the last `wait` (and consumes
    it); a second `set` before that `wait` is one wake-up, as with an Event set twice.
    """

    __slots__ = ("_lock",)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()

    def wait(self) -> None:
        self._lock.acquire()

    def set(self) -> None:
        with contextlib.suppress(RuntimeError):  # already set, not yet consumed
            self._lock.release()


class _Pending:
    """Drafts one caller appends together, and what became of them."""

    __slots__ = ("done", "drafts", "error", "seqs", "wake")

    def __init__(self, drafts: list[EntryDraft]) -> None:
        self.drafts = drafts
        self.seqs: list[int] = []
        self.error: BaseException | None = None
        self.done = False
        # Set when the drafts are committed (or failed), or when this caller must lead.
        self.wake = _Wake()


class Ledger(LedgerView):
    """The append-only audit ledger over the store `engine` (tables must exist).

    `signer` signs checkpoints; `origin` is the log's name in them (Settings.ledger_origin).
    Call `close()` when done: it waits for pending appends and releases the connection.

    Appends are group-committed by their own callers (leader/follower): a caller queues its
    drafts; if no one is committing it becomes the leader, otherwise it sleeps. The leader
    writes everything queued (up to MAX_BATCH entries) in one transaction, wakes each caller
    whose drafts it committed, and hands the lead to the first caller still queued. One
    writer pays no thread hand-off; many writers share each commit's fsync.
    """

    def __init__(self, engine: Engine, *, signer: CheckpointSigner, origin: str) -> None:
        super().__init__(engine)
        self.signer = signer
        self.origin = origin
        storage.ensure_head(engine)
        self._sqlite = is_sqlite(engine)
        self._queue: deque[_Pending] = deque()
        self._queue_lock = threading.Lock()  # guards _queue, _leading and _closed
        self._idle = threading.Condition(self._queue_lock)
        self._leading = False  # a caller is committing; the fields below are its alone
        self._closed = False
        self._db: Any = None  # raw DB-API connection of the commit path
        # The leader's view of the tree: (size, root) and the hashes of the complete subtrees
        # along the right edge (RFC 9162 compact range); re-read from the head row whenever
        # another process moved it.
        self._cached: tuple[int, bytes] | None = None
        self._frontier: list[tuple[int, bytes]] = []
        self.commits = 0  # transactions committed by this instance (entries / commits = batch)

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
        with self._queue_lock:
            if self._closed:
                raise StoreError("the ledger is closed; no more appends")
            self._queue.append(pending)
            lead = not self._leading
            self._leading = True
        while True:
            if not lead:
                pending.wake.wait()
                if pending.done:
                    break
            self._lead_once()  # woken without being done: this caller leads now
            if pending.done:
                break
            lead = False
        if pending.error is not None:
            raise pending.error
        return pending.seqs

    def append_in(self, conn: Connection, drafts: Sequence[EntryDraft]) -> list[int]:
        """Record `drafts` inside the caller's open write transaction on `conn`.

        This is how an act and its record become one: the state change the caller writes on
        `conn` and these entries commit together or not at all, so the store never holds an
        act the ledger lacks, nor the ledger an act the store lacks.

        The entries are durable exactly when the caller's transaction commits, and not before:
        the caller MUST NOT act outside FRS Gate (call an FRS, answer with the result) until that
        commit has returned, and MUST NOT hand out the returned seqs before it either. Appenders
        serialize on the head row (FOR UPDATE on PostgreSQL; the caller's BEGIN IMMEDIATE on
        SQLite), so seqs stay gapless and unique whichever path appends. Never call `append`
        from inside such a transaction: it would wait for the lock this transaction holds.
        """
        if not drafts:
            return []
        for draft in drafts:
            if not isinstance(draft, EntryDraft):
                raise ValidationFailed("the ledger records EntryDraft objects only")
        if self._closed:
            raise StoreError("the ledger is closed; no more appends")
        size, _, packed = storage.lock_head(conn)
        cur = conn.connection.cursor()
        try:
            frontier = self._unpack_frontier(cur, size, packed)
            time = format_time(datetime.now(UTC))
            entry_rows: list[tuple[int, bytes, bytes]] = []
            node_rows: list[tuple[int, int, bytes]] = []
            seqs: list[int] = []
            index = Batch()
            for seq, draft in enumerate(drafts, start=size):
                data = canonical_entry(draft, seq=seq, time=time)
                lh = leaf_hash(data)
                entry_rows.append((seq, data, lh))
                index.add(draft.body, seq, time)
                _push_leaf(frontier, seq, lh, node_rows)
                seqs.append(seq)
            new_root = fold([h for _, h in frontier])
            packed = b"".join(h for _, h in frontier)
            storage.write_batch(
                cur, entry_rows, node_rows, (size + len(drafts), new_root, packed), index,
                sqlite=self._sqlite,
            )  # fmt: skip
        except Exception as exc:
            # The raw cursor bypasses the engine's error listener: name a full disk, a
            # read-only database or a lock timeout here too (`frsgate.store.faults`).
            fault = ledger_fault(self.engine, exc)
            if fault is None:
                raise
            raise fault from exc
        finally:
            cur.close()
        # The group-commit path's cached head no longer matches the stored one; it re-reads the
        # right edge from the head row on its next batch (and keeps its cache if we roll back).
        return seqs

    def _lead_once(self) -> None:
        """Commit one batch from the queue's front, wake its callers, hand the lead on."""
        batch: list[_Pending] = []
        count = 0
        with self._queue_lock:
            while self._queue and (not batch or count + len(self._queue[0].drafts) <= MAX_BATCH):
                item = self._queue.popleft()
                batch.append(item)
                count += len(item.drafts)
        try:
            if batch:
                with serialized_writes(self.engine):
                    if self._db is None:
                        self._db = self.engine.raw_connection()
                    results = self._commit(self._db, batch)
                for pending, seqs in zip(batch, results, strict=True):
                    pending.seqs = seqs
        except BaseException as exc:
            self._cached = None
            self._drop_connection()
            error = (
                exc
                if isinstance(exc, FrsGateError)
                else ledger_fault(self.engine, exc) or StoreError(f"ledger append failed: {exc}")
            )
            for pending in batch:
                pending.error = error
        for pending in batch:
            pending.done = True
            pending.wake.set()
        with self._queue_lock:
            if self._queue:
                self._queue[0].wake.set()  # not done, so it wakes up as the leader
            else:
                self._leading = False
                self._idle.notify_all()

    def _drop_connection(self) -> None:
        if self._db is not None:
            try:
                self._db.invalidate()
            finally:
                self._db = None

    def _commit(self, db: Any, batch: list[_Pending]) -> list[list[int]]:
        cur = db.cursor()
        try:
            if self._sqlite:
                cur.execute("BEGIN IMMEDIATE")  # the write lock, before reading the head
            size, root, packed = storage.head_for_update(cur, sqlite=self._sqlite)
            if self._cached == (size, root):
                frontier = list(self._frontier)
            else:
                frontier = self._unpack_frontier(cur, size, packed)
            time = format_time(datetime.now(UTC))
            entry_rows: list[tuple[int, bytes, bytes]] = []
            node_rows: list[tuple[int, int, bytes]] = []
            results: list[list[int]] = []
            index = Batch()
            seq = size
            for pending in batch:
                seqs = []
                for draft in pending.drafts:
                    data = canonical_entry(draft, seq=seq, time=time)
                    lh = leaf_hash(data)
                    entry_rows.append((seq, data, lh))
                    index.add(draft.body, seq, time)
                    _push_leaf(frontier, seq, lh, node_rows)
                    seqs.append(seq)
                    seq += 1
                results.append(seqs)
            new_root = fold([h for _, h in frontier])
            packed = b"".join(h for _, h in frontier)
            storage.write_batch(
                cur, entry_rows, node_rows, (seq, new_root, packed), index, sqlite=self._sqlite
            )
            if self._sqlite:
                cur.execute("COMMIT")
            else:
                db.commit()
        except BaseException:
            try:
                if self._sqlite:
                    if db.driver_connection.in_transaction:
                        cur.execute("ROLLBACK")
                else:
                    db.rollback()
            finally:
                cur.close()
            raise
        cur.close()
        # Only now, after COMMIT, may anyone learn these numbers.
        self.commits += 1
        self._cached = (seq, new_root)
        self._frontier = frontier
        return results

    def _unpack_frontier(self, cur: Any, size: int, packed: bytes) -> list[tuple[int, bytes]]:
        keys = root_keys(size)
        if len(packed) == 32 * len(keys):
            return [(level, packed[32 * i : 32 * i + 32]) for i, (level, _) in enumerate(keys)]

        # Not recorded in the head row: read the right-edge subtrees from the nodes.
        def query(sql: str, params: Sequence[Any]) -> list[Any]:
            cur.execute(sql if self._sqlite else sql.replace("?", "%s"), tuple(params))
            return list(cur.fetchall())

        found = storage.fetch_nodes(query, keys)
        missing = [k for k in keys if k not in found]
        if missing:
            raise StoreError(f"ledger nodes {missing} are missing; run `frsgate ledger verify`")
        return [(level, bytes(found[(level, idx)])) for level, idx in keys]

    def close(self) -> None:
        """Wait for appends in flight, then release the connections; later appends fail."""
        with self._queue_lock:
            if self._closed:
                return
            self._closed = True
            while self._leading:
                self._idle.wait()
            if self._db is not None:
                self._db.close()
                self._db = None
        super().close()

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

    def __init__(
        self,
        ledger: Ledger,
        interval_seconds: float,
        *,
        after: Callable[[], None] | None = None,
        first_round_now: bool = False,
    ) -> None:
        self.ledger = ledger
        self.interval = interval_seconds
        # Run after each round (e.g. submitting the checkpoint to witnesses); its failures are
        # logged and never stop the checkpoints.
        self.after = after
        # With witnesses, the first round runs at start: a fresh service's log is witnessed
        # at once, not an interval later.
        self.first_round_now = first_round_now
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
        if self.first_round_now:
            self._round()
        while not self._stop.wait(self.interval):
            self._round()

    def _round(self) -> None:
        try:
            self.run_once()
        except Exception:
            log.exception("periodic ledger checkpoint failed; retrying next interval")
            return
        if self.after is not None:
            try:
                self.after()
            except Exception:
                log.exception("after the periodic checkpoint; retrying next interval")
