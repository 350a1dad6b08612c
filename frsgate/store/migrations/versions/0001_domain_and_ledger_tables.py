"""Domain and ledger tables: the first schema of FRS Gate.

Revision ID: 0001
Revises:
Create Date: 2026-11-26 06:43:17.929279
"""

# ruff: noqa: E501 - generated; CHECK constraints list every enum value on one line

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_checkpoints",
        sa.Column(
            "tree_size",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tree_size", name=op.f("pk_ledger_checkpoints")),
    )
    op.create_table(
        "ledger_entries",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("entry", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_ledger_entries")),
    )
    op.create_table(
        "ledger_head",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_ledger_head_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_head")),
    )
    op.create_table(
        "ledger_nodes",
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("idx", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.CheckConstraint("level >= 1", name=op.f("ck_ledger_nodes_level_above_leaves")),
        sa.PrimaryKeyConstraint("level", "idx", name=op.f("pk_ledger_nodes")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("display_name", sa.String(length=256), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("supervisor_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('active', 'disabled')", name=op.f("ck_users_status")),
        sa.ForeignKeyConstraint(
            ["supervisor_id"], ["users.id"], name=op.f("fk_users_supervisor_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_supervisor_id"), ["supervisor_id"], unique=False)

    op.create_table(
        "cases",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=512), nullable=False),
        sa.Column("statutory_authority", sa.Text(), nullable=False),
        sa.Column("violation_codes", sa.JSON(), nullable=False),
        sa.Column("under_hsi_authority", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=6), nullable=False),
        sa.Column("supervisor_id", sa.String(length=64), nullable=True),
        sa.Column("opened_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_cases_status")),
        sa.ForeignKeyConstraint(["opened_by"], ["users.id"], name=op.f("fk_cases_opened_by_users")),
        sa.ForeignKeyConstraint(
            ["supervisor_id"], ["users.id"], name=op.f("fk_cases_supervisor_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("number", name=op.f("uq_cases_number")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_supervisor_id"), ["supervisor_id"], unique=False)

    op.create_table(
        "certifications",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("course", sa.Text(), nullable=False),
        sa.Column("palms_reference", sa.String(length=256), nullable=True),
        sa.Column("training_completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("best_practices_attested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("safeguards_attested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_certifications_recorded_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_certifications_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certifications")),
    )
    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_certifications_user_id"), ["user_id"], unique=False)

    op.create_table(
        "programs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("assessment_ref", sa.String(length=256), nullable=False),
        sa.Column("status", sa.String(length=18), nullable=False),
        sa.Column("assessment_approved_by", sa.String(length=64), nullable=True),
        sa.Column("assessment_approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('program', 'task_force')", name=op.f("ck_programs_kind")),
        sa.CheckConstraint(
            "status IN ('pending_assessment', 'assessed', 'retired')",
            name=op.f("ck_programs_status"),
        ),
        sa.ForeignKeyConstraint(
            ["assessment_approved_by"],
            ["users.id"],
            name=op.f("fk_programs_assessment_approved_by_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programs")),
        sa.UniqueConstraint("code", name=op.f("uq_programs_code")),
    )
    op.create_table(
        "providers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("kind", sa.String(length=7), nullable=False),
        sa.Column("base_url", sa.String(length=2048), nullable=True),
        sa.Column("match_types", sa.JSON(), nullable=False),
        sa.Column("candidate_cap", sa.Integer(), nullable=False),
        sa.Column("law_enforcement_use", sa.Boolean(), nullable=False),
        sa.Column("terms_ref", sa.Text(), nullable=False),
        sa.Column("review_status", sa.String(length=12), nullable=False),
        sa.Column("reviewed_by", sa.String(length=64), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('sandbox', 'http')", name=op.f("ck_providers_kind")),
        sa.CheckConstraint(
            "review_status IN ('unreviewed', 'pending', 'approved', 'not_approved')",
            name=op.f("ck_providers_review_status"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"], ["users.id"], name=op.f("fk_providers_reviewed_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_providers")),
        sa.UniqueConstraint("name", name=op.f("uq_providers_name")),
    )
    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_providers_review_status"), ["review_status"], unique=False
        )

    op.create_table(
        "user_roles",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.CheckConstraint(
            "role IN ('agent', 'supervisor', 'examiner', 'osdm', 'igp', 'opr', 'admin')",
            name=op.f("ck_user_roles_role"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_roles_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "role", name=op.f("pk_user_roles")),
    )
    with op.batch_alter_table("user_roles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_roles_role"), ["role"], unique=False)

    op.create_table(
        "approvals",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=22), nullable=False),
        sa.Column("subject_kind", sa.String(length=11), nullable=False),
        sa.Column("subject_id", sa.String(length=128), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=True),
        sa.Column("requester_id", sa.String(length=64), nullable=False),
        sa.Column("assigned_to", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=9), nullable=False),
        sa.Column("approver_id", sa.String(length=64), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('witness_probe', 'flagged_justification', 'exigent_provider', 'rate_limit_override', 'policy_pack_activation')",
            name=op.f("ck_approvals_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'denied', 'expired', 'withdrawn')",
            name=op.f("ck_approvals_status"),
        ),
        sa.CheckConstraint(
            "subject_kind IN ('probe', 'submission', 'policy_pack', 'user', 'case')",
            name=op.f("ck_approvals_subject_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["approver_id"], ["users.id"], name=op.f("fk_approvals_approver_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["assigned_to"], ["users.id"], name=op.f("fk_approvals_assigned_to_users")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_approvals_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["requester_id"], ["users.id"], name=op.f("fk_approvals_requester_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approvals")),
    )
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_approvals_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_approvals_requester_id"), ["requester_id"], unique=False
        )
        batch_op.create_index(
            "ix_approvals_status_assigned_to", ["status", "assigned_to"], unique=False
        )
        batch_op.create_index(
            "ix_approvals_subject_kind_subject_id", ["subject_kind", "subject_id"], unique=False
        )

    op.create_table(
        "case_assignments",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_assignments_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_case_assignments_user_id_users")
        ),
        sa.PrimaryKeyConstraint("case_id", "user_id", name=op.f("pk_case_assignments")),
    )
    with op.batch_alter_table("case_assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_assignments_user_id"), ["user_id"], unique=False)

    op.create_table(
        "probes",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("program_code", sa.String(length=64), nullable=True),
        sa.Column("submitted_by", sa.String(length=64), nullable=False),
        sa.Column("subject_role", sa.String(length=7), nullable=False),
        sa.Column("capture_source", sa.String(length=20), nullable=False),
        sa.Column("lawful_basis", sa.Text(), nullable=False),
        sa.Column("traditional_means", sa.Text(), nullable=False),
        sa.Column("other_methods_exhausted", sa.Text(), nullable=True),
        sa.Column("attestation", sa.Boolean(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("image_edit", sa.String(length=8), nullable=False),
        sa.Column("media_type", sa.String(length=64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("original_sha256", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "capture_source IN ('booking_photo', 'recorded_video_still', 'social_media', 'identity_document', 'other')",
            name=op.f("ck_probes_capture_source"),
        ),
        sa.CheckConstraint(
            "image_edit IN ('none', 'cropped', 'enhanced')", name=op.f("ck_probes_image_edit")
        ),
        sa.CheckConstraint(
            "status IN ('pending_approval', 'active', 'refused', 'purged')",
            name=op.f("ck_probes_status"),
        ),
        sa.CheckConstraint(
            "subject_role IN ('suspect', 'victim', 'witness')", name=op.f("ck_probes_subject_role")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_probes_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["program_code"], ["programs.code"], name=op.f("fk_probes_program_code_programs")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"], ["users.id"], name=op.f("fk_probes_submitted_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_probes")),
    )
    with op.batch_alter_table("probes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_probes_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_probes_sha256"), ["sha256"], unique=False)
        batch_op.create_index("ix_probes_status_created_at", ["status", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_probes_submitted_by"), ["submitted_by"], unique=False)

    op.create_table(
        "probe_images",
        sa.Column("probe_id", sa.String(length=64), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("key_ref", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["probe_id"],
            ["probes.id"],
            name=op.f("fk_probe_images_probe_id_probes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("probe_id", name=op.f("pk_probe_images")),
    )
    op.create_table(
        "submissions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("probe_id", sa.String(length=64), nullable=False),
        sa.Column("second_probe_id", sa.String(length=64), nullable=True),
        sa.Column("target_ref", sa.String(length=256), nullable=True),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("match_type", sa.String(length=40), nullable=False),
        sa.Column("program_code", sa.String(length=64), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("exigent", sa.Boolean(), nullable=False),
        sa.Column("exigent_reason", sa.Text(), nullable=True),
        sa.Column("max_candidates", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('requested', 'pending_approval', 'approved', 'denied', 'rejected', 'expired', 'withdrawn', 'dispatching', 'completed', 'failed', 'outcome_unknown', 'outcome_reviewed')",
            name=op.f("ck_submissions_status"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_submissions_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["probe_id"], ["probes.id"], name=op.f("fk_submissions_probe_id_probes")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_submissions_provider_id_providers")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_submissions_requested_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["second_probe_id"], ["probes.id"], name=op.f("fk_submissions_second_probe_id_probes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_submissions_idempotency_key")),
    )
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_submissions_case_id_created_at", ["case_id", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_submissions_probe_id"), ["probe_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_submissions_provider_id"), ["provider_id"], unique=False
        )
        batch_op.create_index(
            "ix_submissions_requested_by_created_at", ["requested_by", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_submissions_status"), ["status"], unique=False)

    op.create_table(
        "candidate_lists",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("submission_id", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("match_type", sa.String(length=40), nullable=False),
        sa.Column("database", sa.String(length=256), nullable=True),
        sa.Column("comparison_score", sa.Float(), nullable=True),
        sa.Column("sandbox", sa.Boolean(), nullable=False),
        sa.Column("provider_notice", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by", sa.String(length=64), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('received', 'reviewed', 'purged')", name=op.f("ck_candidate_lists_status")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_candidate_lists_provider_id_providers")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"], ["users.id"], name=op.f("fk_candidate_lists_reviewed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_candidate_lists_submission_id_submissions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidate_lists")),
        sa.UniqueConstraint("submission_id", name=op.f("uq_candidate_lists_submission_id")),
    )
    with op.batch_alter_table("candidate_lists", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_candidate_lists_status"), ["status"], unique=False)

    op.create_table(
        "candidates",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("candidate_list_id", sa.String(length=64), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("gallery_ref", sa.String(length=256), nullable=False),
        sa.Column("source_database", sa.String(length=256), nullable=False),
        sa.Column("image_sha256", sa.String(length=64), nullable=True),
        sa.Column("media_type", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["candidate_list_id"],
            ["candidate_lists.id"],
            name=op.f("fk_candidates_candidate_list_id_candidate_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidates")),
        sa.UniqueConstraint(
            "candidate_list_id", "rank", name="uq_candidates_candidate_list_id_rank"
        ),
    )
    op.create_table(
        "candidate_images",
        sa.Column("candidate_id", sa.String(length=64), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("key_ref", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
            name=op.f("fk_candidate_images_candidate_id_candidates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("candidate_id", name=op.f("pk_candidate_images")),
    )
    op.create_table(
        "dispositions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("candidate_id", sa.String(length=64), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=19), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("traditional_means_compared", sa.Text(), nullable=True),
        sa.Column("supersedes_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('no_match', 'possible_match_lead', 'inconclusive')",
            name=op.f("ck_dispositions_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
            name=op.f("fk_dispositions_candidate_id_candidates"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_dispositions_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["dispositions.id"],
            name=op.f("fk_dispositions_supersedes_id_dispositions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispositions")),
    )
    with op.batch_alter_table("dispositions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dispositions_candidate_id"), ["candidate_id"], unique=False
        )

    op.create_table(
        "examinations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("candidate_id", sa.String(length=64), nullable=False),
        sa.Column("examiner_id", sa.String(length=64), nullable=False),
        sa.Column("conclusion", sa.String(length=25), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "conclusion IN ('supports_same_source', 'inconclusive', 'supports_different_source')",
            name=op.f("ck_examinations_conclusion"),
        ),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
            name=op.f("fk_examinations_candidate_id_candidates"),
        ),
        sa.ForeignKeyConstraint(
            ["examiner_id"], ["users.id"], name=op.f("fk_examinations_examiner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_examinations")),
    )
    with op.batch_alter_table("examinations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_examinations_candidate_id"), ["candidate_id"], unique=False
        )

    op.create_table(
        "leads",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("candidate_id", sa.String(length=64), nullable=False),
        sa.Column("disposition_id", sa.String(length=64), nullable=False),
        sa.Column("opened_by", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=17), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("corroborated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("enforcement_basis_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("enforcement_note", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("close_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'corroborated', 'enforcement_basis', 'closed')",
            name=op.f("ck_leads_status"),
        ),
        sa.ForeignKeyConstraint(
            ["candidate_id"], ["candidates.id"], name=op.f("fk_leads_candidate_id_candidates")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_leads_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["disposition_id"],
            ["dispositions.id"],
            name=op.f("fk_leads_disposition_id_dispositions"),
        ),
        sa.ForeignKeyConstraint(["opened_by"], ["users.id"], name=op.f("fk_leads_opened_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
    )
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_leads_case_id"), ["case_id"], unique=False)

    op.create_table(
        "corroborations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("lead_id", sa.String(length=64), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=256), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("independent_of_frs", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_corroborations_lead_id_leads")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_corroborations_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corroborations")),
    )
    with op.batch_alter_table("corroborations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_corroborations_lead_id"), ["lead_id"], unique=False)

    op.create_table(
        "roi_entries",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("submission_id", sa.String(length=64), nullable=False),
        sa.Column("candidate_list_id", sa.String(length=64), nullable=True),
        sa.Column("lead_id", sa.String(length=64), nullable=True),
        sa.Column("author_id", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=5), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'filed')", name=op.f("ck_roi_entries_status")),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_roi_entries_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["candidate_list_id"],
            ["candidate_lists.id"],
            name=op.f("fk_roi_entries_candidate_list_id_candidate_lists"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_roi_entries_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_roi_entries_lead_id_leads")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_roi_entries_submission_id_submissions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roi_entries")),
    )
    with op.batch_alter_table("roi_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roi_entries_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_roi_entries_submission_id"), ["submission_id"], unique=False
        )

    op.create_table(
        "shares",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("lead_id", sa.String(length=64), nullable=True),
        sa.Column("submission_id", sa.String(length=64), nullable=True),
        sa.Column("shared_by", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=256), nullable=False),
        sa.Column("authority_kind", sa.String(length=10), nullable=False),
        sa.Column("authority", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "authority_kind IN ('statute', 'regulation', 'agreement')",
            name=op.f("ck_shares_authority_kind"),
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_shares_case_id_cases")),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_shares_lead_id_leads")),
        sa.ForeignKeyConstraint(
            ["shared_by"], ["users.id"], name=op.f("fk_shares_shared_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submissions.id"], name=op.f("fk_shares_submission_id_submissions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shares")),
    )
    with op.batch_alter_table("shares", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shares_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("shares", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shares_case_id"))

    op.drop_table("shares")
    with op.batch_alter_table("roi_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roi_entries_submission_id"))
        batch_op.drop_index(batch_op.f("ix_roi_entries_case_id"))

    op.drop_table("roi_entries")
    with op.batch_alter_table("corroborations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_corroborations_lead_id"))

    op.drop_table("corroborations")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leads_case_id"))

    op.drop_table("leads")
    with op.batch_alter_table("examinations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_examinations_candidate_id"))

    op.drop_table("examinations")
    with op.batch_alter_table("dispositions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispositions_candidate_id"))

    op.drop_table("dispositions")
    op.drop_table("candidate_images")
    op.drop_table("candidates")
    with op.batch_alter_table("candidate_lists", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_candidate_lists_status"))

    op.drop_table("candidate_lists")
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submissions_status"))
        batch_op.drop_index("ix_submissions_requested_by_created_at")
        batch_op.drop_index(batch_op.f("ix_submissions_provider_id"))
        batch_op.drop_index(batch_op.f("ix_submissions_probe_id"))
        batch_op.drop_index("ix_submissions_case_id_created_at")

    op.drop_table("submissions")
    op.drop_table("probe_images")
    with op.batch_alter_table("probes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_probes_submitted_by"))
        batch_op.drop_index("ix_probes_status_created_at")
        batch_op.drop_index(batch_op.f("ix_probes_sha256"))
        batch_op.drop_index(batch_op.f("ix_probes_case_id"))

    op.drop_table("probes")
    with op.batch_alter_table("case_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_assignments_user_id"))

    op.drop_table("case_assignments")
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.drop_index("ix_approvals_subject_kind_subject_id")
        batch_op.drop_index("ix_approvals_status_assigned_to")
        batch_op.drop_index(batch_op.f("ix_approvals_requester_id"))
        batch_op.drop_index(batch_op.f("ix_approvals_case_id"))

    op.drop_table("approvals")
    with op.batch_alter_table("user_roles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_roles_role"))

    op.drop_table("user_roles")
    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_providers_review_status"))

    op.drop_table("providers")
    op.drop_table("programs")
    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certifications_user_id"))

    op.drop_table("certifications")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_supervisor_id"))
        batch_op.drop_index(batch_op.f("ix_cases_status"))

    op.drop_table("cases")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_supervisor_id"))

    op.drop_table("users")
    op.drop_table("ledger_nodes")
    op.drop_table("ledger_head")
    op.drop_table("ledger_entries")
    op.drop_table("ledger_checkpoints")
