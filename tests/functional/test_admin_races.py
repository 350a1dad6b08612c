"""Administration raced: two administrators acting on one record at the same moment, each act
allowed on its own, together forbidden. The decision point reads the account inside the act's
transaction, with the row locked, so the second decision sees the first act."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
from harness import Gateway

from frsgate.domain import Role
from frsgate.ledger import Actor
from frsgate.services import admin
from frsgate.store.unit import read_only

ROUNDS = 6


def test_auditor_and_administrator_granted_at_once_never_meet_on_one_account(
    gateway: Gateway,
) -> None:
    """memo 4.E.5: `users.opr_not_admin`. Granting opr and admin to one account at the same
    time: one grant is allowed, the other refused and cited, never both held."""
    second = admin.create_user(gateway.runtime.gate, Actor.system(), username="abe",
                               display_name="Abe Admin", roles=[Role.admin])  # fmt: skip
    gateway.users["abe"] = second.id
    for n in range(ROUNDS):
        target = f"target{n}"
        with gateway.client("ada") as ada:
            made = ada.post(
                "/api/v1/admin/users", json={"username": target, "display_name": f"T {n}"}
            )
            assert made.status_code == 201, made.text

        def grant(act: tuple[str, str, str]) -> httpx.Response:
            who, account, role = act
            with gateway.client(who) as client:
                return client.post(f"/api/v1/admin/users/{account}/roles", json={"role": role})

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(grant, [("ada", target, "opr"), ("abe", target, "admin")]))
        codes = sorted(a.status_code for a in answers)
        assert codes == [200, 403], [a.text for a in answers]
        [refused] = [a for a in answers if a.status_code == 403]
        cited = {c["rule"] for c in refused.json()["decision"]["citations"]}
        assert "users.opr_not_admin" in cited
        with read_only(gateway.runtime.engine) as uow:
            roles = uow.users.get_by_username(target).roles
        assert not {Role.opr, Role.admin} <= roles, roles
