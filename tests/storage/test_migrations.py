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


async def _from_the_first_revision_with_data(store: Store) -> None:
    """A store made by an earlier Tavla (revision 0001, with the årsplan in it) brought to head: the catalogue
    stamp is there and its triggers run."""
    from alembic import command
    from sqlalchemy import text

    from storage.catalogue import current_stamp
    from storage.migrate import alembic_config
    from storage.seeding import seed_arsplan

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


async def test_an_earlier_sqlite_store_is_brought_to_head(tmp_path: Path) -> None:
    store = Store.from_url(f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        await _from_the_first_revision_with_data(store)
    finally:
        await store.dispose()


@pytest.mark.postgres
async def test_an_earlier_postgres_store_is_brought_to_head() -> None:
    store, schema = await _pg_schema_store()
    try:
        await _from_the_first_revision_with_data(store)
    finally:
        await store.dispose()
        await _drop_pg_schema(schema)
