"""Records the foundation keeps: users and roles, cases and assignments, programs, PALMS
certifications and FRS providers. Every act here is a ledger entry before it is stored; every
role change is itself one (DESIGN "Who uses it")."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from frsgate.domain import (
    Case,
    Certification,
    FrsProgramCode,
    Program,
    Provider,
    ProviderKind,
    ProviderTerms,
    ReviewStatus,
    Role,
    User,
)
from frsgate.domain.providers import AccuracyEvidence, ProviderReview
from frsgate.domain.values import new_id
from frsgate.errors import ValidationFailed
from frsgate.ledger import Actor, EventTag
from frsgate.services import accounts, providers
from frsgate.services.gate import Caller, Gate, draft
from frsgate.store.unit import unit_of_work

COMPONENT = "services.admin"


def create_user(
    gate: Gate,
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
        created_at=gate.now(),
    )
    # The same entries as an account created over the API: creation, then each role granted.
    drafts = accounts.created_drafts(who, user, source="system")
    with unit_of_work(gate.engine) as uow:
        uow.users.add(user)
        gate.record(uow, drafts)
    return user


def disable_user(gate: Gate, who: Caller | Actor, *, user_id: str, reason: str) -> User:
    """Disable an account: from then on every act of it is refused (pack rule
    `account.active`), including requests it made that are still waiting for an approval."""
    with unit_of_work(gate.engine) as uow:
        user = uow.users.get(user_id, lock=True)
        before = user.status
        user.disable()
        uow.users.update(user, expected_status=before)
        gate.record(
            uow,
            [
                draft(
                    who,
                    EventTag.USER_ACCOUNT_DEACTIVATE,
                    subject=f"user:{user.id}",
                    component=COMPONENT,
                    details={"reason": reason},
                )
            ],
        )
    return user


def record_certification(
    gate: Gate,
    who: Caller | Actor,
    *,
    user: User,
    completed_at: datetime | None,
    best_practices_at: datetime | None,
    safeguards_at: datetime | None,
    expires_at: datetime,
    palms_reference: str,
) -> Certification:
    """memo 4.A.3: when the training was completed and the best practices and the safeguards
    attested (each None where PALMS has no record of it), valid until expiry."""
    cert = Certification(
        id=new_id("cert"),
        user_id=user.id,
        palms_reference=palms_reference,
        training_completed_at=completed_at,
        best_practices_attested_at=best_practices_at,
        safeguards_attested_at=safeguards_at,
        expires_at=expires_at,
        recorded_at=gate.now(),
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
                "training_completed": completed_at is not None,
                "best_practices_attested": best_practices_at is not None,
                "safeguards_attested": safeguards_at is not None,
                "expires_at": expires_at.isoformat(),
            },
        )
    ]
    with unit_of_work(gate.engine) as uow:
        uow.certifications.add(cert)
        gate.record(uow, drafts)
    return cert


def create_case(
    gate: Gate,
    who: Caller | Actor,
    *,
    number: str,
    title: str,
    statutory_authority: str,
    violation_codes: tuple[str, ...],
    supervisor: User | None = None,
    assigned: Iterable[User],
    opened_by: str,
    under_hsi_authority: bool,
    supervisors: Iterable[User] = (),
) -> Case:
    """Open a case; whether it is HSI's own investigation under its statutory authorities
    (memo 1, 3) is stated when it is opened, never assumed. Its supervisors are `supervisor`
    (the lead) and then `supervisors`, at least one (memo 4.E.4)."""
    bosses = [*([supervisor] if supervisor is not None else []), *supervisors]
    supervisor_ids = tuple(dict.fromkeys(u.id for u in bosses))
    if not supervisor_ids:
        raise ValidationFailed("supervisors: a case needs at least one supervisor")
    case = Case(
        id=new_id("case"),
        number=number,
        title=title,
        statutory_authority=statutory_authority,
        violation_codes=violation_codes,
        under_hsi_authority=under_hsi_authority,
        supervisor_ids=supervisor_ids,
        assigned_user_ids=tuple(u.id for u in assigned),
        opened_by=opened_by,
        created_at=gate.now(),
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
                "under_hsi_authority": under_hsi_authority,
                "supervisor_id": supervisor_ids[0],
                "supervisor_ids": list(supervisor_ids),
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
    with unit_of_work(gate.engine) as uow:
        uow.cases.add(case)
        gate.record(uow, drafts)
    return case


def close_case(gate: Gate, who: Caller | Actor, *, case_id: str, reason: str) -> Case:
    """Close a case: from then on no FRS use may serve it (memo 4.A.1: an ongoing
    investigation), which the pack's `purpose.case_open` enforces."""
    with unit_of_work(gate.engine) as uow:
        case = uow.cases.get(case_id, lock=True)
        before = case.status
        case.close(at=gate.now())
        uow.cases.update(case, expected_status=before)
        gate.record(
            uow,
            [
                draft(
                    who, EventTag.CASE_STATUS_CHANGE, subject=f"case:{case.id}",
                    component=COMPONENT, case=case.number,
                    details={"from": before.value, "to": case.status.value, "reason": reason},
                )
            ],
        )  # fmt: skip
    return case


def create_program(
    gate: Gate,
    who: Caller | Actor,
    *,
    code: str,
    name: str,
    assessment_ref: str,
    approved_by: User | None,
    use_without_case: bool = False,
    supervisor: User | None = None,
    members: Iterable[User] = (),
) -> Program:
    """memo 4.A.1: a program or task force whose FRS use is assessed for privacy impacts;
    `use_without_case` where the assessment covers its members' use without a case."""
    program = Program(
        id=new_id("program"), code=code, name=name, assessment_ref=assessment_ref,
        use_without_case=use_without_case,
        supervisor_id=supervisor.id if supervisor is not None else None,
        member_ids=tuple(u.id for u in members), created_at=gate.now(),
    )  # fmt: skip
    drafts = [
        draft(
            who,
            EventTag.PROGRAM_RECORD_CREATE,
            subject=f"program:{program.id}",
            component=COMPONENT,
            program_code=code,
            details={
                "assessment_ref": assessment_ref,
                "use_without_case": use_without_case,
                "supervisor_id": program.supervisor_id,
                "member_ids": list(program.member_ids),
            },
        )
    ]
    if approved_by is not None:
        program.approve_assessment(by=approved_by.id, at=gate.now())
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
    with unit_of_work(gate.engine) as uow:
        uow.programs.add(program)
        gate.record(uow, drafts)
    return program


def create_provider(
    gate: Gate,
    who: Caller | Actor,
    *,
    name: str,
    kind: ProviderKind,
    base_url: str | None,
    terms: ProviderTerms,
) -> Provider:
    provider = Provider(
        id=new_id("provider"), name=name, kind=kind, base_url=base_url, terms=terms,
        created_at=gate.now(),
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
    with unit_of_work(gate.engine) as uow:
        uow.providers.add(provider)
        gate.record(uow, drafts)
    return provider


def seed_provider_review(
    gate: Gate, osdm: Actor, provider: Provider, *, approve: bool, note: str, source: str
) -> Provider:
    """OSDM's structured review (memo 4.C.1-4.C.3; fn1) recorded by `frsgate init --demo` and
    by tests, which run as the system before any user could ask: the same review record and
    the same ledger entry (the provider's record before and after, and the review) as OSDM's
    review through the API (`services.queues.decide_provider_review`). Its content is
    synthetic and says so; `note` is the rationale. Another reviewer deciding meanwhile is a
    Conflict, not a silent overwrite."""
    with unit_of_work(gate.engine) as uow:
        provider = uow.providers.get(provider.id, lock=True)
        before_status = provider.review_status
        before = providers.record_of(provider)
        with providers.domain_checked():
            review = _synthetic_review(
                provider, approve=approve, rationale=note, reviewer_id=osdm.id, at=gate.now()
            )
            provider.take_review(review)
        uow.provider_reviews.add(review)
        uow.providers.update(provider, expected_status=before_status)
        entry = draft(
            osdm, EventTag.PROVIDER_REVIEW_DECIDE, source=source,
            subject=f"provider:{provider.id}", component=COMPONENT, provider=provider.id,
            details={"before": before, "after": providers.record_of(provider),
                     "review": providers.review_json(review)},
        )  # fmt: skip
        gate.record(uow, [entry])
    return provider


def _synthetic_review(
    provider: Provider, *, approve: bool, rationale: str, reviewer_id: str, at: datetime
) -> ProviderReview:
    """A review whose every statement is labelled synthetic, so nobody reads a demo's review
    as evidence about a real FRS. It states all an approval must rest on (memo 4.C.1; fn1:
    accuracy, demographic differentials, data handling, retention), for a refusal too."""
    name = provider.name
    terms = provider.terms
    return ProviderReview(
        id=new_id("review"),
        provider_id=provider.id,
        decision=ReviewStatus.approved if approve else ReviewStatus.not_approved,
        reviewer_id=reviewer_id,
        decided_at=at,
        capabilities=(
            f"{name}: synthetic FRS for development; match types "
            f"{', '.join(sorted(terms.match_types))}, at most {terms.candidate_cap} candidates "
            "per search"
        ),
        terms=terms,
        accuracy_evidence=(
            AccuracyEvidence(
                source=f"{name}: synthetic accuracy evidence for development",
                reference=f"SYNTHETIC-{name.upper()}-ACCURACY (no NIST FRTE report)",
                summary="made-up figures for development and tests; no accuracy is claimed",
            ),
        ),
        demographic_differentials=(
            f"{name}: synthetic; no demographic differentials were measured (development only)"
        ),
        data_handling=(
            f"{name}: synthetic gallery of generated faces; no real person's photo is searched "
            "(development only)"
        ),
        retention=(
            f"{name}: synthetic; nothing is kept beyond FRS Gate's own records (development only)"
        ),
        rationale=rationale,
    )


def register_program_code(
    gate: Gate,
    who: Caller | Actor,
    *,
    code: str,
    description: str,
    established_by: str,
    valid_from: datetime,
    valid_until: datetime | None = None,
) -> FrsProgramCode:
    """An FRS program code OSDM established (memo 4.E.3)."""
    entry = FrsProgramCode(
        code=code, description=description, established_by=established_by,
        valid_from=valid_from, valid_until=valid_until, created_at=gate.now(),
    )  # fmt: skip
    drafts = [
        draft(
            who,
            EventTag.PROGRAM_CODE_ESTABLISH,
            subject=f"program_code:{code}",
            component=COMPONENT,
            program_code=code,
            details={
                "description": description,
                "established_by": established_by,
                "valid_from": valid_from.isoformat(),
                "valid_until": valid_until.isoformat() if valid_until else None,
            },
        )
    ]
    with unit_of_work(gate.engine) as uow:
        uow.frs_program_codes.add(entry)
        gate.record(uow, drafts)
    return entry
