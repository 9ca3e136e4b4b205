"""Alembic migrations run programmatically on start (and from the CLI), once across replicas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from storage.db import MIGRATION_LOCK_ID, Store

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Any | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head() or ""


def _upgrade(connection: Any) -> None:
    command.upgrade(alembic_config(connection), "head")


def _current(connection: Any) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(store: Store) -> str | None:
    async with store.engine.connect() as conn:
        return await conn.run_sync(_current)


async def upgrade(store: Store) -> None:
    """Bring the schema to head; on PostgreSQL under an advisory lock so replicas don't race."""
    async with store.engine.connect() as conn:
        if store.dialect == "postgresql":
            await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_ID})
            await conn.commit()
        try:
            await conn.run_sync(_upgrade)
            await conn.commit()
        finally:
            if store.dialect == "postgresql":
                await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_ID})
                await conn.commit()


async def is_current(store: Store) -> bool:
    return await current_revision(store) == head_revision()
