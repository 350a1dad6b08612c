"""Every lifecycle, exhaustively: each legal transition and each illegal one, generated from the
transition tables, both on the bare state machine and through the entity's own methods."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

import domain_builders as b
import pytest

import frsgate.domain as domain
from frsgate.domain import (
    APPROVAL_MACHINE,
    CANDIDATE_LIST_MACHINE,
    CASE_MACHINE,
    LEAD_MACHINE,
    MACHINES,
    PROBE_MACHINE,
    PROGRAM_MACHINE,
    PROVIDER_REVIEW_MACHINE,
    ROI_MACHINE,
    SUBMISSION_MACHINE,
    USER_MACHINE,
    ApprovalAct,
    CandidateListAct,
    CaseAct,
    IllegalTransition,
    LeadAct,
    ProbeAct,
    ProgramAct,
    ReviewAct,
    RoiAct,
    StateMachine,
    SubmissionAct,
    UserAct,
)

LATER = b.T0 + timedelta(days=2)  # after every deadline the builders set


@dataclass(frozen=True)
class Driver:
    """How to build an entity in a given state and perform each act through its methods."""

    machine: StateMachine[Any, Any]
    make: Callable[[Any], Any]
    status_field: str
    acts: dict[Any, Callable[[Any], None]]


DRIVERS: tuple[Driver, ...] = (
    Driver(
        USER_MACHINE,
        b.user,
        "status",
        {UserAct.disable: lambda u: u.disable(), UserAct.enable: lambda u: u.enable()},
    ),
    Driver(
        CASE_MACHINE,
        b.case,
        "status",
        {CaseAct.close: lambda c: c.close(at=LATER), CaseAct.reopen: lambda c: c.reopen()},
    ),
    Driver(
        PROGRAM_MACHINE,
        b.program,
        "status",
        {
            ProgramAct.approve_assessment: lambda p: p.approve_assessment(by="usr_igp", at=LATER),
            ProgramAct.revise_assessment: lambda p: p.revise_assessment(assessment_ref="PIA-2"),
            ProgramAct.retire: lambda p: p.retire(),
        },
    ),
    Driver(
        PROVIDER_REVIEW_MACHINE,
        b.provider,
        "review_status",
        {
            ReviewAct.submit_for_review: lambda p: p.submit_for_review(),
            ReviewAct.approve: lambda p: p.approve(by="usr_osdm", at=LATER),
            ReviewAct.suspend: lambda p: p.suspend(by="usr_osdm", at=LATER, note="breach"),
            ReviewAct.not_approve: lambda p: p.not_approve(
                by="usr_osdm", at=LATER, note="terms forbid law-enforcement use"
            ),
        },
    ),
    Driver(
        PROBE_MACHINE,
        b.probe,
        "status",
        {
            ProbeAct.approve: lambda p: p.approve(),
            ProbeAct.refuse: lambda p: p.refuse(),
            ProbeAct.purge: lambda p: p.purge(at=LATER),
        },
    ),
    Driver(
        SUBMISSION_MACHINE,
        b.submission,
        "status",
        {
            SubmissionAct.allow: lambda s: s.allow(at=LATER),
            SubmissionAct.require_approval: lambda s: s.require_approval(),
            SubmissionAct.deny: lambda s: s.deny(at=LATER, reason="memo 4.C.3"),
            SubmissionAct.approve: lambda s: s.approve(at=LATER),
            SubmissionAct.reject: lambda s: s.reject(at=LATER, reason="not exigent"),
            SubmissionAct.expire: lambda s: s.expire(at=LATER),
            SubmissionAct.withdraw: lambda s: s.withdraw(at=LATER, reason="no longer needed"),
            SubmissionAct.dispatch: lambda s: s.dispatch(at=LATER),
            SubmissionAct.dispatch_exigent: lambda s: s.dispatch_exigent(at=LATER),
            SubmissionAct.complete: lambda s: s.complete(at=LATER),
            SubmissionAct.fail: lambda s: s.fail(at=LATER, reason="FRS timed out"),
            SubmissionAct.mark_outcome_unknown: lambda s: s.mark_outcome_unknown(at=LATER),
            SubmissionAct.review_outcome: lambda s: s.review_outcome(note="vendor confirmed"),
        },
    ),
    Driver(
        APPROVAL_MACHINE,
        b.approval,
        "status",
        {
            ApprovalAct.approve: lambda a: a.approve(by="usr_super", at=LATER),
            ApprovalAct.deny: lambda a: a.deny(by="usr_super", at=LATER, note="not exigent"),
            ApprovalAct.expire: lambda a: a.expire(at=LATER),
            ApprovalAct.withdraw: lambda a: a.withdraw(by="usr_agent", at=LATER),
        },
    ),
    Driver(
        CANDIDATE_LIST_MACHINE,
        b.candidate_list,
        "status",
        {
            CandidateListAct.complete_review: lambda c: c.complete_review(by="usr_agent", at=LATER),
            CandidateListAct.purge: lambda c: c.purge(at=LATER),
        },
    ),
    Driver(
        LEAD_MACHINE,
        b.lead,
        "status",
        {
            LeadAct.corroborate: lambda ld: ld.corroborate([b.corroboration()], at=LATER),
            LeadAct.rely_for_enforcement: lambda ld: ld.rely_for_enforcement(
                by="usr_super", at=LATER, note="arrest warrant affidavit cites the travel records"
            ),
            LeadAct.close: lambda ld: ld.close(by="usr_agent", at=LATER, reason="subject excluded"),
        },
    ),
    Driver(
        ROI_MACHINE,
        b.roi_entry,
        "status",
        {RoiAct.file: lambda r: r.file(by="usr_agent", at=LATER)},
    ),
)


def _all_pairs() -> Iterator[Any]:
    for driver in DRIVERS:
        for state in driver.machine.states:
            for act in driver.machine.acts:
                yield pytest.param(driver, state, act, id=f"{driver.machine.entity}:{state}-{act}")


def _legal() -> Iterator[Any]:
    for driver in DRIVERS:
        for (state, act), target in driver.machine.transitions.items():
            label = f"{driver.machine.entity}:{state}-{act}->{target}"
            yield pytest.param(driver.machine, state, act, target, id=label)


def _illegal() -> Iterator[Any]:
    for driver in DRIVERS:
        for state, act in driver.machine.illegal_pairs():
            yield pytest.param(
                driver.machine, state, act, id=f"{driver.machine.entity}:{state}-{act}"
            )


@pytest.mark.parametrize(("machine", "state", "act", "target"), list(_legal()))
def test_legal_transition_on_the_table(
    machine: StateMachine[Any, Any], state: StrEnum, act: StrEnum, target: StrEnum
) -> None:
    assert machine.apply(state, act) is target
    assert act in machine.legal_acts(state)
    assert machine.can(state, act)


@pytest.mark.parametrize(("machine", "state", "act"), list(_illegal()))
def test_illegal_transition_on_the_table_names_state_and_act(
    machine: StateMachine[Any, Any], state: StrEnum, act: StrEnum
) -> None:
    with pytest.raises(IllegalTransition) as caught:
        machine.apply(state, act)
    error = caught.value
    assert (error.entity, error.state, error.act) == (machine.entity, state, act)
    assert f"'{state}'" in error.message
    assert f"cannot {act} " in error.message
    assert act not in machine.legal_acts(state)


@pytest.mark.parametrize(("driver", "state", "act"), list(_all_pairs()))
def test_entity_method_follows_its_table(driver: Driver, state: StrEnum, act: StrEnum) -> None:
    entity = driver.make(state)
    if driver.machine.can(state, act):
        driver.acts[act](entity)
        assert getattr(entity, driver.status_field) is driver.machine.apply(state, act)
    else:
        with pytest.raises(IllegalTransition) as caught:
            driver.acts[act](entity)
        assert (caught.value.state, caught.value.act) == (state, act)
        assert getattr(entity, driver.status_field) is state  # nothing changed


def test_every_machine_and_every_act_is_driven() -> None:
    # A new lifecycle or a new act must come with its tests: fail until it does.
    assert {d.machine for d in DRIVERS} == set(MACHINES)
    for driver in DRIVERS:
        assert set(driver.acts) == set(driver.machine.acts), driver.machine.entity


def test_machines_lists_every_machine_defined_in_the_domain() -> None:
    found: set[int] = set()
    for info in pkgutil.iter_modules(domain.__path__):
        module = importlib.import_module(f"frsgate.domain.{info.name}")
        found |= {id(v) for v in vars(module).values() if isinstance(v, StateMachine)}
    assert found == {id(m) for m in MACHINES}


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.entity)
def test_every_state_is_reachable_or_initial_and_every_act_used(
    machine: StateMachine[Any, Any],
) -> None:
    # An act no transition uses, or a state nothing leads to and nothing leaves, is a table bug.
    used_acts = {act for _, act in machine.transitions}
    assert used_acts == set(machine.acts)
    touched = {s for s, _ in machine.transitions} | set(machine.transitions.values())
    assert touched == set(machine.states)
