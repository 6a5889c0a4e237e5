"""member application: the photo preview waiting for 确认 kept on the application row
(member_applications.photo_offer) instead of the session

Revision ID: 0006_photo_offer
Revises: 0005_member_application
Create Date: 2026-12-05 00:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0006_photo_offer"
down_revision = "0005_member_application"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("member_applications") as batch:
        batch.add_column(sa.Column("photo_offer", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("member_applications") as batch:
        batch.drop_column("photo_offer")
