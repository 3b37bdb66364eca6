"""the data version counted per province, so a write elsewhere keeps a page's cached figures

One counter for the whole country changed with every write anywhere, so every cached figure of every
page was dropped several times a second on a national deployment (issue 18). The counter now has a
row per (province, shard): a page keys its figures on its own province's counter plus the
country-wide one (scope 0), and a national page on scope -1, which every write moves once. Existing
rows become both.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.rename_table("data_version", "data_version_old")
    if op.get_bind().dialect.name == "postgresql":  # the key's index keeps its name across a rename
        op.execute("ALTER TABLE data_version_old RENAME CONSTRAINT pk_data_version TO pk_data_version_old")
    op.create_table(
        "data_version",
        sa.Column("scope_id", sa.Integer(), nullable=False),
        sa.Column("shard", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("scope_id", "shard", name="pk_data_version"),
        sqlite_with_rowid=False,
    )
    for scope in (-1, 0):  # the national counter, and the one every province's figures include
        op.execute(f"INSERT INTO data_version (scope_id, shard, version) SELECT {scope}, id, version FROM data_version_old")
    op.drop_table("data_version_old")


def downgrade() -> None:
    op.rename_table("data_version", "data_version_new")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE data_version_new RENAME CONSTRAINT pk_data_version TO pk_data_version_new")
    op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_data_version"),
    )
    op.execute("INSERT INTO data_version (id, version) SELECT shard, version FROM data_version_new WHERE scope_id = -1")
    op.drop_table("data_version_new")
