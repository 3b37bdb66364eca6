"""recommendations (kiến nghị, đề xuất, khó khăn vướng mắc)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recommendations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("raised_by", sa.Integer(), nullable=True),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_recommendations_unit_id_units"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_recommendations_team_id_teams"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["raised_by"], ["users.id"], name=op.f("fk_recommendations_raised_by_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["answered_by"], ["users.id"], name=op.f("fk_recommendations_answered_by_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendations")),
    )
    op.create_index("ix_recommendations_unit_status", "recommendations", ["unit_id", "status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_recommendations_unit_status", table_name="recommendations")
    op.drop_table("recommendations")
