"""sign-in guard: an account epoch, failures per (username, client), the server's keys

Revocation takes effect in the transaction of the next write: users.auth_epoch moves when an account is
disabled or its password reset or changed, and a write by an actor holding an older epoch is refused.
Wrong sign-ins are counted per (typed username, client) in sign_in_failures instead of per account
(users.failed_logins and users.locked_until stay, unused), and server_keys holds the secret that signs
the known-browser cookie (made at first use, so a restore into a new database still finds it empty).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("auth_epoch", sa.Integer(), server_default=sa.text("0"), nullable=False))
    op.create_table(
        "sign_in_failures",
        sa.Column("name_key", sa.String(length=64), nullable=False),
        sa.Column("client_key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(), nullable=False),
        sa.Column("held_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name_key", "client_key", name=op.f("pk_sign_in_failures")),
    )
    op.create_index(op.f("ix_sign_in_failures_last_failed_at"), "sign_in_failures", ["last_failed_at"], unique=False)
    op.create_table(
        "server_keys",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_server_keys")),
    )


def downgrade() -> None:
    op.drop_table("server_keys")
    op.drop_index(op.f("ix_sign_in_failures_last_failed_at"), table_name="sign_in_failures")
    op.drop_table("sign_in_failures")
    # Not a batch copy of users on SQLite: dropping the old table would cascade to its sign-ins and audit rows.
    op.execute("ALTER TABLE users DROP COLUMN auth_epoch")  # SQLite 3.35+ and PostgreSQL alike
