"""`frsgate init --demo`: keys with 0600 permissions, every seeded act on the ledger, and a
second run that changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

from frsgate.config import load_settings
from frsgate.ledger.verify import verify_ledger
from frsgate.services.bootstrap import DEMO_USERS, initialize
from frsgate.services.runtime import Runtime
from frsgate.store.unit import unit_of_work


def test_init_demo_twice_changes_nothing(tmp_path: Path, database_url: str) -> None:
    settings = load_settings(
        home=tmp_path / "home", database_url=database_url, checkpoint_interval_seconds=0
    )
    first = initialize(settings, demo=True)
    assert first.seeded
    assert len(first.created_keys) == 3
    for key in (settings.ledger_key_path, settings.vault_kek_path, settings.token_key_path):
        assert key.stat().st_mode & 0o777 == 0o600
    with Runtime.open(settings, periodic_checkpoints=False) as runtime:
        size = runtime.ledger.size()
        assert runtime.gate.active
        with unit_of_work(runtime.engine) as uow:
            users = uow.users.list_all()
        entries = [json.loads(e) for e in runtime.ledger.entries(0, size)]
        signer = runtime.ledger.signer
    assert {u.username for u in users} == {u[0] for u in DEMO_USERS}
    events = {e["event"] for e in entries}
    for tag in (
        "user:account:create",
        "user:role:grant",
        "case:record:create",
        "case:assignment:add",
        "program:record:create",
        "certification:record:create",
        "provider:record:create",
        "provider:review:decide",
        "policy:pack:activate",
    ):
        assert tag in events, tag

    second = initialize(settings, demo=True)
    assert second.seeded == []
    assert second.created_keys == []
    assert second.migrated is False
    with Runtime.open(settings, periodic_checkpoints=False) as runtime:
        assert runtime.ledger.size() == size
        assert verify_ledger(runtime.engine, signer.verifier).ok


def test_service_refuses_everything_until_igp_activates_the_pack(
    tmp_path: Path, database_url: str
) -> None:
    import pytest

    from frsgate.domain import Role
    from frsgate.ledger import Actor
    from frsgate.services import admin
    from frsgate.services.approvals import decide_approval
    from frsgate.services.errors import PolicyDenied
    from frsgate.services.gate import Caller
    from frsgate.services.ledger_reads import checkpoint
    from frsgate.services.policy_admin import request_activation

    settings = load_settings(
        home=tmp_path / "home", database_url=database_url, checkpoint_interval_seconds=0
    )
    initialize(settings, demo=False)
    with Runtime.open(settings, periodic_checkpoints=False) as runtime:
        assert not runtime.gate.active
        system = Actor.system()
        gate = runtime.gate
        ada = admin.create_user(
            gate, system, username="ada", display_name="Ada", roles=[Role.admin]
        )
        ivan = admin.create_user(
            gate, system, username="ivan", display_name="Ivan", roles=[Role.igp]
        )
        otto = admin.create_user(
            gate, system, username="otto", display_name="Otto", roles=[Role.opr]
        )
        auditor = Caller(user=otto, certification=None, source="test")
        with pytest.raises(PolicyDenied) as denied:
            checkpoint(gate=gate, caller=auditor)
        assert denied.value.decision["citations"][0]["section"] == "fn2"

        request = request_activation(
            gate=gate, caller=Caller(user=ada, certification=None, source="test"),
            reason="go live",
        )  # fmt: skip
        with pytest.raises(PolicyDenied):  # nobody approves their own request
            decide_approval(
                gate=gate, dispatcher=runtime.dispatcher,
                caller=Caller(user=ada, certification=None, source="test"),
                approval_id=request.id, approve=True, note=None,
            )  # fmt: skip
        decide_approval(
            gate=gate, dispatcher=runtime.dispatcher,
            caller=Caller(user=ivan, certification=None, source="test"),
            approval_id=request.id, approve=True, note="reviewed",
        )  # fmt: skip
        assert runtime.gate.active
        assert checkpoint(gate=gate, caller=auditor)["tree_size"] > 0
