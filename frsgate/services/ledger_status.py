"""Where the ledger stands, for its auditors: the latest checkpoint, what was checked about it,
which witnesses cosigned it, and the log's signing keys.

Reading the status is a read of the whole log, decided and recorded as the API's reads are
(`ledger.read`, `ledger_reads.decide_read`); the pack gives it to OPR (memo 4.E.5) and IGP
(fn2). Then, as a report does (`reports.checked_checkpoint`), a checkpoint covering that read is
signed and checked in O(log n) reads: its note opens with the log's key, its root is the stored
tree's root at its size, and it is consistent (RFC 9162 consistency proof) with the checkpoint
stored before it. Entries are not re-hashed here: `frsgate ledger verify` does the full check.

Witnesses (c2sp.org/tlog-witness) cosign the checkpoints the service sends them after it
issues each one; their cosignatures are added to the stored note. For each configured witness
the status names the newest stored checkpoint it cosigned, when, and whether the log's root at
that size is still the root it cosigned (a different one is a split view). Nothing is fetched
from a witness here: the page shows what the store holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import desc, select

from frsgate.config import Settings
from frsgate.ledger.cosignature import CosignatureVerifier
from frsgate.ledger.merkle import InvalidProof, b64encode
from frsgate.ledger.notes import Checkpoint, split_note
from frsgate.reports.oversight.model import Verification
from frsgate.services import ledger_keys, ledger_reads
from frsgate.services.gate import Caller, Gate
from frsgate.services.reports import checked_checkpoint
from frsgate.services.witnessing import RECENT_CHECKPOINTS, configured_witnesses
from frsgate.store.schema.ledger import ledger_checkpoints


@dataclass(frozen=True, slots=True)
class WitnessState:
    """One configured witness and the newest stored checkpoint it cosigned."""

    name: str
    verifier: str  # its public verifier string
    cosigned_latest: bool  # the status's own checkpoint carries its cosignature
    last_size: int | None  # the newest stored checkpoint it cosigned (None: none recent)
    last_at: datetime | None  # when it cosigned that one
    problem: str | None = None  # the log no longer matches what it cosigned


@dataclass(frozen=True, slots=True)
class LogKey:
    """A key the log has signed checkpoints with."""

    verifier: str  # the public verifier string
    retired_at: int | None  # the last tree size it may sign; None: the current key


@dataclass(frozen=True, slots=True)
class LedgerStatus:
    origin: str
    tree_size: int
    root: str  # base64, as in the note
    note: str
    verification: Verification
    witnesses: tuple[WitnessState, ...]
    other_signatures: tuple[str, ...]  # key names on the note that are neither log nor witness
    keys: tuple[LogKey, ...]
    keys_problem: str | None = None  # why the key history could not be read

    @property
    def witnessed_by(self) -> tuple[str, ...]:
        return tuple(w.name for w in self.witnesses if w.cosigned_latest)


def _recent_notes(gate: Gate) -> list[tuple[int, str]]:
    with gate.engine.connect() as conn:
        rows = conn.execute(
            select(ledger_checkpoints.c.tree_size, ledger_checkpoints.c.note)
            .order_by(desc(ledger_checkpoints.c.tree_size))
            .limit(RECENT_CHECKPOINTS)
        ).all()
    return [(int(size), str(note)) for size, note in rows]


def _witness_state(
    gate: Gate, verifier: CosignatureVerifier, latest: str, notes: list[tuple[int, str]]
) -> WitnessState:
    def cosigned(note: str) -> int | None:
        try:
            return verifier.timestamp_in(note)
        except InvalidProof:
            return None

    for size, note in notes:
        stamp = cosigned(note)
        if stamp is None:
            continue
        problem = None
        witnessed_root = Checkpoint.parse(split_note(note)[0]).root
        if gate.ledger.root(size) != witnessed_root:
            problem = (
                f"split view at size {size}: the witness cosigned root "
                f"{b64encode(witnessed_root)}, the log's root there is "
                f"{b64encode(gate.ledger.root(size))}"
            )
        return WitnessState(
            name=verifier.name, verifier=verifier.verifier_string,
            cosigned_latest=cosigned(latest) is not None, last_size=size,
            last_at=datetime.fromtimestamp(stamp, UTC), problem=problem,
        )  # fmt: skip
    return WitnessState(
        name=verifier.name, verifier=verifier.verifier_string,
        cosigned_latest=cosigned(latest) is not None, last_size=None, last_at=None,
    )  # fmt: skip


def _keys(settings: Settings) -> tuple[tuple[LogKey, ...], str | None]:
    try:
        history = ledger_keys.key_history(settings)
    except (InvalidProof, OSError, ValueError) as exc:
        return (), f"the key history could not be read: {exc}"
    return tuple(LogKey(k.verifier.verifier_string, k.retired_at) for k in history.keys), None


def ledger_status(*, gate: Gate, caller: Caller, settings: Settings) -> LedgerStatus:
    """The ledger's status (see the module docstring); the read is decided and recorded first."""
    ledger_reads.decide_read(gate=gate, caller=caller, what="status", details={})
    signed, verification = checked_checkpoint(
        gate, full_verify=False, full_check="run `frsgate ledger verify`"
    )
    notes = _recent_notes(gate)
    witnesses = tuple(
        _witness_state(gate, w.verifier, signed.note, notes) for w in configured_witnesses(settings)
    )
    known = {gate.ledger.origin, *(w.name for w in witnesses)}
    _, lines = split_note(signed.note)
    others = tuple(sorted({name for name, _ in lines} - known))
    keys, problem = _keys(settings)
    checkpoint = signed.checkpoint
    return LedgerStatus(
        origin=checkpoint.origin, tree_size=checkpoint.tree_size,
        root=b64encode(checkpoint.root), note=signed.note, verification=verification,
        witnesses=witnesses, other_signatures=others, keys=keys, keys_problem=problem,
    )  # fmt: skip
