"""Revision 0008 on a store that holds log-review sign-offs, referrals and a log-format
approval: going back to 0007 drops the two tables and the log-format approvals (the old check
constraints could not hold them) and keeps every other approval; coming forward again accepts
them all again, and a second sign-off of one period is still refused by the unique key."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
import store_graph
from sqlalchemy import inspect, text
from store_graph import at

from frsgate.domain import ApprovalKind, ApprovalStatus, ApprovalSubject
from frsgate.domain.log_review import Referral, ReferralOutcome
from frsgate.errors import Conflict
from frsgate.store.engine import make_engine
from frsgate.store.migrate import downgrade, upgrade
from frsgate.store.repositories.oversight import OversightQueries, Signoff
from frsgate.store.unit import unit_of_work

PERIOD = date(2026, 1, 5)


def _signoff(g: store_graph.Graph, sid: str) -> Signoff:
    return Signoff(
        id=sid, supervisor_id=g.supervisor.id, period_start=PERIOD, period_days=7,
        signed_at=at(60), checkpoint_size=12, checkpoint_root="A" * 43 + "=",
        cases=(g.case.number,), counts={"use": 1, "denial": 0, "read": 2},
    )  # fmt: skip


def test_down_to_0007_and_up_again(database_url: str) -> None:
    g = store_graph.build()
    log_format = dataclasses.replace(
        g.approval, id="apr_format", kind=ApprovalKind.log_format_approval,
        subject_kind=ApprovalSubject.log_format, subject_id="v1@" + "ab" * 32, case_id=None,
        requester_id=g.igp.id, assigned_to=None, status=ApprovalStatus.pending,
        approver_id=None, decision_note=None, decided_at=None, deadline=None,
    )  # fmt: skip
    referral = Referral(
        id="referral_1", referred_by=g.supervisor.id, period_start=PERIOD, period_days=7,
        reasons="unassigned reads of the case", seqs=(3, 4), submission_ids=(g.submission.id,),
        created_at=at(61),
    )  # fmt: skip
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        with unit_of_work(engine) as uow:
            store_graph.store(uow, g)
            uow.approvals.add(log_format)
            q = OversightQueries(uow.conn)
            q.add_signoff(_signoff(g, "signoff_1"))
            q.add_referral(referral)

        downgrade(engine, "0007")
        tables = set(inspect(engine).get_table_names())
        assert not tables & {"log_review_signoffs", "log_referrals"}
        with engine.connect() as conn:
            kinds = conn.execute(text("SELECT id, kind FROM approvals ORDER BY id")).all()
        assert [tuple(k) for k in kinds] == [(g.approval.id, "exigent_provider")]

        upgrade(engine)
        with unit_of_work(engine) as uow:
            uow.approvals.add(log_format)
            assert uow.approvals.get("apr_format").kind is ApprovalKind.log_format_approval
            q = OversightQueries(uow.conn)
            q.add_signoff(_signoff(g, "signoff_2"))
            q.add_referral(referral)
            referral.decide(outcome=ReferralOutcome.closed, note="advised", by=g.igp.id,
                            at=at(70))  # fmt: skip
            q.update_referral(referral)
            assert q.referral("referral_1").outcome is ReferralOutcome.closed
            assert q.signoff(g.supervisor.id, PERIOD, 7) is not None
        with pytest.raises(Conflict), unit_of_work(engine) as uow:
            OversightQueries(uow.conn).add_signoff(_signoff(g, "signoff_3"))
    finally:
        engine.dispose()
