"""Cases with their assigned users, and programs/task forces (memo 4.A.1)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, Table, select

from frsgate.domain import Case, CaseStatus, FrsProgramCode, Program, ProgramStatus
from frsgate.errors import NotFound
from frsgate.store.repositories.base import Repository
from frsgate.store.repositories.mapping import EntityMapper
from frsgate.store.schema.core import (
    case_assignments,
    case_supervisors,
    cases,
    frs_program_codes,
    program_members,
    programs,
)


class CaseRepository(Repository[Case]):
    label = "case"
    # `cases.supervisor_id` holds the lead supervisor beside the ordered `case_supervisors`
    # (see the schema): written from the entity, never read back into it.
    mapper = EntityMapper(
        Case,
        cases,
        external=("supervisor_ids", "assigned_user_ids"),
        extra_columns=("supervisor_id",),
    )

    def _row(self, entity: Case) -> dict[str, Any]:
        return {**self.mapper.to_row(entity), "supervisor_id": entity.lead_supervisor_id}

    def _after_write(self, entity: Case) -> None:
        for table, user_ids in (
            (case_supervisors, entity.supervisor_ids),
            (case_assignments, entity.assigned_user_ids),
        ):
            self.conn.execute(table.delete().where(table.c.case_id == entity.id))
            if user_ids:
                self.conn.execute(
                    table.insert(),
                    [
                        {"case_id": entity.id, "user_id": user_id, "position": position}
                        for position, user_id in enumerate(user_ids)
                    ],
                )

    def _people(self, table: Table, case_ids: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """The users of `table` (supervisors or assignments) of each case, in their order."""
        ids = list(case_ids)
        found: dict[str, list[str]] = defaultdict(list)
        if ids:
            stmt = (
                select(table)
                .where(table.c.case_id.in_(ids))
                .order_by(table.c.case_id, table.c.position)
            )
            for row in self.conn.execute(stmt).mappings():
                found[row["case_id"]].append(row["user_id"])
        return {cid: tuple(found.get(cid, ())) for cid in ids}

    def _load(self, row: Any) -> Case:
        [case] = self._build([row])
        return case

    def _many(self, stmt: Select[Any]) -> list[Case]:
        return self._build(list(self.conn.execute(stmt).mappings()))

    def _build(self, rows: list[Any]) -> list[Case]:
        ids = [r["id"] for r in rows]
        supervisors = self._people(case_supervisors, ids)
        assigned = self._people(case_assignments, ids)
        return [
            self.mapper.from_row(
                r, supervisor_ids=supervisors[r["id"]], assigned_user_ids=assigned[r["id"]]
            )
            for r in rows
        ]

    def get_by_number(self, number: str, *, lock: bool = False) -> Case:
        stmt = select(cases).where(cases.c.number == number)
        if lock:
            stmt = stmt.with_for_update(key_share=True)
        row = self.conn.execute(stmt).mappings().first()
        if row is None:
            raise NotFound(f"case number {number!r} does not exist")
        return self._load(row)

    def list_all(self, *, status: CaseStatus | None = None) -> list[Case]:
        stmt = self._select().order_by(cases.c.number)
        if status is not None:
            stmt = stmt.where(cases.c.status == status.value)
        return self._many(stmt)

    def assigned_to(self, user_id: str, *, status: CaseStatus | None = None) -> list[Case]:
        """Cases the user is assigned to (what an agent may work on)."""
        mine = select(case_assignments.c.case_id).where(case_assignments.c.user_id == user_id)
        stmt = self._select().where(cases.c.id.in_(mine)).order_by(cases.c.number)
        if status is not None:
            stmt = stmt.where(cases.c.status == status.value)
        return self._many(stmt)

    def find_number(self, number: str) -> Case | None:
        try:
            return self.get_by_number(number)
        except NotFound:
            return None

    def supervised_by(self, supervisor_id: str) -> list[Case]:
        """Cases whose logs and files this supervisor reviews, as one of their supervisors
        (memo 4.E.4)."""
        theirs = select(case_supervisors.c.case_id).where(
            case_supervisors.c.user_id == supervisor_id
        )
        stmt = self._select().where(cases.c.id.in_(theirs))
        return self._many(stmt.order_by(cases.c.number))


class ProgramRepository(Repository[Program]):
    label = "program"
    mapper = EntityMapper(Program, programs, external=("member_ids",))

    def _after_write(self, entity: Program) -> None:
        self.conn.execute(program_members.delete().where(program_members.c.program_id == entity.id))
        if entity.member_ids:
            self.conn.execute(
                program_members.insert(),
                [
                    {"program_id": entity.id, "user_id": user_id, "position": position}
                    for position, user_id in enumerate(entity.member_ids)
                ],
            )

    def _members(self, program_ids: Iterable[str]) -> dict[str, tuple[str, ...]]:
        ids = list(program_ids)
        found: dict[str, list[str]] = defaultdict(list)
        if ids:
            stmt = (
                select(program_members)
                .where(program_members.c.program_id.in_(ids))
                .order_by(program_members.c.program_id, program_members.c.position)
            )
            for row in self.conn.execute(stmt).mappings():
                found[row["program_id"]].append(row["user_id"])
        return {pid: tuple(found.get(pid, ())) for pid in ids}

    def _load(self, row: Any) -> Program:
        program: Program = self.mapper.from_row(
            row, member_ids=self._members([row["id"]])[row["id"]]
        )
        return program

    def _many(self, stmt: Select[Any]) -> list[Program]:
        rows = list(self.conn.execute(stmt).mappings())
        members = self._members(r["id"] for r in rows)
        return [self.mapper.from_row(r, member_ids=members[r["id"]]) for r in rows]

    def supervised_by(self, supervisor_id: str) -> list[Program]:
        stmt = self._select().where(programs.c.supervisor_id == supervisor_id)
        return self._many(stmt.order_by(programs.c.code))

    def get_by_code(self, code: str, *, lock: bool = False) -> Program:
        stmt = select(programs).where(programs.c.code == code)
        if lock:
            stmt = stmt.with_for_update(key_share=True)
        row = self.conn.execute(stmt).mappings().first()
        if row is None:
            raise NotFound(f"program code {code!r} does not exist")
        return self._load(row)

    def list_all(self, *, status: ProgramStatus | None = None) -> list[Program]:
        stmt = self._select().order_by(programs.c.code)
        if status is not None:
            stmt = stmt.where(programs.c.status == status.value)
        return self._many(stmt)


class FrsProgramCodeRepository(Repository[FrsProgramCode]):
    """The FRS program codes OSDM established (memo 4.E.3), keyed by the code itself."""

    label = "FRS program code"
    mapper = EntityMapper(FrsProgramCode, frs_program_codes)
    status_column = None

    def get_code(self, code: str, *, lock: bool = False) -> FrsProgramCode:
        stmt = select(frs_program_codes).where(frs_program_codes.c.code == code)
        if lock:
            stmt = stmt.with_for_update(key_share=True)
        row = self.conn.execute(stmt).mappings().first()
        if row is None:
            raise NotFound(f"FRS program code {code!r} does not exist")
        return self._load(row)

    def update_code(self, entity: FrsProgramCode) -> FrsProgramCode:
        """Write the code's description and validity (the code itself is its key and the
        record of who established it and when never changes)."""
        table = frs_program_codes
        result = self.conn.execute(
            table.update()
            .where(table.c.code == entity.code)
            .values(description=entity.description, valid_from=entity.valid_from,
                    valid_until=entity.valid_until)
        )  # fmt: skip
        if result.rowcount != 1:
            raise NotFound(f"FRS program code {entity.code!r} does not exist")
        return entity

    def find_code(self, code: str) -> FrsProgramCode | None:
        stmt = select(frs_program_codes).where(frs_program_codes.c.code == code)
        row = self.conn.execute(stmt).mappings().first()
        return None if row is None else self._load(row)

    def list_all(self) -> list[FrsProgramCode]:
        return self._many(self._select().order_by(frs_program_codes.c.code))
