"""covering indexes for national-scale reads

The dashboards probe, per unit or per team, whether a team is active on a date, how many of its
members are active, and whether it reported in a period; these indexes answer each probe from the
index alone. The rollups' month index carries the sums, so a national monthly chart reads the index
and never the table.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.create_index('ix_teams_unit_dates', ['unit_id', 'established_on', 'closed_on'], unique=False)
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.create_index('ix_members_team_dates', ['team_id', 'joined_on', 'left_on'], unique=False)
    with op.batch_alter_table('activity_rollups', schema=None) as batch_op:
        batch_op.create_index(
            'ix_activity_rollups_month_sums',
            ['month', 'activity_type', 'reports', 'people_reached', 'households_reached', 'results'],
            unique=False,
        )
        batch_op.drop_index('ix_activity_rollups_month')


def downgrade() -> None:
    with op.batch_alter_table('activity_rollups', schema=None) as batch_op:
        batch_op.create_index('ix_activity_rollups_month', ['month'], unique=False)
        batch_op.drop_index('ix_activity_rollups_month_sums')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index('ix_members_team_dates')
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.drop_index('ix_teams_unit_dates')
