"""one village of a name per commune, enforced by the database

The service refuses a taken name, but two officers adding the same village at the same moment both pass
its check; this index makes the second one fail, and its retry then gets the service's message.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("uq_units_village_name", "units", ["parent_id", "name"], unique=True,
                    sqlite_where=sa.text("tier = 'village'"), postgresql_where=sa.text("tier = 'village'"))


def downgrade() -> None:
    op.drop_index("uq_units_village_name", table_name="units")
