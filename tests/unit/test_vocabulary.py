"""One vocabulary: each enum and notice is defined once and imported everywhere; where two
layers must spell a value separately (a Cedar rule's string literal, a wire protocol's
literal type), these tests pin the spellings to the one definition."""

from __future__ import annotations

import re
import typing

from frsgate import connectors, domain
from frsgate.connectors import protocol
from frsgate.domain import (
    LEAD_ONLY_NOTICE,
    ApprovalKind,
    CaptureSource,
    DispositionKind,
    MatchType,
    RefusedCaptureSource,
    ReviewStatus,
    Role,
    SubjectRole,
)
from frsgate.policy import facts as policy_facts
from frsgate.policy.engine import default_pack
from frsgate.services import reads


def test_the_policy_speaks_the_domains_enums() -> None:
    assert policy_facts.Role is Role
    assert policy_facts.ReviewStatus is ReviewStatus
    assert policy_facts.ApprovalKind is ApprovalKind
    assert policy_facts.CaseStatus is domain.CaseStatus


def test_the_connectors_speak_the_domains_match_types() -> None:
    assert protocol.MatchType is MatchType
    assert connectors.MatchType is MatchType


def test_the_lead_only_notice_is_one_text() -> None:
    assert reads.LEAD_ONLY_NOTICE is LEAD_ONLY_NOTICE
    assert protocol.LEAD_ONLY_NOTICE == LEAD_ONLY_NOTICE
    notice_field = protocol.CandidateList.model_fields["notice"]
    assert typing.get_args(notice_field.annotation) == (LEAD_ONLY_NOTICE,)


def _pack_text() -> str:
    return default_pack().compiled.policy_text


def test_every_approval_a_rule_names_is_an_approval_kind() -> None:
    named = set(re.findall(r'@approval\("([a-z_]+)"\)', _pack_text()))
    assert named
    assert named <= {k.value for k in ApprovalKind}


def test_the_values_rules_compare_are_the_domains() -> None:
    text = _pack_text()
    kinds = set(re.findall(r'context\.approval\.kind == "([a-z_]+)"', text))
    assert kinds <= {k.value for k in ApprovalKind}
    roles = set(re.findall(r'context\.probe\.subject_role == "([a-z_]+)"', text))
    assert roles <= {r.value for r in SubjectRole}
    statuses = set(re.findall(r'context\.provider\.review_status == "([a-z_]+)"', text))
    assert statuses <= {s.value for s in ReviewStatus}
    dispositions = set(re.findall(r'context\.disposition\.kind == "([a-z_]+)"', text))
    # A claim of identification is a value the pack refuses, never one the domain stores.
    assert dispositions - {"positive_identification"} <= {d.value for d in DispositionKind}
    sources = set(re.findall(r'"([a-z_]+)"', _rule(text, "probe.surveillance_source")))
    assert sources <= {s.value for s in RefusedCaptureSource}
    assert not sources & {s.value for s in CaptureSource}


def _rule(text: str, rule_id: str) -> str:
    start = text.index(f'@id("{rule_id}")')
    end = text.find("@id(", start + 1)
    return text[start : end if end != -1 else len(text)]


def test_who_decides_an_approval_is_read_from_the_packs_grants() -> None:
    from frsgate.policy.engine import default_pack as pack_of
    from frsgate.services.gate import Gate

    gate = Gate(engine=None, ledger=None, policy=pack_of(), clock=lambda: None)  # type: ignore[arg-type]
    assert gate.approver_role(ApprovalKind.witness_probe) is Role.supervisor  # memo 4.B.2
    assert gate.approver_role(ApprovalKind.exigent_provider) is Role.supervisor  # memo 4.C.3
    assert gate.approver_role(ApprovalKind.rate_limit_override) is Role.supervisor
    assert gate.approver_role(ApprovalKind.policy_pack_activation) is Role.igp  # memo fn2
