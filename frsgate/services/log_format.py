"""IGP's approval of the log format (memo fn2: "Log format and the manner of log storage and
accessibility will be submitted to IGP for approval").

A log-format version is the entry format version (`v` of every entry) together with the SHA-256
of the JSON Schema that defines it, `frsgate/ledger/audit-log-entry.schema.json`, read from the
installed package (the same bytes as `docs/audit-log-entry.schema.json`; a test keeps the two
identical). The schema names every field and every event tag, so adding a tag or a field is a
new subject that needs a new approval, while the version number alone would not change.

The subject is `v<version>@<sha256>`. An administrator (or IGP) submits it (`log_format.request`),
another IGP user approves it through the approvals routes (`log_format.approve`). Unlike a
policy pack, a format not yet approved blocks nothing: the ledger keeps recording (stopping it
would lose the very record fn2 is about); the state is shown as "not approved" wherever it is
read, and the OPR and IGP reports state it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from typing import Any

from frsgate.domain import Approval, ApprovalKind, ApprovalStatus, ApprovalSubject
from frsgate.ledger import EntryDraft, EventTag
from frsgate.ledger.entry import FORMAT_VERSION
from frsgate.policy.facts import Action, Context, Resource, ResourceKind
from frsgate.services.gate import Ask, Caller, Gate, Ruling, draft
from frsgate.services.policy_admin import open_igp_request
from frsgate.store.unit import UnitOfWork

COMPONENT = "services.log_format"
SCHEMA_RESOURCE = "audit-log-entry.schema.json"  # in the package frsgate.ledger


def state_version() -> int:
    """The entry format version the ledger writes (`v`)."""
    return FORMAT_VERSION


def schema_bytes() -> bytes:
    """The entry schema as shipped in the installed package."""
    return resources.files("frsgate.ledger").joinpath(SCHEMA_RESOURCE).read_bytes()


def schema_sha256() -> str:
    return hashlib.sha256(schema_bytes()).hexdigest()


def subject() -> str:
    """The subject IGP approves: `v<format version>@<schema SHA-256>`."""
    return f"v{FORMAT_VERSION}@{schema_sha256()}"


@dataclass(frozen=True, slots=True)
class FormatState:
    """Where the approval of the shipped log format stands (memo fn2)."""

    version: int
    schema_sha256: str
    subject: str
    approved: bool
    approval: Approval | None  # the approval, else the pending request, else None

    @property
    def status(self) -> str:
        """approved | pending | not approved"""
        if self.approved:
            return "approved"
        if self.approval is not None and self.approval.status is ApprovalStatus.pending:
            return "pending"
        return "not approved"

    def as_dict(self) -> dict[str, Any]:
        a = self.approval
        return {
            "version": self.version,
            "schema_sha256": self.schema_sha256,
            "subject": self.subject,
            "status": self.status,
            "approved": self.approved,
            "approval_id": a.id if a else None,
            "requested_by": a.requester_id if a else None,
            "requested_at": a.requested_at.isoformat() if a else None,
            "decided_by": a.approver_id if a else None,
            "decided_at": a.decided_at.isoformat() if a and a.decided_at else None,
        }


def state(uow: UnitOfWork) -> FormatState:
    """The approval state of the shipped log format, read in `uow` (no decision, no entry:
    for the reports that state it; people read it through `read_state`)."""
    wanted = subject()
    found = uow.approvals.for_subject(ApprovalSubject.log_format, wanted)
    approved = next((a for a in found if a.status is ApprovalStatus.approved), None)
    pending = next((a for a in found if a.status is ApprovalStatus.pending), None)
    latest = found[-1] if found else None
    return FormatState(
        version=FORMAT_VERSION,
        schema_sha256=schema_sha256(),
        subject=wanted,
        approved=approved is not None,
        approval=approved or pending or latest,
    )


def _ask(action: Action, caller: Caller, owner: str | None, **details: Any) -> Ask:
    return Ask(
        action=action,
        resource=Resource(kind=ResourceKind.log_format, id=subject(), owner_id=owner),
        contexts=[Context()],
        subject="log_format:" + subject(),
        component=COMPONENT,
        details={"version": FORMAT_VERSION, "schema_sha256": schema_sha256(), **details},
    )


def read_state(*, gate: Gate, caller: Caller) -> FormatState:
    """Whether IGP approved the shipped log format; decided as `log_format.view`, recorded."""
    found: list[FormatState] = []

    def ask(uow: UnitOfWork) -> Ask:
        found.append(state(uow))
        return _ask(Action.log_format_view, caller, None)

    def read(uow: UnitOfWork, ruling: Ruling) -> tuple[FormatState, list[EntryDraft]]:
        shown = found[0]
        entry = ruling.act_entry(
            caller, EventTag.LEDGER_FORMAT_READ, details={"status": shown.status}
        )
        return shown, [entry]

    return gate.enforce(caller, ask=ask, act=read).result


def request_approval(*, gate: Gate, caller: Caller, reason: str) -> Approval:
    """Submit the shipped log format to IGP (`log_format.request`); 409 when it is already
    approved or waiting."""
    wanted = subject()

    def ask(uow: UnitOfWork) -> Ask:
        return _ask(Action.log_format_request, caller, caller.user_id)

    def act(uow: UnitOfWork, ruling: Ruling) -> tuple[Approval, list[EntryDraft]]:
        approval = open_igp_request(
            uow, gate, caller, ApprovalKind.log_format_approval, ApprovalSubject.log_format,
            wanted, reason, what=f"log format v{FORMAT_VERSION} ({schema_sha256()[:12]})",
            request="approval",
        )  # fmt: skip
        role = gate.approver_role(approval.kind)
        entry = draft(
            caller, EventTag.APPROVAL_REQUEST_CREATE, action=Action.log_format_request,
            subject=f"approval:{approval.id}", component=COMPONENT,
            details={"kind": approval.kind.value, "version": FORMAT_VERSION,
                     "schema_sha256": schema_sha256(),
                     "approver_role": role.value if role is not None else None},
        )  # fmt: skip
        return approval, [entry]

    return gate.enforce(caller, ask=ask, act=act).result


def approval_draft(caller: Caller, approval: Approval) -> EntryDraft:
    """Once IGP approved: the entry saying which log-format version is approved (its schema's
    SHA-256 and the approval), beside the approval's own decision entry."""
    version, _, sha = approval.subject_id.partition("@")
    return draft(
        caller,
        EventTag.LEDGER_FORMAT_APPROVE,
        action=Action.log_format_approve,
        subject=f"log_format:{approval.subject_id}",
        component=COMPONENT,
        details={
            "version": version.removeprefix("v"),
            "schema_sha256": sha,
            "approval": approval.id,
            "requested_by": approval.requester_id,
            "shipped": approval.subject_id == subject(),
        },
    )
