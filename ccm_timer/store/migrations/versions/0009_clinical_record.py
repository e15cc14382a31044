"""The clinical record beside the minutes (issue 14): conditions, the care plan and its
reviews, a complete consent (who obtained it, the three disclosures, a scanned copy,
withdrawal) and the patient's QMB status.

Consents recorded before this revision keep their date and method; their disclosures are
not on file, so the month report holds their lines until someone records them. That is
deliberate: the earlier record never said they were made.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from ccm_timer.store.types import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_TEXT = sqlmodel.sql.sqltypes.AutoString
_DISCLOSURES = ("disclosed_cost_sharing", "disclosed_one_practitioner",
                "disclosed_right_to_stop")


def upgrade() -> None:
    op.create_table(
        "consent_document",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("media_type", _TEXT(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", _TEXT(), nullable=False),
        sa.Column("added_at", UTCDateTime(length=27), nullable=False),
        sa.Column("added_by", _TEXT(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("consent_document") as batch_op:
        batch_op.create_index("ix_consent_document_patient_id", ["patient_id"], unique=False)
    with op.batch_alter_table("patient") as batch_op:
        batch_op.add_column(sa.Column("qmb", sa.Boolean(), nullable=True))
    with op.batch_alter_table("enrollment") as batch_op:
        batch_op.add_column(sa.Column("consent_by", _TEXT(), nullable=True))
        batch_op.add_column(sa.Column("consent_by_id", sa.Uuid(), nullable=True))
        for name in _DISCLOSURES:
            batch_op.add_column(sa.Column(name, sa.Boolean(), nullable=False,
                                          server_default=sa.false()))
        batch_op.add_column(sa.Column("consent_document_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("withdrawal_reason", _TEXT(), nullable=True))
        batch_op.create_foreign_key("fk_enrollment_consent_by_id", "clinician",
                                    ["consent_by_id"], ["id"])
        batch_op.create_foreign_key("fk_enrollment_consent_document_id", "consent_document",
                                    ["consent_document_id"], ["id"])
    # The server default only fills existing rows; the model sets the value from now on.
    with op.batch_alter_table("enrollment") as batch_op:
        for name in _DISCLOSURES:
            batch_op.alter_column(name, server_default=None)
    op.create_table(
        "patient_condition",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("code", _TEXT(), nullable=False),
        sa.Column("description", _TEXT(), nullable=False),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column("added_at", UTCDateTime(length=27), nullable=False),
        sa.Column("added_by", _TEXT(), nullable=False),
        sa.Column("removed_at", UTCDateTime(length=27), nullable=True),
        sa.Column("removed_by", _TEXT(), nullable=True),
        sa.Column("removal_reason", _TEXT(), nullable=True),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("patient_condition") as batch_op:
        batch_op.create_index("ix_patient_condition_patient", ["patient_id", "removed_at"],
                              unique=False)
    op.create_table(
        "care_plan_item",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Enum("PROBLEM", "GOAL", "INTERVENTION", name="careplankind"),
                  nullable=False),
        sa.Column("text", _TEXT(), nullable=False),
        sa.Column("condition_code", _TEXT(), nullable=True),
        sa.Column("created_at", UTCDateTime(length=27), nullable=False),
        sa.Column("created_by", _TEXT(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("ended_at", UTCDateTime(length=27), nullable=True),
        sa.Column("ended_by", _TEXT(), nullable=True),
        sa.Column("end_reason", _TEXT(), nullable=True),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["clinician.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("care_plan_item") as batch_op:
        batch_op.create_index("ix_care_plan_item_patient", ["patient_id", "ended_at"],
                              unique=False)
    op.create_table(
        "care_plan_review",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("reviewed_at", UTCDateTime(length=27), nullable=False),
        sa.Column("reviewed_by", _TEXT(), nullable=False),
        sa.Column("reviewer_id", sa.Uuid(), nullable=True),
        sa.Column("substantial", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.ForeignKeyConstraint(["reviewer_id"], ["clinician.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("care_plan_review") as batch_op:
        batch_op.create_index("ix_care_plan_review_patient", ["patient_id", "reviewed_at"],
                              unique=False)


def downgrade() -> None:
    for name, index in (("care_plan_review", "ix_care_plan_review_patient"),
                        ("care_plan_item", "ix_care_plan_item_patient"),
                        ("patient_condition", "ix_patient_condition_patient")):
        with op.batch_alter_table(name) as batch_op:
            batch_op.drop_index(index)
        op.drop_table(name)
    with op.batch_alter_table("enrollment") as batch_op:
        batch_op.drop_constraint("fk_enrollment_consent_document_id", type_="foreignkey")
        batch_op.drop_constraint("fk_enrollment_consent_by_id", type_="foreignkey")
        for name in ("withdrawal_reason", "withdrawn_on", "consent_document_id",
                     *reversed(_DISCLOSURES), "consent_by_id", "consent_by"):
            batch_op.drop_column(name)
    # A plain DROP COLUMN: a batch copy drops and recreates `patient`, which every table
    # with a patient_id refers to, and SQLite refuses that with foreign keys on.
    op.drop_column("patient", "qmb")
    with op.batch_alter_table("consent_document") as batch_op:
        batch_op.drop_index("ix_consent_document_patient_id")
    op.drop_table("consent_document")
