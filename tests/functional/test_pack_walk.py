"""The pack, walked through the product: every rule is made to fire by requests through the
product's own routes and services (never a hand-built Cedar context), unless it governs only
acts that have no route yet — listed once, below, in `NO_ROUTE_YET`; that list may only shrink.

The same walk records every Cedar context the translator builds, and checks that each
attribute a rule reads took more than one value across it: no fact is a constant.
Facts missing from the record fail closed: `test_missing_records_fail_closed`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import Gateway, running_gateway
from helpers import (
    DEMO_PROGRAM,
    approval_review,
    exigent_body,
    post_probe,
    probe_for_result,
    submission_body,
)
from images import astronaut_jpeg, rotated_astronaut_jpeg
from pack_walk_leads import walk_leads, walk_second_reviewer
from pack_walk_log_review import walk_log_review

from frsgate.config import load_settings
from frsgate.domain import MatchType, ProviderKind, ProviderTerms, Role, User
from frsgate.ledger import Actor
from frsgate.policy.decision import Decision
from frsgate.policy.engine import PolicyPack, default_pack
from frsgate.policy.facts import Action, Context, Principal, Resource
from frsgate.services import admin
from frsgate.services.approvals import decide_approval
from frsgate.services.bootstrap import initialize
from frsgate.services.errors import PolicyDenied
from frsgate.services.gate import Caller
from frsgate.services.policy_admin import request_activation
from frsgate.services.runtime import Runtime
from frsgate.store.unit import unit_of_work

# Acts whose workflow has no route or service yet: their rules are shown by the pack's
# scenarios (frsgate policy test) only. This list may only shrink as routes land.
NO_ROUTE_YET = frozenset(
    {
        # The log is append-only by construction: there is no path that alters it, ever; the
        # rule answers anyone who asks.
        Action.ledger_alter,
    }
)
CASE = "HSI-2026-000001"
ALL_TYPES = frozenset({MatchType.one_to_one, MatchType.two_photo, MatchType.one_to_many})


@dataclass
class Seen:
    """What the pack was asked during the walk, and what it answered."""

    decisions: list[tuple[Principal, Action, Decision]] = field(default_factory=list)
    values: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def record(self, pack: PolicyPack, principal: Principal, action: Action,
               resource: Resource, context: Context, decision: Decision) -> None:  # fmt: skip
        self.decisions.append((principal, action, decision))
        ctx = pack.translator.context(principal, action, resource, context)
        for path, value in _leaves("context", ctx):
            self.values[path].add(json.dumps(value, sort_keys=True))
        for name in ("training_completed", "best_practices_attested", "safeguards_attested",
                     "certification_current", "active"):  # fmt: skip
            self.values[f"principal.{name}"].add(json.dumps(getattr(principal, name)))


def _leaves(prefix: str, value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _leaves(f"{prefix}.{key}", inner)
    else:
        yield prefix, value


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> Seen:
    record = Seen()
    original = PolicyPack.decide

    def spy(self: PolicyPack, principal: Principal, action: Action, resource: Resource,
            context: Context = Context()) -> Decision:  # fmt: skip  # noqa: B008
        decision = original(self, principal, action, resource, context)
        record.record(self, principal, action, resource, context, decision)
        return decision

    monkeypatch.setattr(PolicyPack, "decide", spy)
    return record


class Walk:
    """A demo gateway with the extra records the walk needs, made through the services."""

    def __init__(self, gateway: Gateway) -> None:
        self.gw = gateway
        self.gate = gateway.runtime.gate
        self.system = Actor.system()
        now = self.gate.now()
        self.users: dict[str, User] = {}
        with unit_of_work(self.gate.engine) as uow:
            self.sam = uow.users.get_by_username("sam")
            self.alice = uow.users.get_by_username("alice")
            self.olga = uow.users.get_by_username("olga")
        # Agents with certifications missing one part each, an unassigned agent, an OSDM
        # reviewer who is also an agent, and a member of no program.
        certs = {
            "tom": (None, now, now),  # no training on record
            "tia": (now, None, None),  # trained, attested nothing
            "una": (now, now, now),  # fully certified, assigned to nothing
            "oscar": (now, now, now),  # agent and OSDM reviewer
        }
        for name, (trained, practices, safeguards) in certs.items():
            roles = [Role.agent, Role.osdm] if name == "oscar" else [Role.agent]
            user = admin.create_user(self.gate, self.system, username=name,
                                     display_name=name.title(), roles=roles)  # fmt: skip
            admin.record_certification(
                self.gate, self.system, user=user, completed_at=trained,
                best_practices_at=practices, safeguards_at=safeguards,
                expires_at=now + timedelta(days=300), palms_reference=f"PALMS-{name}",
            )  # fmt: skip
            self.users[name] = user
            gateway.users[name] = user.id
        members = [self.users["tom"], self.users["tia"], self.users["oscar"]]
        self.other_case = admin.create_case(
            self.gate, self.system, number="HSI-2026-000002", title="Partner task (not HSI)",
            statutory_authority="state law only", violation_codes=(), supervisor=self.sam,
            assigned=[self.alice], opened_by=self.sam.id, under_hsi_authority=False,
        )  # fmt: skip
        closed = admin.create_case(
            self.gate, self.system, number="HSI-2026-000003", title="Closed case",
            statutory_authority="18 U.S.C. 545", violation_codes=(), supervisor=self.sam,
            assigned=[self.alice], opened_by=self.sam.id, under_hsi_authority=True,
        )  # fmt: skip
        admin.close_case(self.gate, self.system, case_id=closed.id, reason="case closed")
        self.closed_case = closed
        # The demo case gets the extra agents, so only their certifications are at fault.
        with unit_of_work(self.gate.engine) as uow:
            case = uow.cases.get_by_number(CASE)
            for user in members:
                case.assign(user.id)
            uow.cases.update(case)
        ivan = self._user("ivan")
        admin.create_program(
            self.gate, self.system, code="TF-NEW", name="Unassessed task force",
            assessment_ref="PIA-DRAFT", approved_by=None, use_without_case=True,
            supervisor=self.sam, members=[self.alice],
        )  # fmt: skip
        admin.create_program(
            self.gate, self.system, code="TF-CASES", name="Task force that works cases",
            assessment_ref="PIA-TF-CASES", approved_by=ivan, use_without_case=False,
            supervisor=self.sam, members=[self.alice],
        )  # fmt: skip
        admin.register_program_code(
            self.gate, self.system, code="HSI-FRS-OLD", description="retired FRS code",
            established_by=self.olga.id, valid_from=now - timedelta(days=400),
            valid_until=now - timedelta(days=30),
        )  # fmt: skip
        self._provider("no-le", law_enforcement=False)
        self._provider("verify-only", types=frozenset({MatchType.one_to_one}), cap=5)
        self._provider("no-edits", edits=False)
        self._provider("fourth-use", types=ALL_TYPES | {"redacted_use"})

    def _user(self, name: str) -> User:
        with unit_of_work(self.gate.engine) as uow:
            return uow.users.get_by_username(name)

    def _provider(self, name: str, *, law_enforcement: bool = True,
                  types: frozenset[str] = ALL_TYPES, edits: bool = True,
                  cap: int = 20) -> None:  # fmt: skip
        provider = admin.create_provider(
            self.gate, self.system, name=name, kind=ProviderKind.sandbox, base_url=None,
            terms=ProviderTerms(match_types=types, candidate_cap=cap,
                                law_enforcement_use=law_enforcement, reference=f"terms:{name}",
                                edited_probes_allowed=edits),
        )  # fmt: skip
        admin.seed_provider_review(
            self.gate, Actor(id=self.olga.id, role="osdm"), provider, approve=True,
            note="reviewed", source="test",
        )  # fmt: skip

    def client(self, name: str) -> httpx.Client:
        return self.gw.client(name)


def _expect(response: httpx.Response, status: int, *rules: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    is_json = response.headers.get("content-type", "").startswith("application/json")
    body: dict[str, Any] = response.json() if is_json else {}
    cited = {c["rule"] for c in body.get("decision", {}).get("citations", [])}
    assert set(rules) <= cited, (rules, cited)
    return body


def _probe(client: httpx.Client, status: int = 201, *rules: str, image: bytes | None = None,
           **form: Any) -> dict[str, Any]:  # fmt: skip
    return _expect(post_probe(client, image or astronaut_jpeg(), **form), status, *rules)


def _submit(client: httpx.Client, status: int, *rules: str, **body: Any) -> dict[str, Any]:
    return _expect(client.post("/api/v1/submissions", json=body), status, *rules)


def _decide(client: httpx.Client, approval: str, status: int, *rules: str,
            approve: bool = True) -> dict[str, Any]:  # fmt: skip
    response = client.post(
        f"/api/v1/approvals/{approval}/decision", json={"approve": approve, "note": "decided"}
    )
    return _expect(response, status, *rules)


def _walk_intake(w: Walk) -> dict[str, Any]:
    with w.client("alice") as alice:
        good = _probe(alice)
        _probe(alice, 403, "probe.subject_role", subject_role="bystander")
        _probe(alice, 403, "probe.witness_methods_exhausted", subject_role="witness")
        _probe(alice, 403, "probe.attestation", attestation="false")
        _probe(alice, 403, "probe.justification", justification=" ")
        _probe(alice, 403, "probe.live_source", "probe.surveillance_source",
               capture_source="live_stream")  # fmt: skip
        _probe(alice, 403, "probe.lawful_basis", lawful_basis="")
        _probe(alice, 403, "probe.isolated_facial_image", image_edit="composite")
        _probe(alice, 403, "submission.traditional_means", traditional_means="")
        _probe(alice, 403, "purpose.hsi_authority", case="HSI-2026-000002", program_code="")
        _probe(alice, 403, "purpose.case_open", case="HSI-2026-000003", program_code="")
        _probe(alice, 403, "purpose.required", case="", program_code="")
        _probe(alice, 403, "purpose.program_established", "purpose.program_assessed",
               case="", program_code="TF-NEW")  # fmt: skip
        _probe(alice, 403, "purpose.program_scope", case="", program_code="TF-CASES")
        program_use = _probe(alice, 201, case="", program_code=DEMO_PROGRAM,
                             image=rotated_astronaut_jpeg())  # fmt: skip
        enhanced = _probe(alice, image_edit="enhanced")
        flagged = _probe(alice, justification="seen at the protest at the port, theft suspect")
    with w.client("una") as una:
        _probe(una, 403, "purpose.case_assignment")
        _probe(una, 403, "purpose.program_member", case="", program_code=DEMO_PROGRAM)
    with w.client("tom") as tom:
        _probe(tom, 403, "certification.training")
    with w.client("tia") as tia:
        _probe(tia, 403, "certification.best_practices", "certification.safeguards")
    with w.client("aaron") as aaron:
        _probe(aaron, 403, "certification.current")
    with w.client("erin") as erin:
        _probe(erin, 403, "duty.probe_create")
    with w.client("otto") as otto:
        _probe(otto, 403, "opr.read_only")
    with w.client("ada") as ada:
        _probe(ada, 403, "admin.no_probe_access")
    return {"good": good, "program": program_use, "enhanced": enhanced, "flagged": flagged}


def _walk_submissions(w: Walk, probes: dict[str, Any]) -> dict[str, Any]:
    good = probes["good"]["id"]
    with w.client("alice") as alice:
        done = _submit(alice, 201, **submission_body(good))
        _submit(alice, 201, **submission_body(probes["program"]["id"]))
        _submit(alice, 403, "submission.program_code", **submission_body(good, program_code=" "))
        _submit(alice, 403, "submission.program_code_established",
                **submission_body(good, program_code="HSI-FRS-OLD"))  # fmt: skip
        _submit(alice, 403, "submission.exigent_reason", **submission_body(good, exigent=True))
        bare = exigent_body(good, "exigent-unreviewed", "suspect fleeing")
        bare.pop("impracticable_reason")
        _submit(alice, 403, "submission.impracticable_reason", **bare)
        _submit(alice, 403, "provider.unreviewed",
                **submission_body(good, provider="exigent-unreviewed"))  # fmt: skip
        _submit(alice, 403, "provider.not_approved",
                **submission_body(good, provider="not-approved-vendor"))  # fmt: skip
        waiting = _submit(
            alice,
            202,
            "provider.exigent_unreviewed",
            **submission_body(
                good, provider="exigent-unreviewed", exigent=True, exigent_reason="boarding now"
            ),
        )
        _submit(alice, 403, "provider.terms_law_enforcement",
                **submission_body(good, provider="no-le"))  # fmt: skip
        _submit(alice, 403, "provider.terms_match_type",
                **submission_body(good, provider="verify-only"))  # fmt: skip
        _submit(alice, 403, "provider.terms_candidate_cap",
                **submission_body(good, max_candidates=50))  # fmt: skip
        _submit(alice, 403, "provider.terms_edited_probe",
                **submission_body(probes["enhanced"]["id"], provider="no-edits"))  # fmt: skip
        _submit(
            alice,
            403,
            "submission.match_type",
            **submission_body(good, provider="fourth-use", match_type="redacted_use"),
        )
        flagged = _submit(alice, 202, "probe.justification_flagged",
                          **submission_body(probes["flagged"]["id"]))  # fmt: skip
    with w.client("erin") as erin:
        _submit(erin, 403, "duty.submission_create", **submission_body(good))
    return {"done": done, "exigent_waiting": waiting, "flagged_waiting": flagged}


def _walk_approvals(w: Walk, probes: dict[str, Any], subs: dict[str, Any]) -> None:
    with w.client("alice") as alice:
        witness = _probe(alice, subject_role="witness", other_methods_exhausted="canvass done")
        [witness_approval] = witness["approvals"]
        [flagged_approval] = probes["flagged"]["approvals"]
        [exigent_approval] = subs["exigent_waiting"]["approvals"]
        _decide(alice, witness_approval["id"], 403, "approval.witness_supervisor")
        _decide(alice, flagged_approval["id"], 403, "approval.justification_supervisor")
        _decide(alice, exigent_approval["id"], 403, "approval.exigent_supervisor")
    with w.client("sue") as sue:
        _decide(sue, witness_approval["id"], 403, "approval.case_supervisor")
    with w.client("sam") as sam:
        own_witness = _probe(sam, subject_role="witness", other_methods_exhausted="canvass")
        own_flagged = _probe(sam, justification="photographed at the rally, suspect in theft")
        own_probe = _probe(sam, image=rotated_astronaut_jpeg())
        own_exigent = _submit(sam, 202, **submission_body(
            own_probe["id"], provider="exigent-unreviewed", exigent=True,
            exigent_reason="boarding now"))  # fmt: skip
        _decide(sam, own_witness["approvals"][0]["id"], 403, "approval.witness_not_own")
        _decide(sam, own_flagged["approvals"][0]["id"], 403, "approval.justification_not_own")
        _decide(sam, own_exigent["approvals"][0]["id"], 403, "approval.exigent_not_own")
        _decide(sam, witness_approval["id"], 200)
        _decide(sam, flagged_approval["id"], 200)


def _walk_reads(w: Walk, subs: dict[str, Any]) -> None:
    sub_id = subs["done"]["submission"]["id"]
    with w.client("alice") as alice:
        probe = probe_for_result(alice, negative=False)
        _expect(alice.get(f"/api/v1/submissions/{sub_id}/candidates"), 200)
        _expect(alice.get("/api/v1/ledger/checkpoint"), 403, "duty.ledger_read")
        _expect(alice.get("/api/v1/queue/supervisor"), 403, "queue.supervisor_only")
        _expect(alice.get("/api/v1/approvals"), 403, "queue.approvals_deciders")
        _expect(alice.post("/api/v1/policy/activations", json={"reason": "x"}), 403,
                "duty.policy_pack_request")  # fmt: skip
        _expect(alice.post(f"/api/v1/submissions/{sub_id}/outcome-review", json={"note": "n"}),
                403, "duty.outcome_review")  # fmt: skip
        _expect(alice.post("/api/v1/providers/provider_x/review",
                           json=approval_review("n")), 404)  # fmt: skip
        exigent = _submit(alice, 201, **exigent_body(probe["id"], "exigent-unreviewed", "now"))
        escalating = _submit(alice, 201, **exigent_body(probe["id"], "exigent-unreviewed", "now"))
        denied = _submit(alice, 201, **exigent_body(probe["id"], "exigent-unreviewed", "now"))
        _expect(alice.get(f"/api/v1/submissions/{sub_id}"), 200)
        _expect(alice.get("/api/v1/submissions"), 200)
    with w.client("olga") as olga:
        _expect(olga.get(f"/api/v1/submissions/{sub_id}/candidates"), 403,
                "duty.candidates_view")  # fmt: skip
        _expect(olga.get(f"/api/v1/probes/{probe['id']}/image"), 403, "duty.probe_image_view")
        _expect(olga.get("/api/v1/queue/osdm"), 200)
    with w.client("ada") as ada:
        _expect(ada.get(f"/api/v1/submissions/{sub_id}/candidates"), 403,
                "admin.no_probe_access")  # fmt: skip
        _expect(ada.get(f"/api/v1/submissions/{sub_id}"), 403, "admin.no_probe_access")
        _expect(ada.get("/api/v1/ledger/checkpoint"), 403, "duty.ledger_read")
    with w.client("una") as una:
        _expect(una.get(f"/api/v1/submissions/{sub_id}"), 403,
                "submission.view_own_or_oversight")  # fmt: skip
    with w.client("erin") as erin:
        _expect(erin.get(f"/api/v1/submissions/{sub_id}/candidates"), 200)
        _expect(erin.get(f"/api/v1/submissions/{sub_id}"), 403, "duty.submission_view")
    with w.client("otto") as otto:
        _expect(otto.get(f"/api/v1/submissions/{sub_id}/candidates"), 200)
        _expect(otto.get("/api/v1/ledger/checkpoint"), 200)
    with w.client("sue") as sue:
        _expect(sue.get(f"/api/v1/cases/{CASE}/ledger"), 403, "ledger.case_supervisor")
    with w.client("sam") as sam:
        _expect(sam.get("/api/v1/ledger/checkpoint"), 403, "ledger.whole_log_auditors")
        _expect(sam.get(f"/api/v1/cases/{CASE}/ledger"), 200)
        _expect(sam.get("/api/v1/queue/osdm"), 403, "queue.osdm_only")
        _expect(sam.get(f"/api/v1/probes/{probe['id']}/image"), 200)
        _decide(sam, denied["approvals"][0]["id"], 200, approve=False)
    with w.client("ivan") as ivan:
        _expect(ivan.get("/api/v1/approvals"), 200)
    with w.client("alice") as alice:
        _expect(alice.get(f"/api/v1/submissions/{denied['submission']['id']}/candidates"), 403,
                "exigent.approval_denied")  # fmt: skip
    gate = w.gate
    real = gate.clock
    gate.clock = lambda: real() + timedelta(hours=25)
    try:
        with w.client("alice") as alice:
            _expect(alice.get(f"/api/v1/submissions/{exigent['submission']['id']}/candidates"),
                    409, "exigent.approval_overdue")  # fmt: skip
        with w.client("sam") as sam:
            _decide(sam, exigent["approvals"][0]["id"], 200)
        with w.client("alice") as alice:
            _expect(alice.get(f"/api/v1/submissions/{exigent['submission']['id']}/candidates"),
                    200)  # fmt: skip
        # Still pending the configured time past its deadline: escalated to sam's own
        # supervisor (sue), who may then decide it (memo 4.C.3, 4.E.4).
        gate.clock = lambda: real() + timedelta(hours=25) + gate.exigent_escalation
        with w.client("sue") as sue:
            _decide(sue, escalating["approvals"][0]["id"], 200)
    finally:
        gate.clock = real


def _walk_reviews(w: Walk, subs: dict[str, Any]) -> None:
    with w.client("alice") as alice:
        probe = _probe(alice, image=rotated_astronaut_jpeg())
        lost = _submit(alice, 201, **submission_body(probe["id"]))["submission"]["id"]
    with unit_of_work(w.gate.engine) as uow:
        table = uow.submissions.table
        uow.conn.execute(table.update().where(table.c.id == lost).values(status="dispatching"))
    w.gw.runtime.dispatcher.recover_interrupted()
    with w.client("sue") as sue:
        _expect(sue.post(f"/api/v1/submissions/{lost}/outcome-review", json={"note": "n"}), 403,
                "outcome.case_supervisor")  # fmt: skip
    with w.client("sam") as sam:
        _expect(sam.post(f"/api/v1/submissions/{lost}/outcome-review", json={"note": "n"}), 200)
    with w.client("oscar") as oscar:
        probe = _probe(oscar)
        _submit(oscar, 201, **exigent_body(probe["id"], "exigent-unreviewed", "fleeing"))
        [provider] = [p for p in oscar.get("/api/v1/queue/osdm").json()["providers"]
                      if p["name"] == "exigent-unreviewed"]  # fmt: skip
        _expect(oscar.post(f"/api/v1/providers/{provider['id']}/review",
                           json=approval_review("n")), 403,
                "review.not_own_request")  # fmt: skip
    with w.client("alice") as alice:
        _expect(alice.post(f"/api/v1/providers/{provider['id']}/review",
                           json=approval_review("n")), 403,
                "review.osdm_only")  # fmt: skip
    with w.client("olga") as olga:
        _expect(olga.post(f"/api/v1/providers/{provider['id']}/review",
                          json=approval_review()), 200)  # fmt: skip


def _walk_rate_limits(gateway: Gateway, sandbox_url: str) -> None:
    """The same installation served again with a limit of one submission an hour per user:
    alice and sam, who both submitted during the walk, are over it at once."""
    home = gateway.settings.home
    with running_gateway(
        home, gateway.settings.database_url or "", sandbox_url, rate_limit_per_user_per_hour=1
    ) as gw:
        with gw.client("alice") as alice, gw.client("sam") as sam:
            probe = _probe(alice)
            _submit(alice, 429, **submission_body(probe["id"]))
            _submit(sam, 429, **submission_body(probe["id"]))
            [alices] = [a for a in sam.get("/api/v1/approvals").json()["approvals"]
                        if a["kind"] == "rate_limit_override"]  # fmt: skip
        with unit_of_work(gw.runtime.engine) as uow:
            [own] = [a for a in uow.approvals.requested_by(gw.users["sam"])
                     if a.kind.value == "rate_limit_override"]  # fmt: skip
        with gw.client("erin") as erin:
            _decide(erin, alices["id"], 403, "approval.rate_limit_supervisor")
        with gw.client("sam") as sam:
            _decide(sam, own.id, 403, "approval.rate_limit_not_own")
            _decide(sam, alices["id"], 200)


def _walk_account_disabled(w: Walk) -> None:
    """A request waiting for approval is decided again for its requester, whose account was
    disabled meanwhile (`account.active` fires for the requester, not the approver)."""
    with w.client("oscar") as oscar:
        probe = _probe(oscar, subject_role="witness", other_methods_exhausted="canvass")
        _submit(oscar, 202, **submission_body(probe["id"]))
    admin.disable_user(w.gate, w.system, user_id=w.users["oscar"].id, reason="left")
    with w.client("sam") as sam:
        decided = _decide(sam, probe["approvals"][0]["id"], 200)
    assert decided["rejected_submissions"], decided


def _walk_accounts(w: Walk) -> None:
    """Account administration (memo 4.E.4, 4.E.5): administrators only, never their own
    standing, never the auditor's and the administrator's roles on one account."""
    users = "/api/v1/admin/users"
    with w.client("alice") as alice:
        _expect(alice.get(users), 403, "users.admin_only")
    with w.client("otto") as otto:
        _expect(otto.post(users, json={"username": "x", "display_name": "X"}), 403,
                "opr.read_only", "users.admin_only")  # fmt: skip
    with w.client("ada") as ada:
        _expect(ada.get(users), 200)
        _expect(ada.post(f"{users}/ada/roles", json={"role": "igp"}), 403, "users.not_self")
        _expect(ada.post(f"{users}/otto/roles", json={"role": "admin"}), 403,
                "users.opr_not_admin")  # fmt: skip
        _expect(ada.post(f"{users}/oscar/enable", json={"reason": "back"}), 200)


def _walk_reports(w: Walk) -> None:
    """The oversight reports (memo 4.E.4, 4.E.5, fn2): each run by the office that answers
    for it, and refused, citing why, to anyone else."""
    for kind, refused, rule, allowed in (
        ("supervisor", "alice", "report.supervisor_only", "sam"),
        ("opr", "sam", "report.opr_only", "otto"),
        ("igp", "otto", "report.igp_only", "ivan"),
        ("annual", "sam", "report.annual_igp_opr", "ivan"),
    ):
        with w.client(refused) as client:
            _expect(client.get(f"/api/v1/reports/{kind}"), 403, rule)
        with w.client(allowed) as client:
            _expect(client.get(f"/api/v1/reports/{kind}"), 200)


def _walk_metrics(w: Walk) -> None:
    """The service metrics (memo fn2): a monitoring account reads them, an agent may not."""
    with w.client("mona") as mona:
        _expect(mona.get("/metrics"), 200)
    with w.client("alice") as alice:
        _expect(alice.get("/metrics"), 403, "duty.metrics_read")


def _walk_casework(w: Walk) -> None:
    """Cases, programs and FRS program codes (memo 4.A.1, 4.E.3, 4.E.4): a supervisor manages
    their own cases, an administrator registers programs, IGP approves their assessments
    (never of a program it registered), OSDM establishes program codes."""
    cases, programs = "/api/v1/admin/cases", "/api/v1/admin/programs"
    case = {"number": "HSI-2026-000950", "title": "t", "statutory_authority": "18 U.S.C. 545",
            "under_hsi_authority": True, "supervisor": "sam"}  # fmt: skip
    with w.client("alice") as alice:
        _expect(alice.get(cases), 403, "duty.case_manage")
    with w.client("sue") as sue:
        _expect(sue.post(f"{cases}/{CASE}/close", json={"reason": "r"}), 403,
                "case.supervisor_own")  # fmt: skip
    with w.client("sam") as sam:
        _expect(sam.post(cases, json=case), 201)
        _expect(sam.post(programs, json={"code": "TF-W", "name": "n", "assessment_ref": "P"}),
                403, "duty.program_manage")  # fmt: skip
    pia = admin.create_user(w.gate, w.system, username="pia", display_name="Pia IGP-Admin",
                            roles=(Role.igp, Role.admin))  # fmt: skip
    w.gw.users["pia"] = pia.id
    with w.client("pia") as pia_client:
        _expect(pia_client.post(programs, json={"code": "TF-W", "name": "n",
                                                "assessment_ref": "P"}), 201)  # fmt: skip
        own = pia_client.post(f"{programs}/TF-W/assessment/approval",
                              json={"assessment_ref": "P"})  # fmt: skip
        _expect(own, 403, "program.assess_not_own")
    with w.client("ada") as ada:
        _expect(ada.post(f"{programs}/TF-W/assessment/approval", json={"assessment_ref": "P"}),
                403, "program.assess_igp_only")  # fmt: skip
        _expect(ada.post("/api/v1/admin/program-codes", json={"code": "HSI-FRS-W",
                                                              "description": "d"}),
                403, "duty.program_code_establish")  # fmt: skip
    with w.client("ivan") as ivan:
        _expect(ivan.post(f"{programs}/TF-W/assessment/approval", json={"assessment_ref": "P"}),
                200)  # fmt: skip
    with w.client("olga") as olga:
        _expect(olga.post("/api/v1/admin/program-codes",
                          json={"code": "HSI-FRS-W", "description": "d"}), 201)  # fmt: skip


def _walk_certifications(w: Walk) -> None:
    """PALMS certifications (memo 4.A.3): an administrator imports the training system's
    export, never a row of their own."""
    path = "/api/v1/admin/certifications/import"
    day = w.gate.now().date().isoformat()
    header = "username,course_id,completed_on,best_practices_attested_on,safeguards_attested_on"

    def csv(username: str) -> bytes:
        return f"{header}\n{username},ICE-FRS-101,{day},{day},{day}\n".encode()

    csv_type = {"Content-Type": "text/csv"}
    with w.client("alice") as alice:
        _expect(alice.post(path, content=csv("una"), headers=csv_type), 403,
                "duty.certification_record")  # fmt: skip
    with w.client("ada") as ada:
        _expect(ada.post(path, content=csv("ada"), headers=csv_type), 403,
                "certification.not_own")  # fmt: skip
        _expect(ada.post(path, content=csv("nobody-at-all"), headers=csv_type), 422,
                "certification.import_well_formed")  # fmt: skip
        _expect(ada.post(path, content=csv("una"), headers=csv_type), 200)


def _walk_providers(w: Walk) -> None:
    """FRS providers (memo 4.C): an administrator registers the connection, OSDM suspends an
    FRS, and a suspended FRS is refused even in exigent circumstances."""
    with w.client("alice") as alice:
        _expect(alice.get("/api/v1/admin/providers"), 403, "duty.provider_manage")
    with w.client("ada") as ada:
        [fourth] = [p for p in _expect(ada.get("/api/v1/admin/providers"), 200)["providers"]
                    if p["name"] == "fourth-use"]  # fmt: skip
    with w.client("olga") as olga:
        _expect(olga.post(f"/api/v1/providers/{fourth['id']}/review",
                          json={"decision": "suspended", "rationale": "breach under review"}),
                200)  # fmt: skip
    with w.client("alice") as alice:
        probe = _probe(alice, image=rotated_astronaut_jpeg())
        _submit(alice, 403, "provider.suspended",
                **submission_body(probe["id"], provider="fourth-use"))  # fmt: skip
        _submit(alice, 403, "provider.suspended",
                **exigent_body(probe["id"], "fourth-use", "suspect boarding now"))  # fmt: skip


def _walk_pack_activation(tmp_path: Path, database_url: str) -> None:
    """A fresh installation whose pack IGP has not approved yet (memo fn2)."""
    settings = load_settings(home=tmp_path / "fresh", database_url=database_url,
                             checkpoint_interval_seconds=0)  # fmt: skip
    initialize(settings, demo=False)
    with Runtime.open(settings, periodic_checkpoints=False) as runtime:
        gate, system = runtime.gate, Actor.system()

        def user(name: str, role: Role) -> Caller:
            made = admin.create_user(gate, system, username=name, display_name=name,
                                     roles=[role])  # fmt: skip
            return Caller(user=made, certification=None, source="test")

        ivan, iris = user("ivan", Role.igp), user("iris", Role.igp)
        sid = user("sid", Role.supervisor)
        request = request_activation(gate=gate, caller=ivan, reason="go live")
        for caller, rule in ((ivan, "pack.not_own_request"), (sid, "pack.igp_only")):
            with pytest.raises(PolicyDenied) as denied:
                decide_approval(gate=gate, dispatcher=runtime.dispatcher, caller=caller,
                                approval_id=request.id, approve=True, note=None)  # fmt: skip
            assert rule in {c["rule"] for c in denied.value.decision["citations"]}
        decide_approval(gate=gate, dispatcher=runtime.dispatcher, caller=iris,
                        approval_id=request.id, approve=True, note="approved")  # fmt: skip
        assert gate.active


def test_every_rule_fires_through_the_product(
    gateway: Gateway, seen: Seen, tmp_path: Path, second_database_url: str, sandbox_url: str
) -> None:
    walk = Walk(gateway)
    probes = _walk_intake(walk)
    subs = _walk_submissions(walk, probes)
    _walk_approvals(walk, probes, subs)
    _walk_reads(walk, subs)
    _walk_reviews(walk, subs)
    _walk_account_disabled(walk)
    _walk_accounts(walk)
    _walk_casework(walk)
    _walk_certifications(walk)
    _walk_providers(walk)
    _walk_metrics(walk)
    _walk_reports(walk)
    walk_leads(gateway, _expect)
    walk_log_review(gateway, _expect)
    walk_second_reviewer(gateway, _expect, tmp_path)
    _walk_rate_limits(gateway, sandbox_url)
    _walk_pack_activation(tmp_path, second_database_url)

    pack = default_pack()
    fired: set[str] = set()
    for principal, action, decision in seen.decisions:
        fired.update(decision.rules)
        if decision.allowed:
            fired.update(
                r.id for r in pack.rules
                if r.effect == "permit" and r.applies_to(action.value)
                and r.id.removeprefix("grant.") in {str(role) for role in principal.roles}
            )  # fmt: skip
    routed = {a.value for a in Action if a not in NO_ROUTE_YET}
    expected = {r.id for r in pack.rules if r.actions is None or not r.actions.isdisjoint(routed)}
    assert sorted(expected - fired) == []
    # No act with a route is missing from the walk.
    assert {a for _, a, _ in seen.decisions} == {a for a in Action if a not in NO_ROUTE_YET}


def test_no_fact_a_rule_reads_is_a_constant(gateway: Gateway, seen: Seen, tmp_path: Path) -> None:
    walk = Walk(gateway)
    probes = _walk_intake(walk)
    subs = _walk_submissions(walk, probes)
    _walk_approvals(walk, probes, subs)
    _walk_reads(walk, subs)
    _walk_account_disabled(walk)
    _walk_accounts(walk)
    _walk_casework(walk)
    _walk_certifications(walk)
    _walk_providers(walk)
    _walk_reports(walk)
    walk_leads(gateway, _expect)
    walk_log_review(gateway, _expect)
    walk_second_reviewer(gateway, _expect, tmp_path)
    constant = sorted(path for path, values in seen.values.items() if len(values) < 2)
    assert constant == [], constant
