"""The ledger's status for its auditors (OPR, memo 4.E.5; IGP, fn2): the latest checkpoint
(size, root), what was checked about it, which witnesses cosigned it and up to which
checkpoint, and the keys the log has signed with.

Opening the page is a read of the whole log, decided and recorded as the API's reads are
(`ledger.read`), by `services.ledger_status`; OPR's audit report is `pages.reports`.
"""

from __future__ import annotations

from typing import Annotated

from starlette.responses import Response

from frsgate.domain import Role
from frsgate.policy.facts import Action
from frsgate.services.ledger_status import ledger_status
from frsgate.web.context import Console, page
from frsgate.web.render import NavItem
from frsgate.web.routing import console_router

router = console_router()
NAV = (
    NavItem(Role.opr, "Ledger status", "/console/ledger"),
    NavItem(Role.igp, "Ledger status", "/console/ledger"),
)


@router.get("/ledger")
def ledger_page(console: Annotated[Console, page(Action.ledger_read)]) -> Response:
    status = ledger_status(
        gate=console.gate, caller=console.caller, settings=console.runtime.settings
    )
    return console.render("opr/ledger.html", title="Ledger status", status=status)
