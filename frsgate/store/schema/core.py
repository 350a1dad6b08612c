"""Tables of the domain entities (users, cases, providers, probes, submissions...).

One table per entity of `frsgate.domain`, with column names equal to the entity's field names
so the repositories map them one to one. Enum values are checked by the database as well, and
image bytes live in their own tables (`probe_images`, `candidate_images`) so that listing
probes or candidates never loads a blob. Indexes follow the queries the services make: cases
assigned to a user, pending approvals for an approver, submissions of a case or a user since a
time (rate limits), dispatch intents without an outcome.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)

from frsgate.domain import (
    ApprovalKind,
    ApprovalStatus,
    ApprovalSubject,
    CandidateListStatus,
    CaptureSource,
    CaseStatus,
    DispositionKind,
    ExaminationConclusion,
    ImageEdit,
    LeadStatus,
    PartnerResult,
    ProbeStatus,
    ProgramKind,
    ProgramStatus,
    ProviderKind,
    ReviewStatus,
    RoiStatus,
    Role,
    ShareAuthorityKind,
    SubjectRole,
    SubmissionStatus,
    UserStatus,
)
from frsgate.store.schema.base import metadata
from frsgate.store.schema.types import ID_LENGTH, UtcDateTime, enum_check, enum_string


def _id() -> Column[str]:
    return Column("id", String(ID_LENGTH), primary_key=True)


def _ref(name: str, target: str, *, nullable: bool = False, index: bool = False) -> Column[str]:
    """A reference to another table's id."""
    return Column(name, String(ID_LENGTH), ForeignKey(target), nullable=nullable, index=index)


def _user(name: str, *, nullable: bool = False, index: bool = False) -> Column[str]:
    return _ref(name, "users.id", nullable=nullable, index=index)


def _at(name: str, *, nullable: bool = False) -> Column[object]:
    return Column(name, UtcDateTime(), nullable=nullable)


SHA256_HEX = String(64)
MATCH_TYPE = String(40)

# --- people --------------------------------------------------------------------------------

users = Table(
    "users",
    metadata,
    _id(),
    Column("username", String(128), nullable=False, unique=True),
    Column("display_name", String(256), nullable=False),
    Column("status", enum_string(UserStatus), nullable=False),
    _user("supervisor_id", nullable=True, index=True),
    Column("office", String(256), nullable=True),
    Column("email", String(320), nullable=True, unique=True),
    Column("oidc_issuer", String(512), nullable=True),
    Column("oidc_subject", String(256), nullable=True),
    _at("created_at"),
    enum_check("status", UserStatus),
    UniqueConstraint("oidc_issuer", "oidc_subject", name="uq_users_oidc_issuer_oidc_subject"),
)

user_roles = Table(
    "user_roles",
    metadata,
    Column(
        "user_id", String(ID_LENGTH), ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    ),
    Column("role", enum_string(Role), nullable=False, index=True),
    PrimaryKeyConstraint("user_id", "role"),
    enum_check("role", Role),
)

certifications = Table(
    "certifications",
    metadata,
    _id(),
    _user("user_id", index=True),
    Column("course", Text, nullable=False),
    Column("course_id", String(64), nullable=True),
    Column("palms_reference", String(256), nullable=True),
    _at("training_completed_at", nullable=True),
    _at("best_practices_attested_at", nullable=True),
    _at("safeguards_attested_at", nullable=True),
    _at("expires_at"),
    _at("recorded_at"),
    _user("recorded_by", nullable=True),
)

# --- cases and programs --------------------------------------------------------------------

programs = Table(
    "programs",
    metadata,
    _id(),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(256), nullable=False),
    Column("kind", enum_string(ProgramKind), nullable=False),
    Column("assessment_ref", String(256), nullable=False),
    Column("status", enum_string(ProgramStatus), nullable=False),
    _user("assessment_approved_by", nullable=True),
    _at("assessment_approved_at", nullable=True),
    Column("use_without_case", Boolean, nullable=False, server_default=false()),
    _user("supervisor_id", nullable=True, index=True),
    _user("registered_by", nullable=True),
    _at("created_at"),
    enum_check("kind", ProgramKind),
    enum_check("status", ProgramStatus),
)

cases = Table(
    "cases",
    metadata,
    _id(),
    Column("number", String(64), nullable=False, unique=True),
    Column("title", String(512), nullable=False),
    Column("statutory_authority", Text, nullable=False),
    Column("violation_codes", JSON, nullable=False),
    Column("under_hsi_authority", Boolean, nullable=False),
    Column("status", enum_string(CaseStatus), nullable=False, index=True),
    # The lead supervisor (position 0 of `case_supervisors`), written with it on every save:
    # what a case's supervisor meant before cases had several, so readers of the table keep it.
    _user("supervisor_id", nullable=True, index=True),
    _user("opened_by"),
    _at("created_at"),
    _at("closed_at", nullable=True),
    enum_check("status", CaseStatus),
)

case_assignments = Table(
    "case_assignments",
    metadata,
    Column(
        "case_id", String(ID_LENGTH), ForeignKey("cases.id", ondelete="CASCADE"), nullable=False
    ),
    _user("user_id", index=True),
    Column("position", Integer, nullable=False),  # keeps the order users were assigned in
    PrimaryKeyConstraint("case_id", "user_id"),
)

# memo 4.E.4: a case's supervisors, in order (the first is the lead supervisor).
case_supervisors = Table(
    "case_supervisors",
    metadata,
    Column(
        "case_id", String(ID_LENGTH), ForeignKey("cases.id", ondelete="CASCADE"), nullable=False
    ),
    _user("user_id", index=True),
    Column("position", Integer, nullable=False),  # 0 is the lead supervisor
    PrimaryKeyConstraint("case_id", "user_id"),
)

frs_program_codes = Table(
    "frs_program_codes",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("description", Text, nullable=False),
    Column("established_by", String(ID_LENGTH), nullable=False),
    _at("valid_from"),
    _at("valid_until", nullable=True),
    _at("created_at"),
)

program_members = Table(
    "program_members",
    metadata,
    Column(
        "program_id",
        String(ID_LENGTH),
        ForeignKey("programs.id", ondelete="CASCADE"),
        nullable=False,
    ),
    _user("user_id", index=True),
    Column("position", Integer, nullable=False),  # keeps the order members were added in
    PrimaryKeyConstraint("program_id", "user_id"),
)

# --- providers -----------------------------------------------------------------------------

providers = Table(
    "providers",
    metadata,
    _id(),
    Column("name", String(256), nullable=False, unique=True),
    Column("kind", enum_string(ProviderKind), nullable=False),
    Column("base_url", String(2048), nullable=True),
    # TLS to an http provider (ProviderTls): verification on unless turned off on purpose.
    Column("tls_verify", Boolean, nullable=False, server_default=true()),
    Column("tls_ca_bundle", Text, nullable=True),
    Column("tls_client_cert", Text, nullable=True),
    Column("tls_client_key", Text, nullable=True),
    Column("api_key_fingerprint", String(16), nullable=True),
    _user("registered_by", nullable=True),
    # The terms (memo 4.C.4), flattened: match_types, candidate_cap, law_enforcement_use, ref.
    Column("match_types", JSON, nullable=False),
    Column("candidate_cap", Integer, nullable=False),
    Column("law_enforcement_use", Boolean, nullable=False),
    Column("terms_ref", Text, nullable=False),
    Column("edited_probes_allowed", Boolean, nullable=False, server_default=false()),
    Column("review_status", enum_string(ReviewStatus), nullable=False, index=True),
    _user("reviewed_by", nullable=True),
    _at("reviewed_at", nullable=True),
    Column("review_note", Text, nullable=True),
    _at("created_at"),
    enum_check("kind", ProviderKind),
    enum_check("review_status", ReviewStatus),
)

# A provider's API key, sealed under the vault's key-encryption key (AES-256-GCM, bound to the
# provider's id); kept apart from the provider's record so no read of the record carries it.
provider_secrets = Table(
    "provider_secrets",
    metadata,
    Column(
        "provider_id",
        String(ID_LENGTH),
        ForeignKey("providers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("sealed", LargeBinary, nullable=False),
    Column("key_ref", String(128), nullable=False),
    Column("fingerprint", String(16), nullable=False),
    _at("set_at"),
    _user("set_by", nullable=True),
)

# OSDM's structured review of a provider (memo 4.C.1-4.C.3, fn1): one row per decision.
provider_reviews = Table(
    "provider_reviews",
    metadata,
    _id(),
    Column(
        "provider_id", String(ID_LENGTH), ForeignKey("providers.id"), nullable=False, index=True
    ),
    Column("decision", enum_string(ReviewStatus), nullable=False),
    _user("reviewer_id"),
    _at("decided_at"),
    Column("capabilities", Text, nullable=False),
    Column("match_types", JSON, nullable=False),
    Column("candidate_cap", Integer, nullable=False),
    Column("law_enforcement_use", Boolean, nullable=False),
    Column("edited_probes_allowed", Boolean, nullable=False),
    Column("terms_ref", Text, nullable=False),
    Column("accuracy_evidence", JSON, nullable=False),
    Column("demographic_differentials", Text, nullable=False),
    Column("data_handling", Text, nullable=False),
    Column("retention", Text, nullable=False),
    Column("rationale", Text, nullable=False),
    enum_check("decision", ReviewStatus),
)

# --- probes --------------------------------------------------------------------------------

probes = Table(
    "probes",
    metadata,
    _id(),
    _ref("case_id", "cases.id", nullable=True, index=True),
    Column("program_code", String(64), ForeignKey("programs.code"), nullable=True),
    _user("submitted_by", index=True),
    Column("subject_role", enum_string(SubjectRole), nullable=False),
    Column("capture_source", enum_string(CaptureSource), nullable=False),
    Column("lawful_basis", Text, nullable=False),
    Column("traditional_means", Text, nullable=False),
    Column("other_methods_exhausted", Text, nullable=True),
    Column("attestation", Boolean, nullable=False),
    Column("justification", Text, nullable=False),
    Column("image_edit", enum_string(ImageEdit), nullable=False),
    Column("media_type", String(64), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("original_sha256", SHA256_HEX, nullable=False),
    Column("sha256", SHA256_HEX, nullable=False, index=True),
    Column("status", enum_string(ProbeStatus), nullable=False),
    _at("created_at"),
    _at("purged_at", nullable=True),
    enum_check("subject_role", SubjectRole),
    enum_check("capture_source", CaptureSource),
    enum_check("image_edit", ImageEdit),
    enum_check("status", ProbeStatus),
    Index("ix_probes_status_created_at", "status", "created_at"),
)

probe_images = Table(
    "probe_images",
    metadata,
    Column(
        "probe_id",
        String(ID_LENGTH),
        ForeignKey("probes.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("sealed", LargeBinary, nullable=False),
    Column("key_ref", String(128), nullable=False),
)

# --- submissions and approvals -------------------------------------------------------------

submissions = Table(
    "submissions",
    metadata,
    _id(),
    _ref("case_id", "cases.id", nullable=True),
    _ref("probe_id", "probes.id", index=True),
    _ref("second_probe_id", "probes.id", nullable=True, index=True),
    Column("target_ref", String(256), nullable=True),
    _ref("provider_id", "providers.id", index=True),
    Column("match_type", MATCH_TYPE, nullable=False),
    Column("program_code", String(64), nullable=False),
    Column("justification", Text, nullable=False),
    _user("requested_by"),
    Column("status", enum_string(SubmissionStatus), nullable=False, index=True),
    Column("exigent", Boolean, nullable=False),
    Column("exigent_reason", Text, nullable=True),
    Column("impracticable_reason", Text, nullable=True),
    Column("provider_review_status_at_use", enum_string(ReviewStatus), nullable=True),
    Column("max_candidates", Integer, nullable=True),
    Column("idempotency_key", String(128), nullable=True, unique=True),
    Column("attempts", Integer, nullable=False),
    Column("status_reason", Text, nullable=True),
    _at("created_at"),
    _at("decided_at", nullable=True),
    _at("dispatched_at", nullable=True),
    _at("finished_at", nullable=True),
    enum_check("status", SubmissionStatus),
    enum_check("provider_review_status_at_use", ReviewStatus),
    # Rate limits count a user's or a case's submissions since a time.
    Index("ix_submissions_requested_by_created_at", "requested_by", "created_at"),
    Index("ix_submissions_case_id_created_at", "case_id", "created_at"),
)

approvals = Table(
    "approvals",
    metadata,
    _id(),
    Column("kind", enum_string(ApprovalKind), nullable=False),
    Column("subject_kind", enum_string(ApprovalSubject), nullable=False),
    Column("subject_id", String(128), nullable=False),
    _ref("case_id", "cases.id", nullable=True, index=True),
    _ref("program_id", "programs.id", nullable=True, index=True),
    _user("requester_id", index=True),
    _user("assigned_to", nullable=True),
    Column("reason", Text, nullable=False),
    Column("status", enum_string(ApprovalStatus), nullable=False),
    _user("approver_id", nullable=True),
    Column("decision_note", Text, nullable=True),
    _at("requested_at"),
    _at("deadline", nullable=True),
    _at("decided_at", nullable=True),
    enum_check("kind", ApprovalKind),
    enum_check("subject_kind", ApprovalSubject),
    enum_check("status", ApprovalStatus),
    Index("ix_approvals_status_assigned_to", "status", "assigned_to"),
    Index("ix_approvals_subject_kind_subject_id", "subject_kind", "subject_id"),
)

# --- results -------------------------------------------------------------------------------

candidate_lists = Table(
    "candidate_lists",
    metadata,
    _id(),
    Column(
        "submission_id",
        String(ID_LENGTH),
        ForeignKey("submissions.id"),
        nullable=False,
        unique=True,
    ),
    _ref("provider_id", "providers.id"),
    Column("match_type", MATCH_TYPE, nullable=False),
    Column("database", String(256), nullable=True),
    Column("comparison_score", Float, nullable=True),
    Column("sandbox", Boolean, nullable=False),
    Column("provider_notice", Text, nullable=True),
    Column("status", enum_string(CandidateListStatus), nullable=False, index=True),
    _at("received_at"),
    _user("reviewed_by", nullable=True),
    _at("reviewed_at", nullable=True),
    _at("purged_at", nullable=True),
    enum_check("status", CandidateListStatus),
)

candidates = Table(
    "candidates",
    metadata,
    _id(),
    Column(
        "candidate_list_id",
        String(ID_LENGTH),
        ForeignKey("candidate_lists.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("rank", Integer, nullable=False),
    Column("score", Float, nullable=False),
    Column("gallery_ref", String(256), nullable=False),
    Column("source_database", String(256), nullable=False),
    Column("image_sha256", SHA256_HEX, nullable=True),
    Column("media_type", String(64), nullable=True),
    Column("photo_taken_on", Date, nullable=True),
    UniqueConstraint("candidate_list_id", "rank", name="uq_candidates_candidate_list_id_rank"),
)

candidate_images = Table(
    "candidate_images",
    metadata,
    Column(
        "candidate_id",
        String(ID_LENGTH),
        ForeignKey("candidates.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("sealed", LargeBinary, nullable=False),
    Column("key_ref", String(128), nullable=False),
)

dispositions = Table(
    "dispositions",
    metadata,
    _id(),
    _ref("candidate_id", "candidates.id", index=True),
    _user("decided_by"),
    Column("kind", enum_string(DispositionKind), nullable=False),
    Column("rationale", Text, nullable=False),
    Column("traditional_means_compared", Text, nullable=True),
    _ref("supersedes_id", "dispositions.id", nullable=True),
    _at("created_at"),
    _user("verified_by", nullable=True),
    _at("verified_at", nullable=True),
    Column("verification_note", Text, nullable=True),
    enum_check("kind", DispositionKind),
)

examinations = Table(
    "examinations",
    metadata,
    _id(),
    _ref("candidate_id", "candidates.id", index=True),
    _user("examiner_id"),
    Column("conclusion", enum_string(ExaminationConclusion), nullable=False),
    Column("method", Text, nullable=False),
    Column("limitations", Text, nullable=False),
    Column("notes", Text, nullable=True),
    _at("created_at"),
    enum_check("conclusion", ExaminationConclusion),
)

# --- leads, reports, shares ----------------------------------------------------------------

leads = Table(
    "leads",
    metadata,
    _id(),
    _ref("case_id", "cases.id", index=True),
    _ref("submission_id", "submissions.id", index=True),
    _ref("candidate_id", "candidates.id"),
    _ref("disposition_id", "dispositions.id", index=True),
    _user("opened_by"),
    Column("summary", Text, nullable=False),
    Column("status", enum_string(LeadStatus), nullable=False),
    _at("created_at"),
    _at("corroborated_at", nullable=True),
    _at("enforcement_basis_at", nullable=True),
    _user("enforcement_marked_by", nullable=True),
    Column("enforcement_note", Text, nullable=True),
    _at("closed_at", nullable=True),
    _user("closed_by", nullable=True),
    Column("close_reason", Text, nullable=True),
    enum_check("status", LeadStatus),
)

corroborations = Table(
    "corroborations",
    metadata,
    _id(),
    _ref("lead_id", "leads.id", index=True),
    _user("recorded_by"),
    Column("kind", String(64), nullable=False),
    Column("source", String(256), nullable=False),
    Column("description", Text, nullable=False),
    Column("obtained_by", String(256), nullable=False),
    Column("obtained_on", Date, nullable=True),
    # Derived from `kind` (memo 4.D.3), kept as a column so queries and audits read it plainly.
    Column("independent_of_frs", Boolean, nullable=False),
    _at("created_at"),
)

roi_entries = Table(
    "roi_entries",
    metadata,
    _id(),
    _ref("case_id", "cases.id", index=True),
    _ref("submission_id", "submissions.id", index=True),
    _ref("candidate_list_id", "candidate_lists.id", nullable=True),
    _ref("lead_id", "leads.id", nullable=True),
    _user("author_id"),
    Column("body", Text, nullable=False),
    Column("status", enum_string(RoiStatus), nullable=False),
    _at("created_at"),
    _at("filed_at", nullable=True),
    _user("filed_by", nullable=True),
    Column("case_system_ref", String(128), nullable=True),
    Column("body_sha256", SHA256_HEX, nullable=True),
    enum_check("status", RoiStatus),
)

shares = Table(
    "shares",
    metadata,
    _id(),
    _ref("case_id", "cases.id", index=True),
    _ref("lead_id", "leads.id", nullable=True),
    _ref("submission_id", "submissions.id", nullable=True),
    _user("shared_by"),
    Column("recipient", String(256), nullable=False),
    Column("authority_kind", enum_string(ShareAuthorityKind), nullable=False),
    Column("authority", Text, nullable=False),
    Column("description", Text, nullable=False),
    _at("created_at"),
    enum_check("authority_kind", ShareAuthorityKind),
)

# memo 4.E.1: a search a partner agency ran for one of our cases, logged like our own.
partner_searches = Table(
    "partner_searches",
    metadata,
    _id(),
    _ref("case_id", "cases.id", index=True),
    _user("recorded_by"),
    Column("partner_agency", String(256), nullable=False),
    Column("partner_system", String(256), nullable=False),
    Column("searched_on", Date, nullable=False),
    Column("match_type", String(32), nullable=True),
    Column("result", enum_string(PartnerResult), nullable=False),
    Column("candidate_count", Integer, nullable=True),
    Column("summary", Text, nullable=False),
    Column("probe_sha256", SHA256_HEX, nullable=True),
    _at("created_at"),
    enum_check("result", PartnerResult),
    CheckConstraint("candidate_count IS NULL OR candidate_count >= 0", name="candidate_count"),
)

# --- client idempotency keys ---------------------------------------------------------------

# Not a domain entity: the edge's record of a client's `Idempotency-Key` on an act, so a retried
# request answers the first response instead of acting twice. A row without a status code is
# a claim in progress; the check keeps "completed" all-or-nothing.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    _user("user_id"),
    Column("route", String(64), nullable=False),
    Column("key", String(128), nullable=False),
    Column("request_sha256", SHA256_HEX, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("response", Text, nullable=True),  # the response body as JSON text
    _at("created_at"),
    _at("completed_at", nullable=True),
    PrimaryKeyConstraint("user_id", "route", "key"),
    CheckConstraint(
        "(status_code IS NULL AND response IS NULL AND completed_at IS NULL) OR "
        "(status_code IS NOT NULL AND response IS NOT NULL AND completed_at IS NOT NULL)",
        name="completed",
    ),
)
