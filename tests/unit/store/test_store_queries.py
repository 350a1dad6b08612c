"""The queries the services rely on: queues, counts since a time, current records."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import store_graph
from store_graph import Graph, at

from frsgate.domain import (
    Approval,
    ApprovalKind,
    ApprovalStatus,
    ApprovalSubject,
    CandidateListStatus,
    CaseStatus,
    Certification,
    LeadStatus,
    ProbeStatus,
    ReviewStatus,
    Role,
    SubmissionStatus,
)
from frsgate.store.unit import UnitOfWork


def _submission(g: Graph, sid: str, minutes: int, status: SubmissionStatus, **kw: object):  # type: ignore[no-untyped-def]
    return dataclasses.replace(
        g.submission,
        id=sid,
        idempotency_key=None,
        created_at=at(minutes),
        status=status,
        **kw,
    )


def test_cases_assigned_to_and_supervised_by(uow: UnitOfWork, graph: Graph) -> None:
    other = store_graph.build("b")
    store_graph.store(uow, other)
    mine = uow.cases.assigned_to(graph.agent.id)
    assert [c.id for c in mine] == [graph.case.id]
    assert uow.cases.assigned_to(graph.agent.id, status=CaseStatus.open) == []
    assert [c.id for c in uow.cases.supervised_by(graph.supervisor.id)] == [graph.case.id]
    assert uow.cases.get_by_number(graph.case.number).id == graph.case.id
    assert len(uow.cases.list_all()) == 2


def test_users_by_role_and_username(uow: UnitOfWork, graph: Graph) -> None:
    examiners = uow.users.with_role(Role.examiner)
    assert [u.id for u in examiners] == [graph.agent.id]  # the other examiner is disabled
    assert {u.id for u in uow.users.with_role(Role.examiner, active_only=False)} == {
        graph.agent.id,
        graph.examiner.id,
    }
    assert uow.users.get_by_username("agent").id == graph.agent.id
    assert [u.id for u in uow.users.supervised_by(graph.supervisor.id)] == [graph.agent.id]
    assert graph.examiner.id not in {u.id for u in uow.users.list_all(active_only=True)}


def test_pending_approvals_for_an_approver(uow: UnitOfWork, graph: Graph) -> None:
    def request(aid: str, minutes: int, **kw: object) -> Approval:
        values: dict[str, object] = {
            "id": aid,
            "kind": ApprovalKind.witness_probe,
            "subject_kind": ApprovalSubject.probe,
            "subject_id": graph.probe.id,
            "case_id": graph.case.id,
            "requester_id": graph.agent.id,
            "reason": "witness saw the transfer",
            "requested_at": at(minutes),
        }
        return Approval(**(values | kw))  # type: ignore[arg-type]

    uow.approvals.add(request("apr_assigned", 30, assigned_to=graph.supervisor.id))
    uow.approvals.add(request("apr_pool", 31))
    uow.approvals.add(request("apr_elsewhere", 32, assigned_to=graph.osdm.id))
    uow.approvals.add(request("apr_own", 33, requester_id=graph.supervisor.id))
    uow.approvals.add(
        request("apr_pack", 34, kind=ApprovalKind.policy_pack_activation, assigned_to=None)
    )

    queue = uow.approvals.pending_for(graph.supervisor.id)
    assert [a.id for a in queue] == ["apr_assigned", "apr_pool", "apr_pack"]
    only_witness = uow.approvals.pending_for(
        graph.supervisor.id, kinds=[ApprovalKind.witness_probe], include_unassigned=False
    )
    assert [a.id for a in only_witness] == ["apr_assigned"]
    assert [a.id for a in uow.approvals.pending(ApprovalKind.policy_pack_activation)] == [
        "apr_pack"
    ]
    assert {a.id for a in uow.approvals.for_subject(ApprovalSubject.probe, graph.probe.id)} == {
        "apr_assigned",
        "apr_pool",
        "apr_elsewhere",
        "apr_own",
        "apr_pack",
    }
    assert graph.approval.id in {a.id for a in uow.approvals.requested_by(graph.agent.id)}


def test_overdue_approvals(uow: UnitOfWork, graph: Graph) -> None:
    due = Approval(
        id="apr_due",
        kind=ApprovalKind.exigent_provider,
        subject_kind=ApprovalSubject.submission,
        subject_id=graph.submission.id,
        requester_id=graph.agent.id,
        reason="exigent",
        requested_at=at(0),
        deadline=at(60),
    )
    uow.approvals.add(due)
    assert uow.approvals.overdue(at(59)) == []
    assert [a.id for a in uow.approvals.overdue(at(60))] == ["apr_due"]
    due.expire(at=at(61))
    uow.approvals.update(due, expected_status=ApprovalStatus.pending)
    assert uow.approvals.overdue(at(120)) == []


def test_providers_by_review_status(uow: UnitOfWork, graph: Graph) -> None:
    new = dataclasses.replace(
        graph.provider,
        id="prv_new",
        name="New FRS",
        review_status=ReviewStatus.unreviewed,
        reviewed_by=None,
        reviewed_at=None,
        review_note=None,
    )
    uow.providers.add(new)
    assert [p.id for p in uow.providers.by_review_status(ReviewStatus.approved)] == [
        graph.provider.id
    ]
    both = uow.providers.by_review_status(ReviewStatus.unreviewed, ReviewStatus.pending)
    assert [p.id for p in both] == ["prv_new"]
    assert uow.providers.get_by_name("New FRS").id == "prv_new"
    assert [p.name for p in uow.providers.list_all()] == ["Example FRS", "New FRS"]


def test_submissions_of_a_case_in_flight_and_counted_since(uow: UnitOfWork, graph: Graph) -> None:
    uow.submissions.add(_submission(graph, "sub_a", 60, SubmissionStatus.dispatching))
    uow.submissions.add(_submission(graph, "sub_b", 120, SubmissionStatus.denied))
    uow.submissions.add(_submission(graph, "sub_c", 180, SubmissionStatus.dispatching))
    assert [s.id for s in uow.submissions.in_flight()] == ["sub_a", "sub_c"]
    assert [s.id for s in uow.submissions.of_case(graph.case.id)] == [
        graph.submission.id,
        "sub_a",
        "sub_b",
        "sub_c",
    ]
    assert len(uow.submissions.of_probe(graph.probe2.id)) == 4  # as the second probe
    assert len(uow.submissions.of_user(graph.agent.id)) == 4
    user, case = graph.agent.id, graph.case.id
    assert uow.submissions.count_by_user_since(user, at(0)) == 4
    assert uow.submissions.count_by_user_since(user, at(60)) == 3  # inclusive bound
    assert uow.submissions.count_by_user_since(user, at(61)) == 2
    assert uow.submissions.count_by_case_since(case, at(61), SubmissionStatus.dispatching) == 1
    assert uow.submissions.count_by_user_since(graph.supervisor.id, at(0)) == 0
    # The same instant expressed in UTC counts the same (stored as UTC on both backends).
    assert uow.submissions.count_by_case_since(case, at(60).astimezone(store_graph.UTC)) == 3
    key = graph.submission.idempotency_key
    assert key is not None
    assert uow.submissions.get_by_idempotency_key(key).id == graph.submission.id
    assert [s.id for s in uow.submissions.exigent_since(at(150))] == ["sub_c"]


def test_current_certification(uow: UnitOfWork, graph: Graph) -> None:
    expired = Certification(
        id="cert_old",
        user_id=graph.agent.id,
        training_completed_at=at(-1000),
        best_practices_attested_at=at(-1000),
        safeguards_attested_at=at(-1000),
        expires_at=at(-10),
        recorded_at=at(-1000),
    )
    partial = Certification(
        id="cert_partial",
        user_id=graph.agent.id,
        training_completed_at=at(5),
        expires_at=at(10_000),
        recorded_at=at(5),
    )
    uow.certifications.add(expired)
    uow.certifications.add(partial)
    current = uow.certifications.current_for(graph.agent.id, at(10))
    assert current is not None
    assert current.id == graph.certification.id  # the newest record is partial: skipped
    older = uow.certifications.current_for(graph.agent.id, at(-500))
    assert older is not None
    assert older.id == "cert_old"
    assert uow.certifications.current_for(graph.agent.id, at(-2000)) is None
    latest = uow.certifications.latest_for(graph.agent.id)
    assert latest is not None
    assert latest.id == "cert_partial"
    assert uow.certifications.latest_for(graph.supervisor.id) is None
    assert [c.id for c in uow.certifications.of_user(graph.agent.id)] == [
        "cert_partial",
        graph.certification.id,
        "cert_old",
    ]


def test_candidates_dispositions_and_review_queue(uow: UnitOfWork, graph: Graph) -> None:
    assert [c.rank for c in uow.candidates.of_list(graph.candidate_list.id)] == [1, 2]
    current = uow.dispositions.current_of_list(graph.candidate_list.id)
    assert current == {graph.candidate.id: graph.disposition2}  # the first one is superseded
    assert len(uow.dispositions.of_candidate(graph.candidate.id)) == 2
    assert uow.examinations.of_candidate(graph.candidate.id) == [graph.examination]
    assert uow.candidate_lists.get_by_submission(graph.submission.id) == graph.candidate_list
    assert uow.candidate_lists.awaiting_review() == []
    fresh = uow.candidate_lists.get(graph.candidate_list.id)
    fresh.status = CandidateListStatus.received
    uow.candidate_lists.update(fresh)
    assert [c.id for c in uow.candidate_lists.awaiting_review(graph.agent.id)] == [fresh.id]
    assert uow.candidate_lists.awaiting_review(graph.supervisor.id) == []


def test_leads_corroborations_reports_shares(uow: UnitOfWork, graph: Graph) -> None:
    assert uow.leads.of_case(graph.case.id) == [graph.lead]
    assert uow.leads.of_case(graph.case.id, status=LeadStatus.investigative_lead) == []
    assert uow.corroborations.of_lead(graph.lead.id) == [graph.corroboration]
    assert uow.roi_entries.of_case(graph.case.id) == [graph.roi_entry]
    assert uow.roi_entries.of_submission(graph.submission.id) == [graph.roi_entry]
    assert uow.roi_entries.of_case(graph.case.id, status=graph.roi_entry.status.draft) == []
    assert uow.shares.of_case(graph.case.id) == [graph.share]


def test_probes_listing_and_retention(uow: UnitOfWork, graph: Graph) -> None:
    assert [p.id for p in uow.probes.of_case(graph.case.id)] == [graph.probe.id, graph.probe2.id]
    assert [p.id for p in uow.probes.with_status(ProbeStatus.active)] == [graph.probe2.id]
    assert [p.id for p in uow.probes.created_before(at(4), ProbeStatus.active)] == []
    assert [p.id for p in uow.probes.created_before(at(5))] == [graph.probe.id, graph.probe2.id]
    assert uow.probes.has_image(graph.probe2.id)
    uow.probes.delete_image(graph.probe2.id)
    assert not uow.probes.has_image(graph.probe2.id)
    assert uow.candidates.delete_images_of_list(graph.candidate_list.id) == 1
    assert uow.candidates.delete_images_of_list(graph.candidate_list.id) == 0


def test_listing_probes_never_reads_image_bytes() -> None:
    # Structural: the probes table has no binary column; the image is a separate row.
    from sqlalchemy import LargeBinary

    from frsgate.store.schema.core import candidates, probes

    for table in (probes, candidates):
        assert not [c for c in table.c if isinstance(c.type, LargeBinary)], table.name


def test_deadline_between_requests_uses_timedelta() -> None:
    # Guard for the helper: `at` moves in minutes from T0.
    assert at(60) - at(0) == timedelta(hours=1)
