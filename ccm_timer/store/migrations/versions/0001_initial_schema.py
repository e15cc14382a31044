"""initial schema

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from ccm_timer.store.types import UTCDateTime

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_event',
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('at_utc', UTCDateTime(length=27), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('workstation', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('entity', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('entity_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('before', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('after', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('id')
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_action'), ['action'], unique=False)

    op.create_table('category',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('program', sa.Enum('CCM', 'PCM', 'BHI', 'RPM', 'CPO_HOME_HEALTH', 'CPO_HOSPICE', name='program'), nullable=True),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('slug')
    )
    op.create_table('clinician',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('credential', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('role', sa.Enum('CLINICAL_STAFF', 'PRACTITIONER', name='role'), nullable=False),
    sa.Column('npi', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('clinician', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clinician_name'), ['name'], unique=False)

    op.create_table('heartbeat',
    sa.Column('workstation', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('last_seen_utc', UTCDateTime(length=27), nullable=False),
    sa.Column('monotonic_ns', sa.Integer(), nullable=False),
    sa.Column('boot_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('workstation')
    )
    op.create_table('patient',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('mrn', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('family_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('given_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('billing_practitioner_id', sa.Uuid(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['billing_practitioner_id'], ['clinician.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('mrn')
    )
    op.create_table('enrollment',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('program', sa.Enum('CCM', 'PCM', 'BHI', 'RPM', 'CPO_HOME_HEALTH', 'CPO_HOSPICE', name='program'), nullable=False),
    sa.Column('consent_date', sa.Date(), nullable=True),
    sa.Column('consent_method', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrollment_patient_id'), ['patient_id'], unique=False)

    op.create_table('patient_month',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('month', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('complex_mdm', sa.Boolean(), nullable=False),
    sa.Column('care_plan_revised', sa.Boolean(), nullable=False),
    sa.Column('interactive_contact', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('patient_id', 'month')
    )
    op.create_table('time_entry',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('origin_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('supersedes_id', sa.Uuid(), nullable=True),
    sa.Column('superseded_at', UTCDateTime(length=27), nullable=True),
    sa.Column('clinician_id', sa.Uuid(), nullable=False),
    sa.Column('patient_id', sa.Uuid(), nullable=True),
    sa.Column('category_id', sa.Uuid(), nullable=False),
    sa.Column('program', sa.Enum('CCM', 'PCM', 'BHI', 'RPM', 'CPO_HOME_HEALTH', 'CPO_HOSPICE', name='program'), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('source', sa.Enum('TIMER', 'MANUAL', 'IMPORT', name='entrysource'), nullable=False),
    sa.Column('state', sa.Enum('RUNNING', 'PAUSED', 'STOPPED', name='entrystate'), nullable=False),
    sa.Column('workstation', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('tz_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('voided', sa.Boolean(), nullable=False),
    sa.Column('void_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('change_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', UTCDateTime(length=27), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], ),
    sa.ForeignKeyConstraint(['clinician_id'], ['clinician.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['clinician.id'], ),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], ),
    sa.ForeignKeyConstraint(['supersedes_id'], ['time_entry.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('time_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_time_entry_clinician_id'), ['clinician_id'], unique=False)
        batch_op.create_index('ix_time_entry_current_state', ['superseded_at', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_time_entry_origin_id'), ['origin_id'], unique=False)
        batch_op.create_index('ix_time_entry_patient', ['patient_id', 'superseded_at'], unique=False)

    op.create_table('interval',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('entry_id', sa.Uuid(), nullable=False),
    sa.Column('start_utc', UTCDateTime(length=27), nullable=False),
    sa.Column('end_utc', UTCDateTime(length=27), nullable=True),
    sa.ForeignKeyConstraint(['entry_id'], ['time_entry.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('interval', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interval_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_interval_start_utc'), ['start_utc'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('interval', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interval_start_utc'))
        batch_op.drop_index(batch_op.f('ix_interval_entry_id'))

    op.drop_table('interval')
    with op.batch_alter_table('time_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_time_entry_patient')
        batch_op.drop_index(batch_op.f('ix_time_entry_origin_id'))
        batch_op.drop_index('ix_time_entry_current_state')
        batch_op.drop_index(batch_op.f('ix_time_entry_clinician_id'))

    op.drop_table('time_entry')
    op.drop_table('patient_month')
    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrollment_patient_id'))

    op.drop_table('enrollment')
    op.drop_table('patient')
    op.drop_table('heartbeat')
    with op.batch_alter_table('clinician', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clinician_name'))

    op.drop_table('clinician')
    op.drop_table('category')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_action'))

    op.drop_table('audit_event')
