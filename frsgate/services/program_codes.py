"""FRS program codes (memo 4.E.3), established and closed early by OSDM
(`program_code.establish`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from frsgate.domain import (
    FrsProgramCode,
)
from frsgate.domain.cases import check_record_code
from frsgate.errors import Conflict, ValidationFailed
from frsgate.ledger import EntryDraft, EventTag
from frsgate.policy.facts import Action, ChangeFacts, ChangeOp
from frsgate.services.administration import admin_ask, administer, change_draft
from frsgate.services.casework import (
    COMPONENT,
    KEEP,
    Keep,
    Names,
    ProgramCodeRecord,
    _code_fields,
    _statement,
    _utc,
)
from frsgate.services.gate import Ask, Caller, Gate, draft
from frsgate.store.unit import UnitOfWork

# --- FRS program codes (memo 4.E.3) -----------------------------------------------------


def _code_ask(code: str, op: ChangeOp, **details: Any) -> Ask:
    return admin_ask(
        Action.program_code_establish,
        resource_id=code,
        subject=f"program_code:{code}",
        change=ChangeFacts(op=op),
        program_code=code if code != "*" else None,
        details={"op": op.value, **details},
        component=COMPONENT,
    )


def _code_record(uow: UnitOfWork, gate: Gate, code: FrsProgramCode) -> ProgramCodeRecord:
    return ProgramCodeRecord(code, Names.read(uow, [code.established_by]),
                             code.is_valid(gate.now()))  # fmt: skip


def list_program_codes(*, gate: Gate, caller: Caller) -> list[ProgramCodeRecord]:
    held: list[FrsProgramCode] = []

    def ask(uow: UnitOfWork) -> Ask:
        held.extend(uow.frs_program_codes.list_all())
        return _code_ask("*", ChangeOp.view)

    def act(uow: UnitOfWork) -> tuple[list[ProgramCodeRecord], list[EntryDraft]]:
        entry = draft(
            caller, EventTag.PROGRAM_RECORDS_VIEW, action=Action.program_code_establish,
            subject="program_code:*", component=COMPONENT,
            details={"program_codes": [c.code for c in held]},
        )  # fmt: skip
        return [_code_record(uow, gate, c) for c in held], [entry]

    return administer(gate, caller, ask=ask, act=act)


def show_program_code(*, gate: Gate, caller: Caller, code: str) -> ProgramCodeRecord:
    held: list[FrsProgramCode] = []

    def ask(uow: UnitOfWork) -> Ask:
        held.append(uow.frs_program_codes.get_code(code))
        return _code_ask(code, ChangeOp.view)

    def act(uow: UnitOfWork) -> tuple[ProgramCodeRecord, list[EntryDraft]]:
        entry = draft(
            caller, EventTag.PROGRAM_RECORDS_VIEW, action=Action.program_code_establish,
            subject=f"program_code:{code}", component=COMPONENT, program_code=code,
            details={"program_codes": [code]},
        )  # fmt: skip
        return _code_record(uow, gate, held[0]), [entry]

    return administer(gate, caller, ask=ask, act=act)


def establish_program_code(
    *,
    gate: Gate,
    caller: Caller,
    code: str,
    description: str,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
) -> ProgramCodeRecord:
    """OSDM establishes an FRS program code (memo 4.E.3), valid from `valid_from` (now when
    not given) until `valid_until` (open-ended when not given)."""
    check_record_code("frs_program_code", "code", code)
    description = _statement("description", description)
    start = _utc(valid_from, "valid_from") or gate.now()
    end = _utc(valid_until, "valid_until")
    if end is not None and end <= start:
        raise ValidationFailed("valid_until: must be after valid_from")

    def ask(uow: UnitOfWork) -> Ask:
        return _code_ask(code, ChangeOp.create)

    def act(uow: UnitOfWork) -> tuple[ProgramCodeRecord, list[EntryDraft]]:
        if uow.frs_program_codes.find_code(code) is not None:
            raise Conflict(f"FRS program code {code!r} already exists")
        entry = FrsProgramCode(
            code=code, description=description, established_by=caller.user_id,
            valid_from=start, valid_until=end, created_at=gate.now(),
        )  # fmt: skip
        uow.frs_program_codes.add(entry)
        change = change_draft(
            caller, Action.program_code_establish, EventTag.PROGRAM_CODE_ESTABLISH,
            subject=f"program_code:{code}", before=None, after=_code_fields(entry),
            program_code=code, component=COMPONENT,
        )  # fmt: skip
        return _code_record(uow, gate, entry), [change]

    return administer(gate, caller, ask=ask, act=act)


def update_program_code(
    *,
    gate: Gate,
    caller: Caller,
    code: str,
    valid_until: datetime | Keep | None = KEEP,
    description: str | None = None,
) -> ProgramCodeRecord:
    """Change a code's description or the end of its validity: OSDM closes a code early by
    setting `valid_until` (None reopens it without end). Submissions already made were
    judged on the day they were made; the change holds for what comes after."""
    end: datetime | Keep | None = KEEP
    if not isinstance(valid_until, Keep):
        end = _utc(valid_until, "valid_until")
    text = _statement("description", description) if description is not None else None
    if isinstance(end, Keep) and text is None:
        raise ValidationFailed("nothing to change: name valid_until or description")
    held: list[FrsProgramCode] = []

    def ask(uow: UnitOfWork) -> Ask:
        held.append(uow.frs_program_codes.get_code(code, lock=True))
        return _code_ask(code, ChangeOp.update)

    def act(uow: UnitOfWork) -> tuple[ProgramCodeRecord, list[EntryDraft]]:
        entry = held[0]
        before = _code_fields(entry)
        if not isinstance(end, Keep):
            if end is not None and end <= entry.valid_from:
                raise ValidationFailed(
                    f"valid_until: must be after valid_from ({entry.valid_from.isoformat()})"
                )
            entry.end_validity(end)
        if text is not None:
            entry.description = text
        uow.frs_program_codes.update_code(entry)
        change = change_draft(
            caller, Action.program_code_establish, EventTag.PROGRAM_CODE_ESTABLISH,
            subject=f"program_code:{code}", before=before, after=_code_fields(entry),
            program_code=code, component=COMPONENT,
        )  # fmt: skip
        return _code_record(uow, gate, entry), [change]

    return administer(gate, caller, ask=ask, act=act)
