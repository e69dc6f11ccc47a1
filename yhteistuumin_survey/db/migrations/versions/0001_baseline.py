"""Baseline schema: every table of the first release.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    _tables_without_references()
    _register_contact_and_review_tables()
    _practice_detail_tables()
    _sending_tables()


def _tables_without_references() -> None:
    op.create_table('contactproblem',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_file', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('source_row', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('contactproblem', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contactproblem_source_file'), ['source_file'], unique=False)

    op.create_table('erasure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('erased_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('practice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('current_version', sa.Integer(), nullable=False),
    sa.Column('duplicate_of_id', sa.Integer(), nullable=True),
    sa.Column('identity_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('decided_version', sa.Integer(), nullable=True),
    sa.Column('corrected_title', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('corrected_keywords', sa.JSON(), nullable=True),
    sa.Column('reviewer_comment', sa.Text(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['practice.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_practice_identity_key'), ['identity_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_practice_status'), ['status'], unique=False)

    op.create_table('receivedfile',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('original_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('stored_path', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('format', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('sender', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('message_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('received_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['receivedfile.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('receivedfile', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receivedfile_sha256'), ['sha256'], unique=True)

    op.create_table('region',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('name_fi', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name_sv', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name_en', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('registerchange',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('applied_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('source_file', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('change', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def _register_contact_and_review_tables() -> None:
    op.create_table('municipality',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('name_fi', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name_sv', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('region_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('aland', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('successor_code', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], ),
    sa.PrimaryKeyConstraint('code')
    )
    with op.batch_alter_table('municipality', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_municipality_active'), ['active'], unique=False)
        batch_op.create_index(batch_op.f('ix_municipality_name_fi'), ['name_fi'], unique=False)
        batch_op.create_index(batch_op.f('ix_municipality_region_code'), ['region_code'], unique=False)

    op.create_table('reviewdecision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('previous_status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('duplicate_of_id', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('corrected_title', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('corrected_keywords', sa.JSON(), nullable=True),
    sa.Column('corrected_municipalities', sa.JSON(), nullable=True),
    sa.Column('reviewer', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('source_file', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('source_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('source_row', sa.Integer(), nullable=True),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['practice_id'], ['practice.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reviewdecision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reviewdecision_practice_id'), ['practice_id'], unique=False)

    op.create_table('submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('received_file_id', sa.Integer(), nullable=False),
    sa.Column('locator', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('sheet', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('row', sa.Integer(), nullable=True),
    sa.Column('format', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('raw', sa.JSON(), nullable=False),
    sa.Column('response_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['received_file_id'], ['receivedfile.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('received_file_id', 'locator', name='uq_submission_loc')
    )
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_received_file_id'), ['received_file_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_submission_response_key'), ['response_key'], unique=False)

    op.create_table('contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_code', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('bounced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('bounce_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('source_file', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('source_row', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['municipality_code'], ['municipality.code'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('municipality_code', 'email', name='uq_contact_email')
    )
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_municipality_code'), ['municipality_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_status'), ['status'], unique=False)

    op.create_table('municipalityalias',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alias', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('old_code', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
    sa.Column('merged_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['code'], ['municipality.code'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('alias', 'code', name='uq_alias_code')
    )
    with op.batch_alter_table('municipalityalias', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_municipalityalias_alias'), ['alias'], unique=False)
        batch_op.create_index(batch_op.f('ix_municipalityalias_code'), ['code'], unique=False)


def _practice_detail_tables() -> None:
    op.create_table('practicemunicipality',
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('municipality_code', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('superseded', sa.Boolean(), nullable=False),
    sa.Column('submitted_source', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['municipality_code'], ['municipality.code'], ),
    sa.ForeignKeyConstraint(['practice_id'], ['practice.id'], ),
    sa.PrimaryKeyConstraint('practice_id', 'municipality_code')
    )
    op.create_table('practiceversion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('keywords', sa.JSON(), nullable=False),
    sa.Column('target_group', sa.JSON(), nullable=False),
    sa.Column('goal', sa.Text(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('implementation', sa.Text(), nullable=True),
    sa.Column('resources', sa.Text(), nullable=True),
    sa.Column('experiences', sa.Text(), nullable=True),
    sa.Column('benefits', sa.Text(), nullable=True),
    sa.Column('contact_name', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('contact_email', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('contact_phone', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('contact_text', sa.Text(), nullable=True),
    sa.Column('publish_consent', sa.Boolean(), nullable=False),
    sa.Column('municipality_text', sa.Text(), nullable=True),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['practice_id'], ['practice.id'], ),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('practice_id', 'version', name='uq_practice_version')
    )
    with op.batch_alter_table('practiceversion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_practiceversion_contact_email'), ['contact_email'], unique=False)
        batch_op.create_index(batch_op.f('ix_practiceversion_practice_id'), ['practice_id'], unique=False)


def _sending_tables() -> None:
    op.create_table('surveytoken',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('municipality_code', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('token', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['municipality_code'], ['municipality.code'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('round_name', 'municipality_code', name='uq_token_round')
    )
    with op.batch_alter_table('surveytoken', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_surveytoken_round_name'), ['round_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_surveytoken_token'), ['token'], unique=True)

    op.create_table('outboundmessage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('municipality_code', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('smtp_response', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('message_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('token', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('queued_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('sending_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ),
    sa.ForeignKeyConstraint(['municipality_code'], ['municipality.code'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('round_name', 'municipality_code', 'address', 'kind', 'sequence', name='uq_outbound_once')
    )
    with op.batch_alter_table('outboundmessage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outboundmessage_address'), ['address'], unique=False)
        batch_op.create_index(batch_op.f('ix_outboundmessage_message_id'), ['message_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outboundmessage_municipality_code'), ['municipality_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_outboundmessage_round_name'), ['round_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_outboundmessage_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_outboundmessage_token'), ['token'], unique=False)

    op.create_table('bounce',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('classification', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('outbound_id', sa.Integer(), nullable=True),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('processed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['outbound_id'], ['outboundmessage.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('bounce', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bounce_address'), ['address'], unique=False)
        batch_op.create_index(batch_op.f('ix_bounce_message_key'), ['message_key'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('bounce', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bounce_message_key'))
        batch_op.drop_index(batch_op.f('ix_bounce_address'))

    op.drop_table('bounce')
    with op.batch_alter_table('outboundmessage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outboundmessage_token'))
        batch_op.drop_index(batch_op.f('ix_outboundmessage_state'))
        batch_op.drop_index(batch_op.f('ix_outboundmessage_round_name'))
        batch_op.drop_index(batch_op.f('ix_outboundmessage_municipality_code'))
        batch_op.drop_index(batch_op.f('ix_outboundmessage_message_id'))
        batch_op.drop_index(batch_op.f('ix_outboundmessage_address'))

    op.drop_table('outboundmessage')
    with op.batch_alter_table('surveytoken', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_surveytoken_token'))
        batch_op.drop_index(batch_op.f('ix_surveytoken_round_name'))

    op.drop_table('surveytoken')
    with op.batch_alter_table('practiceversion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_practiceversion_practice_id'))
        batch_op.drop_index(batch_op.f('ix_practiceversion_contact_email'))

    op.drop_table('practiceversion')
    op.drop_table('practicemunicipality')
    with op.batch_alter_table('municipalityalias', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_municipalityalias_code'))
        batch_op.drop_index(batch_op.f('ix_municipalityalias_alias'))

    op.drop_table('municipalityalias')
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_status'))
        batch_op.drop_index(batch_op.f('ix_contact_municipality_code'))
        batch_op.drop_index(batch_op.f('ix_contact_email'))

    op.drop_table('contact')
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_response_key'))
        batch_op.drop_index(batch_op.f('ix_submission_received_file_id'))

    op.drop_table('submission')
    with op.batch_alter_table('reviewdecision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reviewdecision_practice_id'))

    op.drop_table('reviewdecision')
    with op.batch_alter_table('municipality', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_municipality_region_code'))
        batch_op.drop_index(batch_op.f('ix_municipality_name_fi'))
        batch_op.drop_index(batch_op.f('ix_municipality_active'))

    op.drop_table('municipality')
    op.drop_table('registerchange')
    op.drop_table('region')
    with op.batch_alter_table('receivedfile', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receivedfile_sha256'))

    op.drop_table('receivedfile')
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_practice_status'))
        batch_op.drop_index(batch_op.f('ix_practice_identity_key'))

    op.drop_table('practice')
    op.drop_table('erasure')
    with op.batch_alter_table('contactproblem', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contactproblem_source_file'))

    op.drop_table('contactproblem')
