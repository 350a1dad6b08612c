"""From candidate to lead: the records of memo 4.D.1-4.D.3 and 4.E.1-4.E.2.

- `candidates.photo_taken_on`: when the gallery photo was taken, if the FRS says (review flags).
- `dispositions.verified_by`, `verified_at`, `verification_note`: a second reviewer's check.
- `examinations.limitations`: what limits the examiner's comparison. Existing examinations get
  a sentence saying it was not recorded (the model requires the text).
- `leads`: status `open` is now `investigative_lead` (memo 4.D.3: all a possible match is);
  `submission_id` (filled for existing leads from their candidate's list), and who marked a
  lead as an enforcement basis (`enforcement_marked_by`) or closed it (`closed_by`).
- `corroborations.kind`, `obtained_by`, `obtained_on`: existing rows become kind `other`, or
  `frs_result` where they were recorded as not independent of the FRS (so
  `independent_of_frs` keeps its value), obtained by the user who recorded them.
- `roi_entries.filed_by`, `case_system_ref`, `body_sha256`: who filed an entry, its reference in
  the case management system and the SHA-256 of the filed text (filled for entries already
  filed).
- `partner_searches`: searches a partner agency ran for a case (memo 4.E.1).

Going back to 0005 drops the new columns and table and turns `investigative_lead` back into
`open`.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-09 09:00:00
"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_LEAD = "'open', 'corroborated', 'enforcement_basis', 'closed'"
_NEW_LEAD = "'investigative_lead', 'corroborated', 'enforcement_basis', 'closed'"
_UNRECORDED_LIMITATIONS = (
    "Not recorded: this examination was recorded before FRS Gate asked for its limitations."
)

_leads = sa.table(
    "leads",
    sa.column("id", sa.String),
    sa.column("status", sa.String),
    sa.column("candidate_id", sa.String),
    sa.column("submission_id", sa.String),
)
_candidates = sa.table(
    "candidates", sa.column("id", sa.String), sa.column("candidate_list_id", sa.String)
)
_lists = sa.table(
    "candidate_lists", sa.column("id", sa.String), sa.column("submission_id", sa.String)
)
_examinations = sa.table("examinations", sa.column("limitations", sa.Text))
_corroborations = sa.table(
    "corroborations",
    sa.column("kind", sa.String),
    sa.column("obtained_by", sa.String),
    sa.column("recorded_by", sa.String),
    sa.column("independent_of_frs", sa.Boolean),
)
_users = sa.table("users", sa.column("id", sa.String), sa.column("display_name", sa.String))
_roi = sa.table(
    "roi_entries",
    sa.column("id", sa.String),
    sa.column("body", sa.Text),
    sa.column("status", sa.String),
    sa.column("body_sha256", sa.String),
)


def _lead_status(old: str, new: str) -> None:
    op.execute(_leads.update().where(_leads.c.status == old).values(status=new))


def upgrade() -> None:
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("photo_taken_on", sa.Date(), nullable=True))

    with op.batch_alter_table("dispositions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("verified_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("verification_note", sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_dispositions_verified_by_users"), "users", ["verified_by"], ["id"]
        )

    # The default only carries existing rows through; the model requires the text.
    with op.batch_alter_table("examinations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("limitations", sa.Text(), server_default="", nullable=False))
    op.execute(_examinations.update().values(limitations=_UNRECORDED_LIMITATIONS))
    with op.batch_alter_table("examinations", schema=None) as batch_op:
        batch_op.alter_column("limitations", server_default=None)

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_leads_status"), type_="check")
        batch_op.alter_column(
            "status", existing_type=sa.String(length=17), type_=sa.String(length=18)
        )
        batch_op.add_column(sa.Column("submission_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("enforcement_marked_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("closed_by", sa.String(length=64), nullable=True))
    _lead_status("open", "investigative_lead")
    # Each existing lead's submission is the one whose candidate list holds its candidate.
    submission_of_lead = (
        sa.select(_lists.c.submission_id)
        .select_from(_candidates.join(_lists, _candidates.c.candidate_list_id == _lists.c.id))
        .where(_candidates.c.id == _leads.c.candidate_id)
        .scalar_subquery()
    )
    op.execute(_leads.update().values(submission_id=submission_of_lead))
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.alter_column("submission_id", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_check_constraint("status", f"status IN ({_NEW_LEAD})")
        batch_op.create_foreign_key(
            batch_op.f("fk_leads_submission_id_submissions"),
            "submissions",
            ["submission_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_leads_enforcement_marked_by_users"),
            "users",
            ["enforcement_marked_by"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_leads_closed_by_users"), "users", ["closed_by"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_leads_submission_id"), ["submission_id"])
        batch_op.create_index(batch_op.f("ix_leads_disposition_id"), ["disposition_id"])

    with op.batch_alter_table("corroborations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=64), server_default="other", nullable=False)
        )
        batch_op.add_column(
            sa.Column("obtained_by", sa.String(length=256), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("obtained_on", sa.Date(), nullable=True))
    # memo 4.D.3: a row recorded as not independent of the FRS stays not independent.
    op.execute(
        _corroborations.update()
        .where(_corroborations.c.independent_of_frs == sa.false())
        .values(kind="frs_result")
    )
    recorder = (
        sa.select(_users.c.display_name)
        .where(_users.c.id == _corroborations.c.recorded_by)
        .scalar_subquery()
    )
    op.execute(_corroborations.update().values(obtained_by=recorder))
    with op.batch_alter_table("corroborations", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=sa.String(length=64), server_default=None)
        batch_op.alter_column(
            "obtained_by", existing_type=sa.String(length=256), server_default=None
        )

    with op.batch_alter_table("roi_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("filed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("case_system_ref", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("body_sha256", sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_roi_entries_filed_by_users"), "users", ["filed_by"], ["id"]
        )
    # Entries already filed get the SHA-256 of the text they were filed with.
    conn = op.get_bind()
    filed = conn.execute(sa.select(_roi.c.id, _roi.c.body).where(_roi.c.status == "filed")).all()
    for entry_id, body in filed:
        digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
        conn.execute(_roi.update().where(_roi.c.id == entry_id).values(body_sha256=digest))

    op.create_table(
        "partner_searches",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("partner_agency", sa.String(length=256), nullable=False),
        sa.Column("partner_system", sa.String(length=256), nullable=False),
        sa.Column("searched_on", sa.Date(), nullable=False),
        sa.Column("match_type", sa.String(length=32), nullable=True),
        sa.Column("result", sa.String(length=10), nullable=False),
        sa.Column("candidate_count", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("probe_sha256", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "candidate_count IS NULL OR candidate_count >= 0",
            name=op.f("ck_partner_searches_candidate_count"),
        ),
        sa.CheckConstraint(
            "result IN ('negative', 'candidates', 'unknown')",
            name=op.f("ck_partner_searches_result"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_partner_searches_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_partner_searches_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_searches")),
    )
    with op.batch_alter_table("partner_searches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_searches_case_id"), ["case_id"])


def downgrade() -> None:
    with op.batch_alter_table("partner_searches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_searches_case_id"))
    op.drop_table("partner_searches")

    with op.batch_alter_table("roi_entries", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_roi_entries_filed_by_users"), type_="foreignkey")
        batch_op.drop_column("body_sha256")
        batch_op.drop_column("case_system_ref")
        batch_op.drop_column("filed_by")

    with op.batch_alter_table("corroborations", schema=None) as batch_op:
        batch_op.drop_column("obtained_on")
        batch_op.drop_column("obtained_by")
        batch_op.drop_column("kind")

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_leads_status"), type_="check")
    _lead_status("investigative_lead", "open")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leads_disposition_id"))
        batch_op.drop_index(batch_op.f("ix_leads_submission_id"))
        batch_op.drop_constraint(batch_op.f("fk_leads_closed_by_users"), type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("fk_leads_enforcement_marked_by_users"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_leads_submission_id_submissions"), type_="foreignkey"
        )
        batch_op.drop_column("closed_by")
        batch_op.drop_column("enforcement_marked_by")
        batch_op.drop_column("submission_id")
        batch_op.alter_column(
            "status", existing_type=sa.String(length=18), type_=sa.String(length=17)
        )
        batch_op.create_check_constraint("status", f"status IN ({_OLD_LEAD})")

    with op.batch_alter_table("examinations", schema=None) as batch_op:
        batch_op.drop_column("limitations")

    with op.batch_alter_table("dispositions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_dispositions_verified_by_users"), type_="foreignkey"
        )
        batch_op.drop_column("verification_note")
        batch_op.drop_column("verified_at")
        batch_op.drop_column("verified_by")

    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.drop_column("photo_taken_on")
