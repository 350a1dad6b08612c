"""The privacy office's read of the programs whose assessments it approves (memo 4.A.1).

A program or task force is no purpose for FRS use until IGP approves its privacy, civil rights
and civil liberties assessment (`programs.approve_assessment`, `program.assess`). Registering
programs and reading the register is the administrators' (`program.manage`); IGP needs the
same list to know what waits for its approval, so reading it is decided as `program.assess`
viewing the register (the pack gives that action to IGP alone, `program.assess_igp_only`) and
recorded (`program:records:view`).
"""

from __future__ import annotations

from frsgate.domain import ProgramStatus
from frsgate.ledger import EntryDraft, EventTag
from frsgate.policy.facts import Action, ChangeFacts, ChangeOp
from frsgate.services.administration import admin_ask, administer
from frsgate.services.casework import Names, ProgramRecord
from frsgate.services.gate import Ask, Caller, Gate, draft
from frsgate.store.unit import UnitOfWork

COMPONENT = "services.assessments"
# A read of the register answers nobody's request: no owner whose own request it could be
# (the empty owner is the translator's "nobody asked", as for a review OSDM begins).
NOBODY = ""


def programs_to_assess(*, gate: Gate, caller: Caller) -> list[ProgramRecord]:
    """Every program, those waiting for an assessment approval first, then by code."""
    held: list[ProgramRecord] = []

    def ask(uow: UnitOfWork) -> Ask:
        found = uow.programs.list_all()
        ids = [
            i for p in found for i in (p.supervisor_id, p.registered_by, p.assessment_approved_by)
        ]
        names = Names.read(uow, ids)
        found.sort(key=lambda p: (p.status is not ProgramStatus.pending_assessment, p.code))
        held.extend(ProgramRecord(p, names) for p in found)
        return admin_ask(
            Action.program_assess, resource_id="programs", owner_id=NOBODY,
            subject="program:*", change=ChangeFacts(op=ChangeOp.view), component=COMPONENT,
            details={"op": "view"},
        )  # fmt: skip

    def act(uow: UnitOfWork) -> tuple[list[ProgramRecord], list[EntryDraft]]:
        entry = draft(
            caller, EventTag.PROGRAM_RECORDS_VIEW, action=Action.program_assess,
            subject="program:*", component=COMPONENT,
            details={"programs": [r.program.code for r in held]},
        )  # fmt: skip
        return held, [entry]

    return administer(gate, caller, ask=ask, act=act)
