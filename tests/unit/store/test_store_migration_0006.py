"""Revision 0006 on a store that holds leads: going back to 0005 turns `investigative_lead`
into `open` and drops the new records; coming forward again fills what the old rows lack
(each lead's submission, each corroboration's kind and who obtained it, the limitations of
an examination, the SHA-256 of a filed ROI entry) so every record reads back valid."""

from __future__ import annotations

import dataclasses
import hashlib

import store_graph
from sqlalchemy import inspect, text
from store_graph import at

from frsgate.domain import CorroborationKind, LeadStatus
from frsgate.store.engine import make_engine
from frsgate.store.migrate import downgrade, upgrade
from frsgate.store.unit import unit_of_work


def test_down_to_0005_and_up_again_keeps_every_lead(database_url: str) -> None:
    g = store_graph.build()
    open_lead = dataclasses.replace(
        g.lead,
        id="lead_open",
        status=LeadStatus.investigative_lead,
        corroborated_at=None,
        enforcement_basis_at=None,
        enforcement_marked_by=None,
        enforcement_note=None,
        closed_at=None,
        closed_by=None,
        close_reason=None,
    )
    not_independent = dataclasses.replace(
        g.corroboration, id="cor_frs", lead_id=open_lead.id, kind=CorroborationKind.frs_result
    )
    draft_roi = dataclasses.replace(
        g.roi_entry,
        id="roi_draft",
        status=g.roi_entry.status.draft,
        filed_at=None,
        filed_by=None,
        case_system_ref=None,
        body_sha256=None,
        created_at=at(30),
    )
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        with unit_of_work(engine) as uow:
            store_graph.store(uow, g)
            uow.leads.add(open_lead)
            uow.corroborations.add(not_independent)
            uow.roi_entries.add(draft_roi)

        downgrade(engine, "0005")
        inspector = inspect(engine)
        assert "partner_searches" not in inspector.get_table_names()
        lead_columns = {c["name"] for c in inspector.get_columns("leads")}
        assert not lead_columns & {"submission_id", "enforcement_marked_by", "closed_by"}
        assert "limitations" not in {c["name"] for c in inspector.get_columns("examinations")}
        assert "photo_taken_on" not in {c["name"] for c in inspector.get_columns("candidates")}
        with engine.connect() as conn:
            statuses = conn.execute(text("SELECT id, status FROM leads ORDER BY id")).all()
            flags = conn.execute(
                text("SELECT id, independent_of_frs FROM corroborations ORDER BY id")
            ).all()
            roles = conn.execute(text("SELECT count(*) FROM user_roles")).scalar_one()
        assert [tuple(r) for r in statuses] == [(g.lead.id, "closed"), ("lead_open", "open")]
        assert [(r[0], bool(r[1])) for r in flags] == [
            (g.corroboration.id, True),
            ("cor_frs", False),
        ]
        assert roles == 6  # rebuilding tables neither refused nor cascaded

        upgrade(engine)
        with unit_of_work(engine) as uow:
            again = uow.leads.get("lead_open")
            assert again.status is LeadStatus.investigative_lead
            assert again.submission_id == g.submission.id
            assert uow.leads.get(g.lead.id).submission_id == g.submission.id
            assert [lead.id for lead in uow.leads.of_submission(g.submission.id)] == [
                g.lead.id,
                "lead_open",
            ]
            by_lead = uow.corroborations.of_leads([g.lead.id, "lead_open"])
            kinds = {c.id: c for found in by_lead.values() for c in found}
            assert set(kinds) == {g.corroboration.id, "cor_frs"}
            assert kinds[g.corroboration.id].kind is CorroborationKind.other
            assert kinds["cor_frs"].kind is CorroborationKind.frs_result
            assert not kinds["cor_frs"].independent_of_frs
            assert {c.obtained_by for c in kinds.values()} == {g.agent.display_name}
            assert {c.obtained_on for c in kinds.values()} == {None}
            exam = uow.examinations.get(g.examination.id)
            assert exam.limitations.startswith("Not recorded")
            filed = uow.roi_entries.get(g.roi_entry.id)
            assert filed.body_sha256 == hashlib.sha256(filed.body.encode("utf-8")).hexdigest()
            assert uow.roi_entries.get("roi_draft").body_sha256 is None
            assert uow.dispositions.get(g.disposition2.id).verified_by is None
            assert uow.candidates.get(g.candidate.id).photo_taken_on is None
            assert uow.partner_searches.of_case(g.case.id) == []
            # The new records are writable again.
            uow.partner_searches.add(g.partner_search)
    finally:
        engine.dispose()
