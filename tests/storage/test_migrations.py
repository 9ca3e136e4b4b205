"""Migrations: head on an empty SQLite and PostgreSQL database, and the models match the migrations."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from storage.catalogue import current_stamp
from storage.db import Store
from storage.migrate import alembic_config, current_revision, head_revision, is_current, upgrade
from storage.models import Base
from storage.seeding import seed_arsplan
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


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def unmigrated(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """An empty database with no schema at all — SQLite and PostgreSQL."""
    if request.param == "sqlite":
        store, schema = Store.from_url(f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}"), None
    else:
        store, schema = await _pg_schema_store()
    try:
        yield store
    finally:
        await store.dispose()
        if schema:
            await _drop_pg_schema(schema)


async def test_upgrade_head_on_an_empty_database(unmigrated: Store) -> None:
    await _check_fresh_upgrade(unmigrated)
    if unmigrated.dialect == "sqlite":
        async with unmigrated.engine.connect() as conn:
            mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar()
            timeout = (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar()
        assert mode == "wal"
        assert timeout >= 5000


async def test_an_earlier_store_is_brought_to_head(unmigrated: Store) -> None:
    """A store made by an earlier Tavla (revision 0001, with the årsplan in it) brought to head: the catalogue
    stamp is there and its triggers run."""
    store = unmigrated
    async with store.engine.connect() as conn:
        await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "0001"))
        await conn.commit()
    await seed_arsplan(store)
    await upgrade(store)
    assert await is_current(store)
    async with store.read() as conn:
        before = await current_stamp(conn)
    assert before is not None
    async with store.session() as s:
        await s.execute(text("UPDATE indicator SET name = name || ' (ny)' WHERE id = (SELECT min(id) FROM indicator)"))
    async with store.read() as conn:
        assert await current_stamp(conn) not in (None, before)
