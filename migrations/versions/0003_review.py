"""society review: reason texts (常用理由) and the review queue index

Revision ID: 0003_review
Revises: 659be959c181
Create Date: 2026-12-04 20:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0003_review"
down_revision = "659be959c181"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "review_reasons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("society_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["society_id"], ["societies.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("society_id", "text", name="uq_review_reasons_society_text"),
    )
    with op.batch_alter_table("review_reasons", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_reasons_society_id"), ["society_id"], unique=False
        )
    with op.batch_alter_table("prospective_applications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_prospective_review_queue",
            ["assessing_society_id", "state", "submitted_at"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("prospective_applications", schema=None) as batch_op:
        batch_op.drop_index("ix_prospective_review_queue")
    with op.batch_alter_table("review_reasons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_reasons_society_id"))
    op.drop_table("review_reasons")
