"""Records the foundation keeps: users and roles, cases and assignments, programs, PALMS
certifications and FRS providers. Every act here is a ledger entry before it is stored; every
role change is itself one (DESIGN "Who uses it")."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from frsgate.domain import (
    Case,
    Certification,
    Program,
    Provider,
    ProviderKind,
    ProviderTerms,
    ReviewStatus,
    Role,
    User,
)
from frsgate.domain.values import new_id
from frsgate.ledger import Actor, EntryDraft, EventTag
from frsgate.services.gate import Caller, draft
from frsgate.services.runtime import Runtime
from frsgate.store.unit import unit_of_work

COMPONENT = "services.admin"


def create_user(
    runtime: Runtime,
    who: Caller | Actor,
    *,
    username: str,
    display_name: str,
    roles: Iterable[Role],
    supervisor_id: str | None = None,
) -> User:
    user = User(
        id=new_id("user"),
        username=username,
        display_name=display_name,
        roles=frozenset(roles),
        supervisor_id=supervisor_id,
        created_at=runtime.now(),
    )
    drafts = [
        draft(
            who,
            EventTag.USER_ACCOUNT_CREATE,
            subject=f"user:{user.id}",
            component=COMPONENT,
            details={"username": username, "supervisor_id": supervisor_id},
        )
    ]
    drafts += [
        draft(
            who,
            EventTag.USER_ROLE_GRANT,
            subject=f"user:{user.id}",
            component=COMPONENT,
            details={"role": role.value},
        )
        for role in sorted(user.roles)
    ]
    with unit_of_work(runtime.engine) as uow:
        uow.users.add(user)
        runtime.ledger.append_in(uow.conn, drafts)
    return user


def record_certification(
    runtime: Runtime,
    who: Caller | Actor,
    *,
    user: User,
    completed_at: datetime,
    expires_at: datetime,
    palms_reference: str,
) -> Certification:
    """memo 4.A.3: training completed, best practices and safeguards attested, until expiry."""
    cert = Certification(
        id=new_id("cert"),
        user_id=user.id,
        palms_reference=palms_reference,
        training_completed_at=completed_at,
        best_practices_attested_at=completed_at,
        safeguards_attested_at=completed_at,
        expires_at=expires_at,
        recorded_at=runtime.now(),
        recorded_by=who.user_id if isinstance(who, Caller) else None,
    )
    drafts = [
        draft(
            who,
            EventTag.CERTIFICATION_RECORD_CREATE,
            subject=f"user:{user.id}",
            component=COMPONENT,
            details={
                "certification": cert.id,
                "palms_reference": palms_reference,
                "expires_at": expires_at.isoformat(),
            },
        )
    ]
    with unit_of_work(runtime.engine) as uow:
        uow.certifications.add(cert)
        runtime.ledger.append_in(uow.conn, drafts)
    return cert


def create_case(
    runtime: Runtime,
    who: Caller | Actor,
    *,
    number: str,
    title: str,
    statutory_authority: str,
    violation_codes: tuple[str, ...],
    supervisor: User,
    assigned: Iterable[User],
    opened_by: str,
) -> Case:
    case = Case(
        id=new_id("case"),
        number=number,
        title=title,
        statutory_authority=statutory_authority,
        violation_codes=violation_codes,
        supervisor_id=supervisor.id,
        assigned_user_ids=tuple(u.id for u in assigned),
        opened_by=opened_by,
        created_at=runtime.now(),
    )
    drafts = [
        draft(
            who,
            EventTag.CASE_RECORD_CREATE,
            subject=f"case:{case.id}",
            component=COMPONENT,
            case=number,
            details={
                "statutory_authority": statutory_authority,
                "violation_codes": list(violation_codes),
                "supervisor_id": supervisor.id,
            },
        )
    ]
    drafts += [
        draft(
            who,
            EventTag.CASE_ASSIGNMENT_ADD,
            subject=f"case:{case.id}",
            component=COMPONENT,
            case=number,
            details={"user_id": user_id},
        )
        for user_id in case.assigned_user_ids
    ]
    with unit_of_work(runtime.engine) as uow:
        uow.cases.add(case)
        runtime.ledger.append_in(uow.conn, drafts)
    return case


def create_program(
    runtime: Runtime,
    who: Caller | Actor,
    *,
    code: str,
    name: str,
    assessment_ref: str,
    approved_by: User | None,
) -> Program:
    """memo 4.A.1: a program or task force whose FRS use is assessed for privacy impacts."""
    program = Program(
        id=new_id("program"), code=code, name=name, assessment_ref=assessment_ref,
        created_at=runtime.now(),
    )  # fmt: skip
    drafts = [
        draft(
            who,
            EventTag.PROGRAM_RECORD_CREATE,
            subject=f"program:{program.id}",
            component=COMPONENT,
            program_code=code,
            details={"assessment_ref": assessment_ref},
        )
    ]
    if approved_by is not None:
        program.approve_assessment(by=approved_by.id, at=runtime.now())
        drafts.append(
            draft(
                Actor(id=approved_by.id, role=Role.igp.value),
                EventTag.PROGRAM_ASSESSMENT_APPROVE,
                source=who.source if isinstance(who, Caller) else "cli",
                subject=f"program:{program.id}",
                component=COMPONENT,
                program_code=code,
                details={"assessment_ref": assessment_ref},
            )
        )
    with unit_of_work(runtime.engine) as uow:
        uow.programs.add(program)
        runtime.ledger.append_in(uow.conn, drafts)
    return program


def create_provider(
    runtime: Runtime,
    who: Caller | Actor,
    *,
    name: str,
    kind: ProviderKind,
    base_url: str | None,
    terms: ProviderTerms,
) -> Provider:
    provider = Provider(
        id=new_id("provider"), name=name, kind=kind, base_url=base_url, terms=terms,
        created_at=runtime.now(),
    )  # fmt: skip
    drafts = [
        draft(
            who,
            EventTag.PROVIDER_RECORD_CREATE,
            subject=f"provider:{provider.id}",
            component=COMPONENT,
            provider=provider.id,
            details={
                "name": name,
                "kind": kind.value,
                "match_types": sorted(terms.match_types),
                "candidate_cap": terms.candidate_cap,
                "law_enforcement_use": terms.law_enforcement_use,
                "terms_ref": terms.reference,
            },
        )
    ]
    with unit_of_work(runtime.engine) as uow:
        uow.providers.add(provider)
        runtime.ledger.append_in(uow.conn, drafts)
    return provider


def review_provider(
    runtime: Runtime,
    osdm: Actor,
    provider: Provider,
    *,
    approve: bool,
    note: str,
    source: str,
    decision: EntryDraft | None = None,
) -> Provider:
    """OSDM's review (memo 4.C.1–4.C.3): submit for review, then approve or not approve.
    `decision` is the policy's decision entry, committed with the review it allowed."""
    at = runtime.now()
    before = provider.review_status
    drafts: list[EntryDraft] = [decision] if decision is not None else []
    if provider.review_status is ReviewStatus.unreviewed:
        provider.submit_for_review()
        drafts.append(
            draft(
                osdm, EventTag.PROVIDER_REVIEW_START, source=source,
                subject=f"provider:{provider.id}", component=COMPONENT, provider=provider.id,
            )
        )  # fmt: skip
    if approve:
        provider.approve(by=osdm.id, at=at, note=note)
    else:
        provider.not_approve(by=osdm.id, at=at, note=note)
    drafts.append(
        draft(
            osdm,
            EventTag.PROVIDER_REVIEW_DECIDE,
            source=source,
            subject=f"provider:{provider.id}",
            component=COMPONENT,
            provider=provider.id,
            details={"decision": provider.review_status.value, "note": note},
        )
    )
    with unit_of_work(runtime.engine) as uow:
        # Another reviewer deciding meanwhile is a Conflict, not a silent overwrite.
        uow.providers.update(provider, expected_status=before)
        runtime.ledger.append_in(uow.conn, drafts)
    return provider
