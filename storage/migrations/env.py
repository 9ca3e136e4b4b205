"""Alembic environment: runs on the connection handed over by storage.migrate (sync, via run_sync)."""

from alembic import context

from storage.models import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("Kör migreringar via `tavla migrate` (storage.migrate), inte alembic direkt.")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("Offline-läge stöds inte; kör `tavla migrate`.")
run_migrations_online()
