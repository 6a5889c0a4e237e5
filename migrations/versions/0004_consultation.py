"""consultation (咨询指导): one row per application that asked for it, and its steps;
indexes for the home page figures

Revision ID: 0004_consultation
Revises: 0003_review
Create Date: 2026-12-04 20:14:13

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0004_consultation"
down_revision = "0003_review"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('consultations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('expert_name', sa.String(length=50), nullable=True),
    sa.Column('expert_contact', sa.String(length=100), nullable=True),
    sa.Column('method', sa.String(length=16), nullable=True),
    sa.Column('scheduled_at', sa.DateTime(), nullable=True),
    sa.Column('meeting', sa.String(length=200), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('cancel_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("method IS NULL OR method <> 'online' OR meeting IS NOT NULL", name='ck_consultations_meeting'),
    sa.CheckConstraint("method IS NULL OR method IN ('phone', 'online')", name='ck_consultations_method'),
    sa.CheckConstraint("step <> 'held' OR notes IS NOT NULL", name='ck_consultations_notes'),
    sa.CheckConstraint("step IN ('requested', 'assigned', 'scheduled', 'held', 'cancelled')", name='ck_consultations_step'),
    sa.CheckConstraint("step NOT IN ('assigned', 'scheduled', 'held') OR expert_name IS NOT NULL", name='ck_consultations_expert'),
    sa.CheckConstraint("step NOT IN ('scheduled', 'held') OR (method IS NOT NULL AND scheduled_at IS NOT NULL)", name='ck_consultations_schedule'),
    sa.ForeignKeyConstraint(['application_id'], ['prospective_applications.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('application_id', name='uq_consultations_application')
    )
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.create_index('ix_consultations_step', ['step'], unique=False)

    op.create_table('consultation_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('from_step', sa.String(length=16), nullable=False),
    sa.Column('to_step', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('identity_id', sa.Integer(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['identity_id'], ['identities.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('consultation_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_events_consultation_id'), ['consultation_id'], unique=False)

    # The home page figures count a society's used and shared codes through these.
    with op.batch_alter_table('referral_codes', schema=None) as batch_op:
        batch_op.create_index(
            'ix_referral_codes_used',
            ['channel_id'],
            unique=False,
            sqlite_where=sa.text("state = 'used'"),
            postgresql_where=sa.text("state = 'used'"),
        )
        batch_op.create_index(
            'ix_referral_codes_shared',
            ['channel_id'],
            unique=False,
            sqlite_where=sa.text("shared_at IS NOT NULL AND state != 'revoked'"),
            postgresql_where=sa.text("shared_at IS NOT NULL AND state != 'revoked'"),
        )


def downgrade():
    with op.batch_alter_table('referral_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_codes_shared')
        batch_op.drop_index('ix_referral_codes_used')

    with op.batch_alter_table('consultation_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_events_consultation_id'))

    op.drop_table('consultation_events')
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.drop_index('ix_consultations_step')

    op.drop_table('consultations')