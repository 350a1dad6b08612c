"""Administration: the records an agency keeps to deploy FRS Gate without touching the database.

- `users`: office, e-mail, and the identity provider's (issuer, subject) for OIDC sign-in.
- `certifications.course_id`: the training system's course id (PALMS export, memo 4.A.3).
- `programs.registered_by`: who registered a program (never the approver of its assessment).
- `providers`: TLS settings, the API key's fingerprint and who registered the provider;
  `provider_secrets` holds the API key sealed under the key-encryption key, apart from the
  record; `provider_reviews` holds OSDM's structured reviews (memo 4.C.1-4.C.3, fn1).
- `case_supervisors`: a case's supervisors in order (memo 4.E.4), the first the lead; each
  existing case's supervisor becomes its lead. `cases.supervisor_id` stays, holding the lead:
  dropping it would rebuild `cases` on SQLite, which the foreign keys the engine enforces (and
  cannot switch off inside the migration's transaction) forbid while cases have submissions,
  and which would cascade the removal of their assignments.
- Role `metrics` (a monitoring system's account): the CHECK constraint on `user_roles.role`
  admits it.
- Review status `suspended` (pack rule `provider.suspended`): the CHECK constraints on
  `providers.review_status` and `submissions.provider_review_status_at_use` admit it.

Existing rows keep their meaning: new columns are NULL (or TLS verification on).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 17:05:31
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_REVIEW = "'unreviewed', 'pending', 'approved', 'not_approved'"
_NEW_REVIEW = "'unreviewed', 'pending', 'approved', 'not_approved', 'suspended'"
_OLD_ROLES = "'agent', 'supervisor', 'examiner', 'osdm', 'igp', 'opr', 'admin'"
_NEW_ROLES = "'agent', 'supervisor', 'examiner', 'osdm', 'igp', 'opr', 'admin', 'metrics'"


def _review_checks(values: str) -> None:
    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_providers_review_status"), type_="check")
        batch_op.create_check_constraint("review_status", f"review_status IN ({values})")
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f("ck_submissions_provider_review_status_at_use"), type_="check"
        )
        batch_op.create_check_constraint(
            "provider_review_status_at_use", f"provider_review_status_at_use IN ({values})"
        )


def _role_check(values: str) -> None:
    # The role `metrics`: a monitoring system's account, which reads the service metrics only.
    with op.batch_alter_table("user_roles", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_user_roles_role"), type_="check")
        batch_op.create_check_constraint("role", f"role IN ({values})")


def upgrade() -> None:
    op.create_table(
        "provider_reviews",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("decision", sa.String(length=12), nullable=False),
        sa.Column("reviewer_id", sa.String(length=64), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("capabilities", sa.Text(), nullable=False),
        sa.Column("match_types", sa.JSON(), nullable=False),
        sa.Column("candidate_cap", sa.Integer(), nullable=False),
        sa.Column("law_enforcement_use", sa.Boolean(), nullable=False),
        sa.Column("edited_probes_allowed", sa.Boolean(), nullable=False),
        sa.Column("terms_ref", sa.Text(), nullable=False),
        sa.Column("accuracy_evidence", sa.JSON(), nullable=False),
        sa.Column("demographic_differentials", sa.Text(), nullable=False),
        sa.Column("data_handling", sa.Text(), nullable=False),
        sa.Column("retention", sa.Text(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "decision IN ('unreviewed', 'pending', 'approved', 'not_approved', 'suspended')",
            name=op.f("ck_provider_reviews_decision"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_provider_reviews_provider_id_providers"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name=op.f("fk_provider_reviews_reviewer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_reviews")),
    )
    with op.batch_alter_table("provider_reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_provider_reviews_provider_id"), ["provider_id"], unique=False
        )

    op.create_table(
        "provider_secrets",
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("key_ref", sa.String(length=128), nullable=False),
        sa.Column("fingerprint", sa.String(length=16), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_provider_secrets_provider_id_providers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["set_by"], ["users.id"], name=op.f("fk_provider_secrets_set_by_users")
        ),
        sa.PrimaryKeyConstraint("provider_id", name=op.f("pk_provider_secrets")),
    )
    op.create_table(
        "case_supervisors",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_supervisors_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_case_supervisors_user_id_users")
        ),
        sa.PrimaryKeyConstraint("case_id", "user_id", name=op.f("pk_case_supervisors")),
    )
    with op.batch_alter_table("case_supervisors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_supervisors_user_id"), ["user_id"], unique=False)
    # Each case's one supervisor becomes its lead supervisor.
    op.execute(
        "INSERT INTO case_supervisors (case_id, user_id, position) "
        "SELECT id, supervisor_id, 0 FROM cases WHERE supervisor_id IS NOT NULL"
    )

    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("course_id", sa.String(length=64), nullable=True))

    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("registered_by", sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_programs_registered_by_users"), "users", ["registered_by"], ["id"]
        )

    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("tls_verify", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(sa.Column("tls_ca_bundle", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("tls_client_cert", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("tls_client_key", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("api_key_fingerprint", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("registered_by", sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_providers_registered_by_users"), "users", ["registered_by"], ["id"]
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("office", sa.String(length=256), nullable=True))
        batch_op.add_column(sa.Column("email", sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column("oidc_issuer", sa.String(length=512), nullable=True))
        batch_op.add_column(sa.Column("oidc_subject", sa.String(length=256), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_users_email"), ["email"])
        batch_op.create_unique_constraint(
            "uq_users_oidc_issuer_oidc_subject", ["oidc_issuer", "oidc_subject"]
        )

    _review_checks(_NEW_REVIEW)
    _role_check(_NEW_ROLES)


def downgrade() -> None:
    _role_check(_OLD_ROLES)
    _review_checks(_OLD_REVIEW)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("uq_users_oidc_issuer_oidc_subject", type_="unique")
        batch_op.drop_constraint(batch_op.f("uq_users_email"), type_="unique")
        batch_op.drop_column("oidc_subject")
        batch_op.drop_column("oidc_issuer")
        batch_op.drop_column("email")
        batch_op.drop_column("office")

    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_providers_registered_by_users"), type_="foreignkey")
        batch_op.drop_column("registered_by")
        batch_op.drop_column("api_key_fingerprint")
        batch_op.drop_column("tls_client_key")
        batch_op.drop_column("tls_client_cert")
        batch_op.drop_column("tls_ca_bundle")
        batch_op.drop_column("tls_verify")

    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_programs_registered_by_users"), type_="foreignkey")
        batch_op.drop_column("registered_by")

    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.drop_column("course_id")

    # `cases.supervisor_id` already holds each case's lead supervisor; the others go.
    with op.batch_alter_table("case_supervisors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_supervisors_user_id"))
    op.drop_table("case_supervisors")

    op.drop_table("provider_secrets")
    with op.batch_alter_table("provider_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_provider_reviews_provider_id"))

    op.drop_table("provider_reviews")
