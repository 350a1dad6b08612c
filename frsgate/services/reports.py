"""Running an oversight report: decided, recorded, computed from one signed checkpoint.

1. The run is an act the pack decides (`report.run`, the resource naming the report: a
   supervisor's report for supervisors, memo 4.E.4; OPR's audit for OPR, 4.E.5; IGP's record
   for IGP, fn2; the annual aggregate for IGP and OPR) and records (`report:record:create`),
   both committed before anything is computed.
2. A checkpoint of the ledger is signed at once; it covers that entry. Before it is used it is
   checked in O(log n) reads: its note opens with the log's key, its root is the root the
   stored tree gives at its size, and it is consistent (RFC 9162 consistency proof) with the
   latest checkpoint stored before it. On request (`full_verify`) the whole ledger is verified
   too, trusting that checkpoint (O(n): every entry, node and stored checkpoint).
3. Every ledger figure counts entries below the checkpoint's size, inside the period, with
   set-based SQL in one read-only snapshot (`frsgate.reports.oversight.queries`); the report
   states the checkpoint (size, root) and how long it took.
"""

from __future__ import annotations

import time

from sqlalchemy import Connection, func, select

from frsgate.ledger import EntryDraft, EventTag, InvalidProof, verify_consistency
from frsgate.ledger.merkle import b64encode
from frsgate.ledger.notes import SignedCheckpoint, open_checkpoint
from frsgate.ledger.verify import Progress, verify_ledger
from frsgate.policy.facts import Action, Context, Resource, ResourceKind
from frsgate.reports.oversight.build import STEPS, Inputs, PackIdentity, Step, build
from frsgate.reports.oversight.model import (
    CheckpointRef,
    Period,
    Report,
    ReportKind,
    Table,
    Verification,
)
from frsgate.reports.oversight.queries.window import Scope, Window
from frsgate.services import log_review
from frsgate.services.activation import pack_subject
from frsgate.services.gate import Ask, Caller, Gate, Ruling
from frsgate.services.log_review import DEFAULT_PERIOD_DAYS
from frsgate.services.roi import deadline_days
from frsgate.store.schema.core import case_supervisors
from frsgate.store.unit import UnitOfWork, snapshot

COMPONENT = "services.reports"
REFERRAL_OUTCOMES = ("open", "substantiated", "unsubstantiated", "closed")

# The reports that count uses and their results carry the lead-only notice (memo 4.D.2).
SHOWS_RESULTS = frozenset({ReportKind.supervisor, ReportKind.opr, ReportKind.annual})
# How to have a report's entries re-hashed, as its verification statement says.
FULL_CHECK = "run the report with --verify-full, or `frsgate ledger verify`,"


def steps(kind: ReportKind) -> int:
    """How many parts computing `kind` reports through `step` (for a progress bar)."""
    return STEPS[kind]


def run_report(
    *,
    gate: Gate,
    caller: Caller,
    kind: ReportKind,
    first: str | None = None,
    last: str | None = None,
    full_verify: bool = False,
    step: Step | None = None,
    verify_progress: Progress | None = None,
    review_period_days: int = DEFAULT_PERIOD_DAYS,
) -> Report:
    """Decide, record and compute the report `kind` over the days `first`..`last`
    (YYYY-MM-DD; see `Period.parse` for the defaults)."""
    started = time.perf_counter()
    period = Period.parse(first, last, kind=kind, today=gate.now().date())
    details = {
        "report": kind.value,
        "from": period.first.isoformat(),
        "to": period.last.isoformat(),
        "full_verify": full_verify,
    }

    def ask(uow: UnitOfWork) -> Ask:
        return Ask(
            action=Action.report_run,
            resource=Resource(kind=ResourceKind.report, id=kind.value),
            contexts=[Context(report=kind.value)],
            subject=f"report:{kind.value}",
            component=COMPONENT,
            details=details,
        )

    def act(uow: UnitOfWork, ruling: Ruling) -> tuple[None, list[EntryDraft]]:
        return None, [ruling.act_entry(caller, EventTag.REPORT_RECORD_CREATE, details=details)]

    gate.enforce(caller, ask=ask, act=act)
    signed, verification = checked_checkpoint(gate, full_verify, verify_progress)
    window = Window(period=period, size=signed.tree_size, now=gate.now())
    scope = Scope(supervisor_id=caller.user_id if kind is ReportKind.supervisor else None)
    pack = gate.policy
    inputs = Inputs(
        window=window,
        scope=scope,
        cures=frozenset(r.id for r in pack.rules if r.curable),
        roi_deadline_days=deadline_days(gate),
        pack=PackIdentity(
            id=pack.id, version=pack.version, sha256=pack.sha256, subject=pack_subject(pack)
        ),
    )
    # One snapshot for every query of the report, not one per statement.
    with snapshot(gate.engine) as uow:
        figures, tables = build(kind, uow.conn, inputs, step or (lambda _: None))
        if kind in (ReportKind.supervisor, ReportKind.opr):
            tables += review_sections(uow.conn, window, scope, review_period_days)
        described = _scope(uow.conn, kind, caller)
    checkpoint = signed.checkpoint
    return Report(
        kind=kind,
        period=period,
        generated_at=window.now,
        generated_by=caller.user.username,
        scope=described,
        checkpoint=CheckpointRef(
            origin=checkpoint.origin,
            tree_size=checkpoint.tree_size,
            root=b64encode(checkpoint.root),
            note=signed.note,
        ),
        verification=verification,
        shows_results=kind in SHOWS_RESULTS,
        figures=figures,
        tables=tables,
        notes=[
            "Ledger figures count the entries below the checkpoint's tree size whose time "
            "falls in the period (UTC days): a use is a dispatch intent entry, described as "
            "the entry describes it, and what the FRS answered is its outcome entry's. "
            "Figures about records (approvals, shares, partner searches, "
            "report-of-investigation entries, leads) read them as stored when the report ran.",
        ],
        seconds=time.perf_counter() - started,
    )


def review_sections(
    conn: Connection, window: Window, scope: Scope, period_days: int
) -> list[Table]:
    """The routine log review's sections of the supervisor's and OPR's reports (memo 4.E.4):
    *referrals to OPR and their outcome* (made in the period) and *missed reviews* (review
    periods wholly inside the report's period, ended before it ran, that a supervisor with
    activity on their cases did not sign off). A supervisor's report shows the missed reviews
    of the supervisors who report to them; OPR's, everyone's."""
    uow = UnitOfWork(conn)
    start, end = window.period.start, min(window.period.end, window.now)
    counts = log_review.referral_counts(uow, window.period.start, window.period.end)
    referrals = Table(
        key="referrals",
        title="Referrals to OPR and their outcome",
        columns=(("outcome", "Outcome"), ("referrals", "Referrals")),
        rows=tuple((outcome, counts[outcome]) for outcome in REFERRAL_OUTCOMES),
        note="referrals made in the period, by the outcome OPR recorded (open: none yet); "
        "memo 4.E.4, 4.E.5",
    )
    missed = log_review.missed_reviews(
        uow, start, end, period_days=period_days, supervisors_of=scope.supervisor_id
    )
    shown = (
        "the supervisors who report to this supervisor"
        if scope.supervisor_id is not None
        else "every supervisor"
    )
    return [
        referrals,
        Table(
            key="missed_reviews",
            title="Missed log reviews",
            columns=(
                ("supervisor", "Supervisor"),
                ("period_start", "Period start"),
                ("period_end", "Period end"),
                ("entries", "Entries to review"),
            ),
            rows=tuple(
                (
                    m.supervisor,
                    m.period.starts_at.isoformat(),
                    m.period.ends_at.isoformat(),
                    m.entries,
                )
                for m in missed
            ),
            note=f"review periods of {period_days} day(s) inside the report's period with "
            f"activity on the supervisor's cases and no sign-off; {shown}",
        ),
    ]


def _scope(conn: Connection, kind: ReportKind, caller: Caller) -> str:
    if kind is not ReportKind.supervisor:
        return "every case and program"
    count = conn.execute(
        select(func.count()).where(case_supervisors.c.user_id == caller.user_id)
    ).scalar()
    return (
        f"the {int(count or 0)} case(s) {caller.user.username} supervises "
        "(program uses without a case are not included)"
    )


def checked_checkpoint(
    gate: Gate,
    full_verify: bool,
    progress: Progress | None = None,
    *,
    full_check: str = FULL_CHECK,
) -> tuple[SignedCheckpoint, Verification]:
    """A checkpoint of the ledger signed now, and what was checked about it (module
    docstring, step 2). `full_check` says how to have the entries re-hashed too."""
    ledger = gate.ledger
    previous = ledger.latest_checkpoint()
    signed = ledger.checkpoint()
    size = signed.tree_size
    against = previous.tree_size if previous is not None else None
    try:
        open_checkpoint(ledger.signer.verifier, signed.note, origin=ledger.origin)
        if ledger.root(size) != signed.root:
            raise InvalidProof(f"the stored tree's root at size {size} is not the signed one")
        if previous is not None and 0 < previous.tree_size < size:
            proof = ledger.consistency_proof(previous.tree_size, size)
            verify_consistency(previous.tree_size, size, proof.hashes, previous.root, signed.root)
        elif previous is not None and previous.tree_size == size and previous.root != signed.root:
            raise InvalidProof(f"two checkpoints of size {size} with different roots")
    except InvalidProof as exc:
        return signed, Verification(
            method="consistency",
            ok=False,
            statement=f"the report's checkpoint at size {size} did not check: {exc}",
            checked_against=against,
        )
    statement = (
        f"the checkpoint at tree size {size} is signed by the log's key and its root is the "
        "stored tree's root at that size"
    )
    if previous is not None and previous.tree_size:
        statement += (
            f"; it is consistent (RFC 9162 consistency proof) with the latest checkpoint "
            f"stored before it, at tree size {previous.tree_size}"
        )
    else:
        statement += "; no earlier checkpoint was stored to check it against"
    if not full_verify:
        statement += f". The entries themselves were not re-hashed: {full_check} for the full check"
        return signed, Verification(
            method="consistency", ok=True, statement=statement, checked_against=against
        )
    full = verify_ledger(
        gate.engine,
        ledger.signer.verifier,
        trusted_checkpoint=signed.note,
        origin=ledger.origin,
        progress=progress,
    )
    return signed, Verification(
        method="full",
        ok=full.ok,
        statement=f"{statement}; full verification: {full.summary()}",
        checked_against=size,
    )
