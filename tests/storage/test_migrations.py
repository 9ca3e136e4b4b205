"""Migrations: head on an empty SQLite and PostgreSQL database, and the models match the migrations."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from storage.db import Store
from storage.migrate import current_revision, head_revision, is_current, upgrade
from storage.models import Base
from tests.conftest import _drop_pg_schema, _pg_schema_store


async def _check_fresh_upgrade(store: Store) -> None:
    assert await current_revision(store) is None
    await upgrade(store)
    assert await current_revision(store) == head_revision()
    assert await is_current(store)
    await upgrade(store)  # a second start changes nothing

    async with store.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        diff = await conn.run_sync(
            lambda c: compare_metadata(MigrationContext.configure(c, opts={"compare_type": False}), Base.metadata)
        )
    assert set(Base.metadata.tables) <= tables
    assert diff == [], f"models and migrations differ: {diff}"


async def test_upgrade_head_on_empty_sqlite(tmp_path: Path) -> None:
    store = Store.from_url(f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}")
    try:
        await _check_fresh_upgrade(store)
        async with store.engine.connect() as conn:
            mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar()
            timeout = (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar()
        assert mode == "wal"
        assert timeout >= 5000
    finally:
        await store.dispose()


@pytest.mark.postgres
async def test_upgrade_head_on_empty_postgres() -> None:
    store, schema = await _pg_schema_store()
    try:
        await _check_fresh_upgrade(store)
    finally:
        await store.dispose()
        await _drop_pg_schema(schema)
