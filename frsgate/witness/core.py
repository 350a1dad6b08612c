"""The witness's rules (c2sp.org/tlog-witness `add-checkpoint`), its storage, and nothing of HTTP.

For each log it trusts (by origin and note verifier key), the witness keeps one record: the
latest checkpoint it cosigned. A request names the size the client believes that is (`old`),
gives a consistency proof from it to a new checkpoint, and the checkpoint signed by the log.
The witness cosigns only if the signature verifies, `old` is exactly its stored size, and the
proof shows the stored tree is a prefix of the new one (RFC 9162 §2.1.4.2); the check and the
update of the record are one transaction (the spec's rollback race), in a SQLite file of the
witness's own, created private (0600).
"""

from __future__ import annotations

import base64
import binascii
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from frsgate.ledger.cosignature import Cosigner, add_signature_lines
from frsgate.ledger.merkle import HASH_SIZE, InvalidProof, verify_consistency
from frsgate.ledger.notes import Checkpoint, NoteVerifier

MAX_PROOF_LINES = 63  # c2sp.org/tlog-witness
MAX_REQUEST_BYTES = 64 * 1024
SIZE_TYPE = "text/x.tlog.size"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS cosigned (
    origin TEXT PRIMARY KEY,
    tree_size INTEGER NOT NULL,
    root BLOB NOT NULL,
    note TEXT NOT NULL,
    cosigned_at INTEGER NOT NULL
)
"""


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer, as the protocol defines it: status, body, content type."""

    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Request:
    old_size: int
    proof: list[bytes]
    note: str


def parse_request(raw: bytes) -> Request:
    """Read an add-checkpoint body; `ValueError` naming what is malformed."""
    if len(raw) > MAX_REQUEST_BYTES:
        raise ValueError(f"the request is larger than {MAX_REQUEST_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the request is not UTF-8") from None
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise ValueError("the request has no empty line before the checkpoint")
    lines = head.split("\n")
    first = lines[0]
    if not first.startswith("old "):
        raise ValueError("the request does not open with an 'old <size>' line")
    size_text = first[4:]
    if (
        not size_text.isascii()
        or not size_text.isdigit()
        or (len(size_text) > 1 and size_text[0] == "0")
    ):
        raise ValueError("the old size is not a decimal number without leading zeroes")
    proof_lines = lines[1:]
    if len(proof_lines) > MAX_PROOF_LINES:
        raise ValueError(f"more than {MAX_PROOF_LINES} consistency proof lines")
    proof = []
    for line in proof_lines:
        try:
            digest = base64.b64decode(line, validate=True)
        except binascii.Error:
            raise ValueError("a consistency proof line is not base64") from None
        if len(digest) != HASH_SIZE:
            raise ValueError("a consistency proof line is not a SHA-256 hash")
        proof.append(digest)
    return Request(int(size_text), proof, note)


class WitnessStore:
    """The latest cosigned checkpoint of each log, in a SQLite file only the witness reads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=DELETE")  # one file to keep private and back up
        self._db.execute(_SCHEMA)
        self._lock = threading.Lock()

    def latest(self, origin: str) -> tuple[int, bytes, str] | None:
        row = self._db.execute(
            "SELECT tree_size, root, note FROM cosigned WHERE origin = ?", (origin,)
        ).fetchone()
        return None if row is None else (int(row[0]), bytes(row[1]), str(row[2]))

    def close(self) -> None:
        self._db.close()

    def transaction(self, work: Callable[[sqlite3.Connection], Answer]) -> Answer:
        """Run `work` under the write lock (threads here, processes via BEGIN IMMEDIATE)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                answer = work(self._db)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return answer


class Witness:
    """Cosigns checkpoints of the logs in `logs` (origin -> the log's note verifier)."""

    def __init__(
        self,
        store: WitnessStore,
        cosigner: Cosigner,
        logs: Mapping[str, NoteVerifier],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.cosigner = cosigner
        self.logs = dict(logs)
        self._clock = clock

    def add_checkpoint(self, raw: bytes) -> Answer:
        try:
            request = parse_request(raw)
            body = request.note.rpartition("\n\n")[0] + "\n"
            checkpoint = Checkpoint.parse(body)
        except (ValueError, InvalidProof) as exc:
            return Answer(400, f"{exc}\n")
        log = self.logs.get(checkpoint.origin)
        if log is None:
            return Answer(404, f"this witness does not know the log {checkpoint.origin!r}\n")
        try:
            log.open(request.note)
        except InvalidProof:
            return Answer(403, "no signature on the checkpoint verifies with the log's key\n")
        if request.old_size > checkpoint.tree_size:
            return Answer(400, "the old size is larger than the checkpoint's size\n")
        if request.old_size == 0 and request.proof:
            return Answer(400, "a consistency proof from size 0 must be empty\n")

        def check_and_record(db: sqlite3.Connection) -> Answer:
            row = db.execute(
                "SELECT tree_size, root FROM cosigned WHERE origin = ?", (checkpoint.origin,)
            ).fetchone()
            size, root = (int(row[0]), bytes(row[1])) if row else (0, b"")
            if request.old_size != size:
                return Answer(409, f"{size}\n", SIZE_TYPE)
            if size == checkpoint.tree_size and row is not None and root != checkpoint.root:
                return Answer(409, "a checkpoint of this size with another root was cosigned\n")
            if size and size < checkpoint.tree_size:
                try:
                    verify_consistency(
                        size, checkpoint.tree_size, request.proof, root, checkpoint.root
                    )
                except InvalidProof as exc:
                    return Answer(422, f"the consistency proof does not verify: {exc}\n")
            elif request.proof:
                return Answer(422, "the consistency proof must be empty here\n")
            line = self.cosigner.cosign(checkpoint, int(self._clock()))
            kept = add_signature_lines(request.note, line)
            db.execute(
                "INSERT INTO cosigned (origin, tree_size, root, note, cosigned_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (origin) DO UPDATE SET"
                " tree_size = excluded.tree_size, root = excluded.root, note = excluded.note,"
                " cosigned_at = excluded.cosigned_at",
                (checkpoint.origin, checkpoint.tree_size, checkpoint.root, kept,
                 int(self._clock())),
            )  # fmt: skip
            return Answer(200, line)

        return self.store.transaction(check_and_record)

    def latest(self, origin: str) -> Answer:
        """The latest checkpoint this witness cosigned for `origin`, with its cosignature: what
        an auditor compares a log against (a log shorter than it, or with another root at its
        size, has lost or rewritten history)."""
        found = self.store.latest(origin)
        if found is None:
            return Answer(404, f"no checkpoint of {origin!r} has been cosigned here\n")
        return Answer(200, found[2])
