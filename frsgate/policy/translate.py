"""Translation of the typed request model (`frsgate.policy.facts`) into a Cedar request.

Only here does the policy package speak Cedar's vocabulary. Each action's context carries
exactly the records its rules read (the pack's schema declares the same shape per action), so
a request costs only the facts it needs. The principal's entity (the user and its roles) is
built once per distinct `Principal` value and cached, because the same users ask again and again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import cedarpy

from frsgate.errors import ValidationFailed
from frsgate.policy.facts import (
    RESOURCE_KIND,
    Action,
    ApprovalKind,
    Approvals,
    CaseStatus,
    Context,
    Grant,
    Principal,
    Resource,
    ResourceKind,
    ReviewStatus,
    Role,
)

CEDAR_RESOURCE_TYPE: dict[ResourceKind, str] = {
    ResourceKind.probe: "Probe",
    ResourceKind.submission: "Submission",
    ResourceKind.approval: "Approval",
    ResourceKind.provider: "Provider",
    ResourceKind.candidate_list: "CandidateList",
    ResourceKind.lead: "Lead",
    ResourceKind.share: "Share",
    ResourceKind.export: "Export",
    ResourceKind.ledger: "Ledger",
    ResourceKind.policy_pack: "PolicyPack",
    ResourceKind.account: "Account",
    ResourceKind.queue: "Queue",
    ResourceKind.case: "Case",
    ResourceKind.program: "Program",
    ResourceKind.program_code: "ProgramCode",
    ResourceKind.certification: "Certification",
    ResourceKind.metrics: "Metrics",
    ResourceKind.roi_entry: "RoiEntry",
    ResourceKind.partner_search: "PartnerSearch",
    ResourceKind.log_review: "LogReview",
    ResourceKind.referral: "Referral",
    ResourceKind.log_format: "LogFormat",
    ResourceKind.report: "Report",
}

# The context records each action's rules read (mirrors schema.cedarschema).
_PURPOSE_ACTS = frozenset(
    {
        Action.probe_create,
        Action.submission_create,
        Action.probe_image_view,
        Action.candidates_view,
        Action.disposition_record,
        Action.examination_record,
        Action.corroboration_record,
        Action.lead_mark_enforcement_basis,
        Action.share_create,
        Action.disposition_verify,
        Action.lead_open,
        Action.lead_close,
        Action.roi_file,
    }
)
# Acts on the results of a use: judged with the use as it happened (memo 4.C.3).
_USE_ACTS = frozenset(
    {
        Action.candidates_view,
        Action.disposition_record,
        Action.examination_record,
        Action.corroboration_record,
        Action.lead_mark_enforcement_basis,
        Action.share_create,
        Action.disposition_verify,
        Action.lead_open,
        Action.lead_close,
        Action.roi_file,
    }
)
# Acts on a case's records that read only the purpose (who works on or supervises the case).
_PURPOSE_ONLY_ACTS = frozenset(
    {
        Action.outcome_review,
        Action.submission_view,
        Action.partner_search_record,
        Action.case_records_view,
    }
)
# Results straight from a submission: the submission's facts are required to judge them.
_SUBMISSION_REQUIRED = frozenset(
    {
        Action.candidates_view,
        Action.disposition_record,
        Action.examination_record,
        Action.disposition_verify,
        Action.lead_open,
        Action.roi_file,
    }
)
# Acts whose separation of duties depends on who made the request.
_OWNER_REQUIRED = frozenset(
    {
        Action.approval_decide,
        Action.policy_pack_activate,
        Action.submission_view,
        Action.program_assess,
        Action.referral_decide,
        Action.log_format_approve,
    }
)
# Administrative acts whose rules read the change they make.
_CHANGE_ACTS = frozenset({Action.user_manage, Action.case_manage, Action.certification_record})
# Acts that decide on someone's request: the requester is the owner, never the decider.
_DECIDES_OTHERS_REQUEST = _OWNER_REQUIRED | {Action.provider_review}

# The supervisor's log review (memo 4.E.4): whose review, and over which cases.
_LOG_REVIEW_ACTS = frozenset(
    {Action.log_review_read, Action.log_review_sign_off, Action.log_review_refer}
)

# Acts whose rules read the disposition (or examination conclusion) as stated.
_DISPOSITION_ACTS = frozenset(
    {Action.disposition_record, Action.examination_record, Action.disposition_verify}
)

_PROBE_APPROVALS = (ApprovalKind.witness_probe, ApprovalKind.flagged_justification)
_USE_APPROVALS = (ApprovalKind.exigent_provider,)
_SUBMISSION_APPROVALS = (*_PROBE_APPROVALS, *_USE_APPROVALS)

_NO_GRANT: dict[str, Any] = {"granted": False, "approver_id": "", "approver_is_supervisor": False}
_NO_PURPOSE: dict[str, Any] = {
    "kind": "none",
    "case_open": False,
    "case_hsi_authority": False,
    "assigned": False,
    "case_supervisor": False,
    "program_established": False,
    "program_assessed": False,
    "program_covers_use": False,
}
_ROLE_VALUES = frozenset(r.value for r in Role)
_ROLE_ENTITIES = json.dumps(
    [{"uid": {"type": "Role", "id": r.value}, "attrs": {}, "parents": []} for r in Role]
)


def _missing(action: Action, fact: str) -> ValidationFailed:
    return ValidationFailed(f"{action.value} cannot be decided without context.{fact}")


def _grant(grant: Grant | None) -> dict[str, Any]:
    if grant is None:
        return _NO_GRANT
    return {
        "granted": True,
        "approver_id": grant.approver_id,
        "approver_is_supervisor": Role.supervisor in grant.approver_roles,
    }


def _approvals(approvals: Approvals, kinds: tuple[ApprovalKind, ...]) -> dict[str, Any]:
    # Only the kinds the action's rules can be cured by: each value costs parse time.
    return {kind.value: _grant(getattr(approvals, kind.value)) for kind in kinds}


def _purpose(principal: Principal, context: Context) -> dict[str, Any]:
    # memo 4.A.1: a case takes precedence when both a case and a program are given.
    case = context.case
    if case is not None:
        return {
            "kind": "case",
            "case_open": case.status is CaseStatus.open,
            "case_hsi_authority": case.under_hsi_authority,
            "assigned": principal.user_id in case.assigned_user_ids,
            # memo 4.E.4: any of the case's supervisors answers for it.
            "case_supervisor": principal.user_id in case.supervisor_ids,
            "program_established": False,
            "program_assessed": False,
            "program_covers_use": False,
        }
    program = context.program
    if program is not None:
        return {
            "kind": "program",
            "case_open": False,
            "case_hsi_authority": False,
            # Membership and supervision of the program stand in for the case's.
            "assigned": principal.user_id in program.member_ids,
            "case_supervisor": program.supervisor_id is not None
            and principal.user_id == program.supervisor_id,
            "program_established": program.established,
            "program_assessed": bool(program.assessment_ref and program.assessment_ref.strip()),
            "program_covers_use": program.use_without_case,
        }
    return _NO_PURPOSE


def _present(text: str | None) -> bool:
    return bool(text and text.strip())


class Translator:
    """Builds `(request, entities)` for cedarpy from the typed facts."""

    def __init__(self, *, exigent_approval_deadline: timedelta, cache_size: int = 4096) -> None:
        self.exigent_approval_deadline = exigent_approval_deadline
        self._base = cedarpy.Entities.from_json_str(_ROLE_ENTITIES)
        self.entities_for: Callable[[Principal], cedarpy.Entities] = lru_cache(maxsize=cache_size)(
            self._entities_for
        )

    def _entities_for(self, principal: Principal) -> cedarpy.Entities:
        unknown = sorted(str(r) for r in principal.roles if r not in _ROLE_VALUES)
        if unknown:
            raise ValidationFailed(f"principal.roles: unknown role(s) {', '.join(unknown)}")
        user = {
            "uid": {"type": "User", "id": principal.user_id},
            "attrs": {
                "user_id": principal.user_id,
                "active": principal.active,
                "training_completed": principal.training_completed,
                "best_practices_attested": principal.best_practices_attested,
                "safeguards_attested": principal.safeguards_attested,
                "certification_current": principal.certification_current,
            },
            "parents": [{"type": "Role", "id": str(r)} for r in sorted(principal.roles)],
        }
        return self._base.with_added_json_str(json.dumps([user]))

    def request(
        self, principal: Principal, action: Action, resource: Resource, context: Context
    ) -> dict[str, Any]:
        """The cedarpy request dict. Raises `ValidationFailed` naming a fact the action needs."""
        if not principal.user_id:
            raise ValidationFailed("principal.user_id is empty; every request has a user")
        expected = RESOURCE_KIND[action]
        if resource.kind is not expected:
            raise ValidationFailed(
                f"{action.value} applies to a {expected.value}, not a {resource.kind.value}"
            )
        return {
            "principal": {"type": "User", "id": principal.user_id},
            "action": {"type": "Action", "id": action.value},
            "resource": {"type": CEDAR_RESOURCE_TYPE[expected], "id": resource.id},
            "context": self.context(principal, action, resource, context),
        }

    def context(
        self, principal: Principal, action: Action, resource: Resource, context: Context
    ) -> dict[str, Any]:
        """The Cedar context of one request: only the records `action`'s rules read."""
        if action in _OWNER_REQUIRED and resource.owner_id is None:
            raise ValidationFailed(
                f"{action.value} needs resource.owner_id (who made the request) "
                "to keep anyone from approving their own request"
            )
        if action is Action.user_manage:
            requester = resource.owner_id or resource.id  # the account being managed
        elif action in _DECIDES_OTHERS_REQUEST:
            requester = resource.owner_id or ""  # "": nobody asked (e.g. a review OSDM began)
        else:
            requester = resource.owner_id or principal.user_id
        ctx: dict[str, Any] = {"requester_id": requester}
        if action in _PURPOSE_ACTS or action in _PURPOSE_ONLY_ACTS:
            ctx["purpose"] = _purpose(principal, context)
        if action is Action.probe_create or action is Action.submission_create:
            ctx["probe"] = self._probe(action, context)
            if action is Action.submission_create:
                ctx["approvals"] = _approvals(context.approvals, _SUBMISSION_APPROVALS)
                ctx["provider"] = self._provider(action, context)
                ctx["submission"] = self._submission(action, context)
            else:
                ctx["approvals"] = _approvals(context.approvals, _PROBE_APPROVALS)
        elif action in _USE_ACTS:
            ctx["use"] = self._use(action, context)
            ctx["approvals"] = _approvals(context.approvals, _USE_APPROVALS)
            if action in _DISPOSITION_ACTS:
                if context.disposition is None:
                    raise _missing(action, "disposition")
                ctx["disposition"] = {
                    "kind": context.disposition.kind,
                    "comparison_recorded": context.disposition.comparison_recorded,
                    "own_disposition": context.disposition.own_disposition,
                }
            elif action is Action.corroboration_record:
                if context.corroboration is None:
                    raise _missing(action, "corroboration")
                ctx["corroboration"] = {
                    "kind": context.corroboration.kind,
                    "description_present": context.corroboration.description_present,
                }
            elif action is Action.lead_mark_enforcement_basis or action is Action.lead_open:
                if context.lead is None:
                    raise _missing(action, "lead")
                ctx["lead"] = {
                    "corroborated": context.lead.corroborated,
                    "from_possible_lead": context.lead.from_possible_lead,
                    "verification_pending": context.lead.verification_pending,
                }
            elif action is Action.share_create:
                if context.share is None:
                    raise _missing(action, "share")
                ctx["share"] = {
                    "recipient_recorded": _present(context.share.recipient),
                    "authority_recorded": context.share.authority_recorded,
                }
        elif action is Action.partner_search_record:
            found = context.partner_search
            if found is None:
                raise _missing(action, "partner_search")
            ctx["partner_search"] = {
                "partner_recorded": found.partner_recorded,
                "system_recorded": found.system_recorded,
            }
        elif action is Action.approval_decide:
            if context.approval_request is None:
                raise _missing(action, "approval_request")
            request = context.approval_request
            ctx["approval"] = {
                "kind": request.kind.value,
                "decider_supervises": request.decider_supervises,
                "decider_escalated": request.decider_escalated,
            }
        elif action is Action.ledger_read:
            ctx["ledger"] = {
                "scope": context.ledger.scope.value,
                "decider_supervises": context.ledger.decider_supervises,
            }
        elif action in _LOG_REVIEW_ACTS:
            review = context.log_review
            if review is None:
                raise _missing(action, "log_review")
            ctx["log_review"] = {
                "own_review": review.own_review,
                "reviewer_supervises": review.reviewer_supervises,
            }
        elif action is Action.referral_view:
            if context.referral is None:
                raise _missing(action, "referral")
            ctx["referral"] = {"own_referral": context.referral.own_referral}
        elif action is Action.queue_view:
            if context.queue is None:
                raise _missing(action, "queue")
            ctx["queue"] = context.queue
        elif action is Action.report_run:
            if context.report is None:
                raise _missing(action, "report")
            ctx["report"] = context.report
        elif action in _CHANGE_ACTS:
            change = context.change
            if change is None:
                raise _missing(action, "change")
            ctx["change"] = {
                "op": change.op.value,
                "roles_after": sorted(r.value for r in change.roles_after),
                "decider_supervises": change.decider_supervises,
                "own_record": change.own_record,
                "well_formed": change.well_formed,
            }
        elif action is Action.export_run:
            export = context.export
            if export is None:
                raise _missing(action, "export")
            ctx["export"] = {
                "external": export.external,
                "authority_recorded": export.authority_recorded,
                "decider_supervises": export.decider_supervises,
            }
        return ctx

    @staticmethod
    def _probe(action: Action, context: Context) -> dict[str, Any]:
        probe = context.probe
        if probe is None:
            raise _missing(action, "probe")
        return {
            "subject_role": probe.subject_role,
            "capture_source": probe.capture_source,
            "live_source": probe.live_source,
            "lawful_basis_recorded": probe.lawful_basis_recorded,
            "isolated_facial_image": probe.isolated_facial_image,
            "traditional_means_recorded": probe.traditional_means_recorded,
            "other_methods_exhausted": probe.other_methods_exhausted,
            "attestation_present": probe.attestation_present,
            "justification_present": probe.justification_present,
            "justification_flags": sorted(probe.justification_flags),
            "edited_or_composite": probe.edited or probe.composite,
        }

    @staticmethod
    def _provider(action: Action, context: Context) -> dict[str, Any]:
        provider = context.provider
        if provider is None:
            raise _missing(action, "provider")
        return {
            "review_status": provider.review_status.value,
            "law_enforcement_use_permitted": provider.law_enforcement_use_permitted,
            "match_types": sorted(provider.match_types),
            # No cap on record: judged as a cap of 0, so any request exceeds it (fail closed).
            "candidate_cap": provider.candidate_cap if provider.candidate_cap is not None else 0,
            "accepts_edited_probes": provider.accepts_edited_probes,
        }

    @staticmethod
    def _submission(action: Action, context: Context) -> dict[str, Any]:
        sub = context.submission
        if sub is None:
            raise _missing(action, "submission")
        return {
            "match_type": sub.match_type,
            "program_code_present": _present(sub.program_code),
            "program_code_established": sub.program_code_established,
            "exigent": sub.exigent,
            "exigent_reason_present": _present(sub.exigent_reason),
            "prior_approval_impracticable": sub.prior_approval_impracticable,
            "impracticable_reason_present": _present(sub.impracticable_reason),
            "requested_candidates": sub.requested_candidates,
        }

    def _use(self, action: Action, context: Context) -> dict[str, bool]:
        # memo 4.C.3: exigent use of an FRS OSDM had not approved needs a supervisor's approval
        # "as soon as practicable thereafter"; past the pack's deadline its results are held,
        # and a supervisor's refusal holds them for good. The use is judged as it happened:
        # by the provider's review status recorded at the time of use, never today's.
        sub = context.submission
        if sub is None:
            if action in _SUBMISSION_REQUIRED:
                raise _missing(action, "submission")
            return {
                "exigent_unreviewed": False,
                "approval_overdue": False,
                "approval_denied": False,
            }
        # Not recorded: judged as unreviewed (fail closed).
        unreviewed = sub.exigent and sub.provider_review_status_at_use is not ReviewStatus.approved
        overdue = False
        if unreviewed and sub.used_at is not None:
            now = context.now or datetime.now(UTC)
            overdue = now - sub.used_at > self.exigent_approval_deadline
        return {
            "exigent_unreviewed": unreviewed,
            "approval_overdue": overdue,
            "approval_denied": unreviewed and sub.exigent_approval_denied,
        }
