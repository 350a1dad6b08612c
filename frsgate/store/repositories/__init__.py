"""Typed repositories over one `Connection`, one module per area of the domain."""

from frsgate.store.repositories.approvals import ApprovalRepository
from frsgate.store.repositories.cases import (
    CaseRepository,
    FrsProgramCodeRepository,
    ProgramRepository,
)
from frsgate.store.repositories.idempotency import IdempotencyKeyRepository
from frsgate.store.repositories.leads import (
    CorroborationRepository,
    LeadRepository,
    PartnerSearchRepository,
    RoiEntryRepository,
    ShareRepository,
)
from frsgate.store.repositories.people import CertificationRepository, UserRepository
from frsgate.store.repositories.probes import ProbeRepository
from frsgate.store.repositories.providers import (
    ProviderRepository,
    ProviderReviewRepository,
    ProviderSecretRepository,
    SealedSecret,
)
from frsgate.store.repositories.results import (
    CandidateListRepository,
    CandidateRepository,
    DispositionRepository,
    ExaminationRepository,
)
from frsgate.store.repositories.submissions import SubmissionRepository

__all__ = [
    "ApprovalRepository",
    "CandidateListRepository",
    "CandidateRepository",
    "CaseRepository",
    "CertificationRepository",
    "CorroborationRepository",
    "DispositionRepository",
    "ExaminationRepository",
    "FrsProgramCodeRepository",
    "IdempotencyKeyRepository",
    "LeadRepository",
    "PartnerSearchRepository",
    "ProbeRepository",
    "ProgramRepository",
    "ProviderRepository",
    "ProviderReviewRepository",
    "ProviderSecretRepository",
    "RoiEntryRepository",
    "SealedSecret",
    "ShareRepository",
    "SubmissionRepository",
    "UserRepository",
]
