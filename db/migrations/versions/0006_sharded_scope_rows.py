"""scope totals kept in shards, so writers across the country do not queue on one row

Every report moved the same rows of the country (and of its province and district), so on PostgreSQL
writers anywhere waited on each other (issue 17). Each scope row now has a shard in its key: a writer
adds to its connection's shard, and reads sum the shards. Existing rows become shard 0.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COUNT_COLUMNS = ("villages", "villages_covered", "communes", "communes_with_team", "teams", "members", "reporting")
ROLLUP_COLUMNS = ("reports", "people_reached", "households_reached", "results")


def _columns(table: str, *, sharded: bool) -> list[sa.Column]:
    """Key columns first, the shard with them, then the sums: a WITHOUT ROWID table stores its key first, and
    SQLite 3.40's integrity_check misreads the sums as NULL when a key column is declared after them."""
    shard = [sa.Column("shard", sa.Integer(), server_default="0", nullable=False)] if sharded else []
    if table == "scope_counts":
        return [sa.Column("scope_id", sa.Integer(), nullable=False), sa.Column("day", sa.Date(), nullable=False), *shard,
                *(sa.Column(c, sa.Integer(), nullable=False) for c in COUNT_COLUMNS)]
    return [sa.Column("scope_id", sa.Integer(), nullable=False), sa.Column("month", sa.Date(), nullable=False),
            sa.Column("activity_type", sa.String(length=20), nullable=False), *shard,
            sa.Column("reports", sa.Integer(), nullable=False),
            *(sa.Column(c, sa.BigInteger(), nullable=False) for c in ROLLUP_COLUMNS[1:])]


KEYS = {"scope_counts": ("scope_id", "day"), "scope_rollups": ("scope_id", "month", "activity_type")}


def _recreate(table: str, *, sharded: bool) -> None:
    """Copy the table into a new one with (or without) the shard in its key; shards fold into one row."""
    old = f"{table}_old"
    op.rename_table(table, old)
    if op.get_bind().dialect.name == "postgresql":  # the key's index keeps its name across a rename
        op.execute(f"ALTER TABLE {old} RENAME CONSTRAINT pk_{table} TO pk_{old}")
    keys = KEYS[table]
    op.create_table(table, *_columns(table, sharded=sharded),
                    sa.PrimaryKeyConstraint(*keys, *(["shard"] if sharded else []), name=f"pk_{table}"),
                    sqlite_with_rowid=False)
    sums = COUNT_COLUMNS if table == "scope_counts" else ROLLUP_COLUMNS
    names = ", ".join((*keys, *sums))
    op.execute(f"INSERT INTO {table} ({names}) SELECT {', '.join(keys)}, {', '.join(f'SUM({c})' for c in sums)} "
               f"FROM {old} GROUP BY {', '.join(keys)}")
    op.drop_table(old)


def upgrade() -> None:
    for table in KEYS:
        _recreate(table, sharded=True)


def downgrade() -> None:
    for table in KEYS:
        _recreate(table, sharded=False)
