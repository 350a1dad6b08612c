"""Revision 0005 on a store that already has cases: each case's one supervisor becomes its lead
supervisor in `case_supervisors`, the case reads back with it, and going back to 0004 leaves
`cases.supervisor_id` as it was."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import inspect, text

from frsgate.store.engine import make_engine
from frsgate.store.migrate import alembic_config, downgrade, upgrade
from frsgate.store.unit import unit_of_work

AT = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def _user(user_id: str) -> dict[str, object]:
    return {"id": user_id, "username": user_id, "display_name": user_id.title(),
            "status": "active", "created_at": AT}  # fmt: skip


def _case(case_id: str, number: str, supervisor_id: str | None) -> dict[str, object]:
    return {"id": case_id, "number": number, "title": "t", "authority": "18 U.S.C. 545",
            "codes": "[]", "supervisor_id": supervisor_id, "opened_by": "usr_admin",
            "created_at": AT}  # fmt: skip


def test_upgrade_from_0004_makes_each_cases_supervisor_its_lead(database_url: str) -> None:
    from alembic import command

    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "0004")
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO users (id, username, display_name, status, created_at) "
                     "VALUES (:id, :username, :display_name, :status, :created_at)"),
                [_user("usr_sam"), _user("usr_admin")],
            )  # fmt: skip
            conn.execute(
                text("INSERT INTO user_roles (user_id, role) VALUES (:user_id, :role)"),
                [{"user_id": "usr_sam", "role": "supervisor"},
                 {"user_id": "usr_admin", "role": "admin"}],
            )  # fmt: skip
            conn.execute(
                text("INSERT INTO cases (id, number, title, statutory_authority, "
                     "violation_codes, under_hsi_authority, status, supervisor_id, opened_by, "
                     "created_at) VALUES (:id, :number, :title, :authority, :codes, true, "
                     "'open', :supervisor_id, :opened_by, :created_at)"),
                [_case("case_1", "HSI-2026-000001", "usr_sam"),
                 _case("case_2", "HSI-2026-000002", None)],
            )  # fmt: skip
        upgrade(engine)
        with unit_of_work(engine) as uow:
            # Rebuilding `users` (SQLite) neither refused nor cascaded into their roles.
            assert {str(r) for r in uow.users.get("usr_sam").roles} == {"supervisor"}
            assert {str(r) for r in uow.users.get("usr_admin").roles} == {"admin"}
            led = uow.cases.get("case_1")
            assert led.supervisor_ids == ("usr_sam",)
            assert uow.cases.get("case_2").supervisor_ids == ()
            assert [c.number for c in uow.cases.supervised_by("usr_sam")] == ["HSI-2026-000001"]
            # A second supervisor is stored beside the lead, who stays in cases.supervisor_id.
            led.add_supervisor("usr_admin")
            uow.cases.update(led)
        with engine.begin() as conn:
            rows = conn.execute(
                text("SELECT user_id, position FROM case_supervisors "
                     "WHERE case_id = 'case_1' ORDER BY position")
            ).all()  # fmt: skip
            assert [tuple(r) for r in rows] == [("usr_sam", 0), ("usr_admin", 1)]
            lead = conn.execute(text("SELECT supervisor_id FROM cases WHERE id = 'case_1'"))
            assert lead.scalar() == "usr_sam"
        downgrade(engine, "0004")
        assert "case_supervisors" not in inspect(engine).get_table_names()
        with engine.connect() as conn:
            kept = conn.execute(text("SELECT id, supervisor_id FROM cases ORDER BY id")).all()
            roles = conn.execute(text("SELECT user_id, role FROM user_roles ORDER BY user_id"))
            kept_roles = [tuple(r) for r in roles]
        assert [tuple(r) for r in kept] == [("case_1", "usr_sam"), ("case_2", None)]
        assert kept_roles == [("usr_admin", "admin"), ("usr_sam", "supervisor")]
    finally:
        engine.dispose()
