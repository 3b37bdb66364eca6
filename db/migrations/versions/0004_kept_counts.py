"""counts and rollups kept for every district, province and the country

National and province figures read these few rows instead of every village, team, member and report
(issue 7); `db/counts.py` keeps them current in every write and fills them here from the raw rows.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COUNT_COLUMNS = ("villages", "villages_covered", "communes", "communes_with_team", "teams", "members", "reporting")


def _count_table(name: str, key: str) -> None:
    op.create_table(
        name,
        sa.Column(key, sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *(sa.Column(c, sa.Integer(), nullable=False) for c in COUNT_COLUMNS),
        sa.PrimaryKeyConstraint(key, "day", name=op.f(f"pk_{name}")),
        sqlite_with_rowid=False,
    )


def upgrade() -> None:
    op.create_table(
        "scope_rollups",
        sa.Column("scope_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("activity_type", sa.String(length=20), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("people_reached", sa.BigInteger(), nullable=False),
        sa.Column("households_reached", sa.BigInteger(), nullable=False),
        sa.Column("results", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("scope_id", "month", "activity_type", name=op.f("pk_scope_rollups")),
        sqlite_with_rowid=False,
    )
    _count_table("leaf_counts", "unit_id")
    _count_table("scope_counts", "scope_id")
    from db.counts import rebuild  # the same code that keeps them

    rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_table("scope_counts")
    op.drop_table("leaf_counts")
    op.drop_table("scope_rollups")
