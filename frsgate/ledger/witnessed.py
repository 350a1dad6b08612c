"""Check the stored log against checkpoints its witnesses cosigned (c2sp.org/tlog-witness).

`frsgate ledger verify` proves the stored tree is internally consistent and consistent with
the stored checkpoints. Someone who can write the database can also delete those checkpoints
or rewrite the tail past the last one; only a record kept elsewhere catches that. A witness's
latest cosigned checkpoint is such a record, and this module compares the log with it:

- a log with entries but no stored checkpoint at all has lost them (or never issued one);
- a log shorter than a checkpoint a witness cosigned has lost entries;
- a log whose root at a witnessed size differs from the witnessed root, or a stored
  checkpoint of that size with another root, shows two views of one log (a split view).

Each problem is named, with the witness and the size. The cosigned notes come from the caller
(fetched from the witnesses, or saved earlier to files): this module does no I/O but the
ledger's own reads.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from frsgate.ledger.cosignature import CosignatureVerifier
from frsgate.ledger.merkle import InvalidProof
from frsgate.ledger.notes import NoteOpener, open_checkpoint
from frsgate.ledger.storage import Reader
from frsgate.ledger.view import LedgerView


@dataclass(frozen=True, slots=True)
class Witnessed:
    """One witness's latest cosigned checkpoint note, or why there is none."""

    witness: CosignatureVerifier
    note: str | None
    unavailable: str | None = None


@dataclass(frozen=True, slots=True)
class WitnessReport:
    ok: bool
    checked: tuple[str, ...] = ()
    problems: tuple[str, ...] = field(default=())

    def summary(self) -> str:
        if self.ok:
            return "witnessed: " + "; ".join(self.checked)
        return "witness check FAILED: " + self.problems[0]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def check_witnessed(
    view: LedgerView, log_key: NoteOpener, origin: str, witnessed: list[Witnessed]
) -> WitnessReport:
    """Compare the log behind `view` with each witness's latest cosigned checkpoint."""
    problems: list[str] = []
    checked: list[str] = []
    size = view.size()
    reader = Reader(view.engine)
    try:
        stored = {s: r for s, r, _ in reader.checkpoint_rows()}
    finally:
        reader.close()
    if size > 0 and not stored:
        problems.append(
            f"the log holds {size} entries but no checkpoint: its checkpoints were removed "
            "or never issued"
        )
    if not witnessed:
        problems.append("no witness is configured to check the log against")
    for w in witnessed:
        name = w.witness.name
        if w.note is None:
            problems.append(f"witness {name}: {w.unavailable or 'no cosigned checkpoint'}")
            continue
        try:
            signed = open_checkpoint(log_key, w.note, origin=origin)
            w.witness.timestamp_in(w.note)
        except InvalidProof as exc:
            problems.append(f"witness {name}: its checkpoint does not verify ({exc})")
            continue
        at = signed.tree_size
        if at > size:
            problems.append(
                f"the log holds {size} entries, fewer than the {at} witness {name} cosigned: "
                "entries were removed"
            )
            continue
        root = view.root(at)
        if root != signed.root:
            problems.append(
                f"split view at size {at}: witness {name} cosigned root {_b64(signed.root)}, "
                f"the log's root there is {_b64(root)}"
            )
            continue
        if at in stored and stored[at] != signed.root:
            problems.append(
                f"split view at size {at}: the stored checkpoint's root {_b64(stored[at])} "
                f"differs from the one witness {name} cosigned"
            )
            continue
        checked.append(f"{name} at size {at}")
    return WitnessReport(not problems, tuple(checked), tuple(problems))
