"""Alembic environment: runs on the engine that db.engine is configured with."""

from alembic import context

from db.engine import get_engine
from db.models import Base

config = context.config


def run_migrations_online() -> None:
    """Run the migrations on a live connection (the only mode this project uses)."""
    connectable = config.attributes.get("connection") or get_engine()
    if hasattr(connectable, "connect"):
        with connectable.connect() as connection:
            _run(connection)
    else:
        _run(connectable)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    """Configure the context and run inside one transaction."""
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copy
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
