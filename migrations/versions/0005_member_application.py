"""member application (注册工程会员申请): applications, sections, events and member number
sequences (app/models/members.py)

Revision ID: 0005_member_application
Revises: 0004_consultation
Create Date: 2026-12-04 20:45:07.049878

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0005_member_application"
down_revision = "0004_consultation"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('member_number_sequences',
    sa.Column('society_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['society_id'], ['societies.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('society_id', 'level', 'year')
    )
    op.create_table('member_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('applicant_id', sa.Integer(), nullable=False),
    sa.Column('prospective_application_id', sa.Integer(), nullable=False),
    sa.Column('society_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('field_id', sa.Integer(), nullable=True),
    sa.Column('specialty_id', sa.Integer(), nullable=True),
    sa.Column('instructions_read_at', sa.DateTime(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=25), nullable=False),
    sa.Column('mobile', sa.String(length=11), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('id_type', sa.String(length=32), nullable=True),
    sa.Column('id_number', sa.String(length=20), nullable=True),
    sa.Column('photo_key', sa.String(length=80), nullable=True),
    sa.Column('photo_name', sa.String(length=255), nullable=True),
    sa.Column('photo_content_type', sa.String(length=32), nullable=True),
    sa.Column('photo_width', sa.Integer(), nullable=True),
    sa.Column('photo_height', sa.Integer(), nullable=True),
    sa.Column('photo_bytes', sa.Integer(), nullable=True),
    sa.Column('photo_uploaded_at', sa.DateTime(), nullable=True),
    sa.Column('member_number', sa.String(length=32), nullable=True),
    sa.Column('return_reason', sa.String(length=500), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('accepted_at', sa.DateTime(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('registered_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("level IN ('professional', 'senior')", name='ck_member_applications_level'),
    sa.CheckConstraint("state <> 'registered' OR (member_number IS NOT NULL AND registered_at IS NOT NULL)", name='ck_member_applications_registered'),
    sa.CheckConstraint("state IN ('permitted', 'draft', 'submitted', 'accepted', 'returned', 'passed', 'failed', 'registered')", name='ck_member_applications_state'),
    sa.CheckConstraint("state NOT IN ('draft', 'submitted', 'accepted', 'returned', 'passed', 'failed', 'registered') OR instructions_read_at IS NOT NULL", name='ck_member_applications_read'),
    sa.CheckConstraint('specialty_id IS NULL OR field_id IS NOT NULL', name='ck_member_applications_specialty'),
    sa.ForeignKeyConstraint(['applicant_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['field_id'], ['fields.id'], ),
    sa.ForeignKeyConstraint(['prospective_application_id'], ['prospective_applications.id'], ),
    sa.ForeignKeyConstraint(['society_id'], ['societies.id'], ),
    sa.ForeignKeyConstraint(['specialty_id'], ['specialties.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('member_number', name='uq_member_applications_number'),
    sa.UniqueConstraint('prospective_application_id', name='uq_member_applications_prospective')
    )
    with op.batch_alter_table('member_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_applications_applicant_id'), ['applicant_id'], unique=False)
        batch_op.create_index('ix_member_applications_id_number', ['society_id', 'id_number'], unique=False)
        batch_op.create_index('ix_member_applications_queue', ['society_id', 'state', 'submitted_at'], unique=False)
        batch_op.create_index('uq_member_applications_active', ['applicant_id'], unique=True, sqlite_where=sa.text("state IN ('permitted', 'draft', 'submitted', 'accepted', 'returned', 'passed')"), postgresql_where=sa.text("state IN ('permitted', 'draft', 'submitted', 'accepted', 'returned', 'passed')"))

    op.create_table('member_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('from_state', sa.String(length=16), nullable=True),
    sa.Column('to_state', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('identity_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['application_id'], ['member_applications.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['identity_id'], ['identities.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('member_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_events_application_id'), ['application_id'], unique=False)

    op.create_table('member_sections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=16), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('complete', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("key IN ('basic', 'education', 'work', 'practice', 'awards', 'development', 'declaration')", name='ck_member_sections_key'),
    sa.ForeignKeyConstraint(['application_id'], ['member_applications.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('application_id', 'key', name='uq_member_sections_key')
    )


def downgrade():
    op.drop_table('member_sections')
    with op.batch_alter_table('member_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_events_application_id'))

    op.drop_table('member_events')
    with op.batch_alter_table('member_applications', schema=None) as batch_op:
        batch_op.drop_index('uq_member_applications_active', sqlite_where=sa.text("state IN ('permitted', 'draft', 'submitted', 'accepted', 'returned', 'passed')"), postgresql_where=sa.text("state IN ('permitted', 'draft', 'submitted', 'accepted', 'returned', 'passed')"))
        batch_op.drop_index('ix_member_applications_queue')
        batch_op.drop_index('ix_member_applications_id_number')
        batch_op.drop_index(batch_op.f('ix_member_applications_applicant_id'))

    op.drop_table('member_applications')
    op.drop_table('member_number_sequences')
