"""both administrative structures in one database: validity, the official legacy → 2025 mapping, carry-over

Each unit may carry the days it is valid (legacy units until 30/06/2025, 2025 units from 01/07/2025);
`unit_successions` holds the official mapping from each legacy commune to the 2025 communes it went to
(several for a divided commune, one of them the default); a village carried over keeps its legacy commune
in `former_parent_id` and its legacy closure rows, so past figures of the legacy units do not change;
`reform_choices` keeps an officer's confirmed 2025 commune for a village of a divided commune. The village
name index now allows "Thôn 1" from two merged communes under one 2025 commune.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_VILLAGE = sa.text("tier = 'village'")


def upgrade() -> None:
    # Plain ADD COLUMN, not a batch copy: on SQLite, dropping the old units table would cascade to its closure rows.
    op.add_column("units", sa.Column("valid_from", sa.Date(), nullable=True))
    op.add_column("units", sa.Column("valid_to", sa.Date(), nullable=True))
    # No foreign key: SQLite cannot add one outside a batch copy; legacy units are never deleted once loaded.
    op.add_column("units", sa.Column("former_parent_id", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_units_former_parent_id"), "units", ["former_parent_id"], unique=False)
    op.drop_index("uq_units_village_name", table_name="units")
    op.create_index("uq_units_village_name", "units", ["parent_id", sa.text("coalesce(former_parent_id, 0)"), "name"],
                    unique=True, sqlite_where=_VILLAGE, postgresql_where=_VILLAGE)
    op.create_table(
        "unit_successions",
        sa.Column("legacy_id", sa.Integer(), nullable=False),
        sa.Column("new_id", sa.Integer(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("divided", sa.Boolean(), nullable=False),
        sa.Column("area_km2", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["legacy_id"], ["units.id"], name=op.f("fk_unit_successions_legacy_id_units"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["new_id"], ["units.id"], name=op.f("fk_unit_successions_new_id_units"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("legacy_id", "new_id", name=op.f("pk_unit_successions")),
    )
    op.create_index(op.f("ix_unit_successions_new_id"), "unit_successions", ["new_id"], unique=False)
    op.create_table(
        "reform_choices",
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.Column("chosen_by", sa.Integer(), nullable=True),
        sa.Column("chosen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["village_id"], ["units.id"], name=op.f("fk_reform_choices_village_id_units"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["commune_id"], ["units.id"], name=op.f("fk_reform_choices_commune_id_units"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["chosen_by"], ["users.id"], name=op.f("fk_reform_choices_chosen_by_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("village_id", name=op.f("pk_reform_choices")),
    )


def downgrade() -> None:
    op.drop_table("reform_choices")
    op.drop_index(op.f("ix_unit_successions_new_id"), table_name="unit_successions")
    op.drop_table("unit_successions")
    op.drop_index("uq_units_village_name", table_name="units")
    op.create_index("uq_units_village_name", "units", ["parent_id", "name"], unique=True,
                    sqlite_where=_VILLAGE, postgresql_where=_VILLAGE)
    op.drop_index(op.f("ix_units_former_parent_id"), table_name="units")
    for column in ("former_parent_id", "valid_to", "valid_from"):
        op.execute(f"ALTER TABLE units DROP COLUMN {column}")  # SQLite 3.35+ and PostgreSQL alike
