"""One transaction with every repository on it: the unit of work the services use.

    with unit_of_work(engine) as uow:
        case = uow.cases.get(case_id)
        case.close(at=now)
        uow.cases.update(case, expected_status=CaseStatus.open)

The block commits when it ends and rolls back if it raises. On SQLite the transaction starts
with BEGIN IMMEDIATE (see `engine.py`), so the writer lock is held from the first statement.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

from frsgate.store.engine import READ_ONLY, serialized_writes
from frsgate.store.repositories import (
    ApprovalRepository,
    CandidateListRepository,
    CandidateRepository,
    CaseRepository,
    CertificationRepository,
    CorroborationRepository,
    DispositionRepository,
    ExaminationRepository,
    FrsProgramCodeRepository,
    IdempotencyKeyRepository,
    LeadRepository,
    PartnerSearchRepository,
    ProbeRepository,
    ProgramRepository,
    ProviderRepository,
    ProviderReviewRepository,
    ProviderSecretRepository,
    RoiEntryRepository,
    ShareRepository,
    SubmissionRepository,
    UserRepository,
)


class UnitOfWork:
    """Every repository, bound to one connection inside one transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.users = UserRepository(conn)
        self.certifications = CertificationRepository(conn)
        self.cases = CaseRepository(conn)
        self.programs = ProgramRepository(conn)
        self.frs_program_codes = FrsProgramCodeRepository(conn)
        self.providers = ProviderRepository(conn)
        self.provider_secrets = ProviderSecretRepository(conn)
        self.provider_reviews = ProviderReviewRepository(conn)
        self.probes = ProbeRepository(conn)
        self.submissions = SubmissionRepository(conn)
        self.approvals = ApprovalRepository(conn)
        self.candidate_lists = CandidateListRepository(conn)
        self.candidates = CandidateRepository(conn)
        self.dispositions = DispositionRepository(conn)
        self.examinations = ExaminationRepository(conn)
        self.leads = LeadRepository(conn)
        self.corroborations = CorroborationRepository(conn)
        self.roi_entries = RoiEntryRepository(conn)
        self.shares = ShareRepository(conn)
        self.partner_searches = PartnerSearchRepository(conn)
        self.idempotency = IdempotencyKeyRepository(conn)


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[UnitOfWork]:
    """A transaction (committed on success, rolled back on error) with every repository."""
    with serialized_writes(engine), engine.begin() as conn:
        yield UnitOfWork(conn)


@contextmanager
def read_only(engine: Engine) -> Iterator[UnitOfWork]:
    """A transaction that only reads: one consistent snapshot, and no write lock taken, so
    readers never queue behind writers (SQLite WAL; PostgreSQL READ ONLY). Writing in it fails.
    """
    with engine.connect() as conn:
        conn = conn.execution_options(**{READ_ONLY: True})
        with conn.begin():
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            yield UnitOfWork(conn)


@contextmanager
def snapshot(engine: Engine) -> Iterator[UnitOfWork]:
    """A transaction that reads one consistent snapshot and may create temporary tables (a
    report copies the rows it reads many times into one, once), but writes no stored table:
    no write lock on SQLite (a deferred BEGIN; temporary tables live in a separate database),
    REPEATABLE READ on PostgreSQL, where a READ ONLY transaction could not create them."""
    with engine.connect() as conn:
        conn = conn.execution_options(**{READ_ONLY: True})
        with conn.begin():
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield UnitOfWork(conn)
