"""`frsgate init [--demo]`: create or upgrade the database, create the keys, seed demo data.

Running it twice changes nothing: keys that exist are kept, the schema is upgraded only when
behind, and each demo record is created only if absent (by its username, number, code or name).
Every seeded act is a ledger entry, like any other act.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from frsgate.config import Settings
from frsgate.domain import MatchType, ProviderKind, ProviderTerms, Role, User
from frsgate.errors import NotFound
from frsgate.keyfiles import load_or_create_ed25519_key
from frsgate.ledger import Actor, EventTag
from frsgate.services import accounts, admin
from frsgate.services.gate import draft
from frsgate.services.runtime import Runtime
from frsgate.store.engine import make_engine
from frsgate.store.migrate import current_revision, upgrade_to_head
from frsgate.store.unit import read_only

COMPONENT = "services.bootstrap"
DEMO_CASE = "HSI-2026-000001"
DEMO_PROGRAM = "FRS-DEMO-01"  # a program/task force with an assessment (memo 4.A.1)
DEMO_FRS_PROGRAM_CODE = "HSI-FRS-DEMO"  # the FRS program code OSDM established (memo 4.E.3)
SANDBOX_PROVIDER = "sandbox"
UNREVIEWED_PROVIDER = "exigent-unreviewed"
NOT_APPROVED_PROVIDER = "not-approved-vendor"

# username, display name, roles, certified (None: no certification; False: lapsed)
# Supervisors first: each user below names their front-line supervisor (memo 4.E.4), sue for
# sam and sam for the agents and the examiner.
DEMO_USERS: tuple[tuple[str, str, tuple[Role, ...], bool | None], ...] = (
    ("sue", "Sue Supervisor", (Role.supervisor,), True),
    ("sam", "Sam Supervisor", (Role.supervisor, Role.agent), True),
    ("alice", "Alice Agent", (Role.agent,), True),
    ("aaron", "Aaron Agent (certification lapsed)", (Role.agent,), False),
    ("erin", "Erin Examiner", (Role.examiner,), True),
    ("olga", "Olga OSDM Reviewer", (Role.osdm,), None),
    ("ivan", "Ivan Privacy Office", (Role.igp,), None),
    ("otto", "Otto OPR Auditor", (Role.opr,), None),
    ("ada", "Ada Administrator", (Role.admin,), None),
    ("mona", "Mona Monitoring", (Role.metrics,), None),  # a monitoring system's account
)


@dataclass
class InitReport:
    database_url: str
    created_keys: list[str] = field(default_factory=list)
    migrated: bool = False
    seeded: list[str] = field(default_factory=list)
    administrator: User | None = None  # the first administrator `--admin` created


@dataclass(frozen=True)
class FirstAdmin:
    """`frsgate init --admin USERNAME`: the first administrator to create."""

    username: str
    display_name: str | None = None


def initialize(
    settings: Settings, *, demo: bool, first_admin: FirstAdmin | None = None
) -> InitReport:
    settings.require_home_writable()
    report = InitReport(database_url=settings.effective_database_url)
    for path in (settings.ledger_key_path, settings.token_key_path):
        if not path.exists():
            report.created_keys.append(str(path))
        load_or_create_ed25519_key(path)
    from frsgate.vault import load_or_create_kek

    if not settings.vault_kek_path.exists():
        report.created_keys.append(str(settings.vault_kek_path))
    load_or_create_kek(settings.vault_kek_path)
    engine = make_engine(settings.effective_database_url)
    try:
        before = current_revision(engine)
    finally:
        engine.dispose()
    report.migrated = upgrade_to_head(settings.effective_database_url) != before
    if first_admin is not None:
        # A system act: no user exists yet whom the pack could decide it for. Refused once an
        # administrator exists; from then on administrators grant the role (`users.not_self`
        # and `users.opr_not_admin` decide it).
        with Runtime.open(settings, recover=False, periodic_checkpoints=False) as runtime:
            report.administrator = accounts.create_first_administrator(
                runtime.gate, username=first_admin.username,
                display_name=first_admin.display_name,
            )  # fmt: skip
            runtime.ledger.checkpoint()
    if demo:
        with Runtime.open(settings, recover=False, periodic_checkpoints=False) as runtime:
            report.seeded = seed_demo(runtime)
            if report.seeded:
                runtime.ledger.checkpoint()
    return report


def seed_demo(runtime: Runtime) -> list[str]:
    """Demo users of every role, a case, a program, an FRS program code, certifications and
    three providers."""
    gate = runtime.gate
    cli = Actor(id="system", role="system")
    seeded: list[str] = []
    now = runtime.now()
    users = {}
    with read_only(runtime.engine) as uow:
        for username, *_ in DEMO_USERS:
            with contextlib.suppress(NotFound):
                users[username] = uow.users.get_by_username(username)
    for username, display, roles, certified in DEMO_USERS:
        if username in users:
            continue
        boss = "sue" if username == "sam" else "sam"
        works = Role.agent in roles or Role.examiner in roles
        supervisor = users.get(boss) if works or username == "sam" else None
        users[username] = admin.create_user(
            gate, cli, username=username, display_name=display, roles=roles,
            supervisor_id=supervisor.id if supervisor else None,
        )  # fmt: skip
        seeded.append(f"user {username}")
        if certified is not None:
            completed = now - timedelta(days=30 if certified else 800)
            expires = now + timedelta(days=335) if certified else now - timedelta(days=435)
            admin.record_certification(
                gate, cli, user=users[username], completed_at=completed,
                best_practices_at=completed, safeguards_at=completed, expires_at=expires,
                palms_reference=f"PALMS-DEMO-{username.upper()}",
            )  # fmt: skip
    with read_only(runtime.engine) as uow:
        have_case = uow.cases.find(DEMO_CASE) is not None or _exists(
            uow.cases.get_by_number, DEMO_CASE
        )
        have_program = _exists(uow.programs.get_by_code, DEMO_PROGRAM)
        have_code = uow.frs_program_codes.find_code(DEMO_FRS_PROGRAM_CODE) is not None
        have = {n: _exists(uow.providers.get_by_name, n) for n in (
            SANDBOX_PROVIDER, UNREVIEWED_PROVIDER, NOT_APPROVED_PROVIDER)}  # fmt: skip
    if not have_case:
        admin.create_case(
            gate, cli, number=DEMO_CASE, title="Demo: smuggling ring (synthetic)",
            statutory_authority="18 U.S.C. 545 (smuggling goods into the United States)",
            violation_codes=("18USC545",), supervisor=users["sam"],
            assigned=[users["alice"], users["aaron"], users["erin"]], opened_by=users["sam"].id,
            under_hsi_authority=True,
        )  # fmt: skip
        seeded.append(f"case {DEMO_CASE}")
    if not have_program:
        admin.create_program(
            gate, cli, code=DEMO_PROGRAM, name="Demo FRS program (synthetic)",
            assessment_ref="PIA-DEMO-FRS-2026", approved_by=users["ivan"],
            use_without_case=True, supervisor=users["sam"], members=[users["alice"]],
        )  # fmt: skip
        seeded.append(f"program {DEMO_PROGRAM}")
    if not have_code:
        admin.register_program_code(
            gate, cli, code=DEMO_FRS_PROGRAM_CODE, description="Demo FRS program code (synthetic)",
            established_by=users["olga"].id, valid_from=now - timedelta(days=1),
        )  # fmt: skip
        seeded.append(f"FRS program code {DEMO_FRS_PROGRAM_CODE}")
    all_types = frozenset({MatchType.one_to_one, MatchType.two_photo, MatchType.one_to_many})
    osdm = Actor(id=users["olga"].id, role=Role.osdm.value)
    specs = (
        (SANDBOX_PROVIDER, ProviderKind.sandbox, None, True, "sandbox: synthetic data only"),
        (UNREVIEWED_PROVIDER, ProviderKind.sandbox, None, None, ""),
        (NOT_APPROVED_PROVIDER, ProviderKind.sandbox, None, False, "terms allow data resale"),
    )
    for name, kind, url, verdict, note in specs:
        if have[name]:
            continue
        provider = admin.create_provider(
            gate, cli, name=name, kind=kind, base_url=url,
            terms=ProviderTerms(match_types=all_types, candidate_cap=20,
                                law_enforcement_use=True, reference=f"terms:{name}",
                                edited_probes_allowed=True),
        )  # fmt: skip
        if verdict is not None:
            admin.seed_provider_review(gate, osdm, provider, approve=verdict, note=note,
                                       source="cli")  # fmt: skip
        seeded.append(f"provider {name}")
    seeded += _activate_demo_pack(runtime, users["ada"], users["ivan"])
    if seeded:
        runtime.ledger.append(
            draft(
                cli, EventTag.SYSTEM_SERVICE_START, source="cli", subject="system:init",
                component=COMPONENT, details={"seeded": len(seeded), "demo": True},
            )
        )  # fmt: skip
    return seeded


def _activate_demo_pack(runtime: Runtime, admin_user: User, igp_user: User) -> list[str]:
    """The demo's administrator asks and its privacy officer approves the bundled pack."""
    if runtime.gate.active:
        return []
    from frsgate.services.approvals import decide_approval
    from frsgate.services.gate import Caller
    from frsgate.services.policy_admin import request_activation

    request = request_activation(
        gate=runtime.gate,
        caller=Caller(user=admin_user, certification=None, source="cli"),
        reason="demo installation: the HSI 2021 pack as shipped",
    )
    decide_approval(
        gate=runtime.gate,
        dispatcher=runtime.dispatcher,
        caller=Caller(user=igp_user, certification=None, source="cli"),
        approval_id=request.id,
        approve=True,
        note="reviewed for the demo installation",
    )
    return [f"policy pack {runtime.policy.id} activated"]


def _exists(getter: Callable[[str], object], key: str) -> bool:
    try:
        getter(key)
    except NotFound:
        return False
    return True
