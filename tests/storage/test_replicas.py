"""Several replicas on one PostgreSQL database: when they start together, migrations and the first seeding
run exactly once (advisory locks in storage/migrate.py and storage/seeding.py), and every replica comes up.

Each test gets a database of its own (``app.prepare_store`` reads only ``DATABASE_URL``, as in production).
The replicas here are concurrent ``prepare_store`` calls, each with its own engine and connections — the
locks are per database session, so this is the race separate processes run. (Without the locks the same
test fails: checked by hand by disabling them, four starters then collide on the migration.)
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select, text

from app import prepare_store
from settings import Settings
from storage.db import Store
from storage.migrate import head_revision
from storage.models import AdminLog, BudgetLine, Indicator, OrgUnit
from storage.seeding import load_seed_files
from tests.conftest import IN_CI, PG_URL, _pg_reachable

pytestmark = pytest.mark.postgres


@pytest.fixture
async def fresh_database() -> AsyncIterator[str]:
    """The URL of a new, empty PostgreSQL database (dropped afterwards)."""
    import asyncpg

    error = await _pg_reachable()
    if error is not None:
        if IN_CI:
            pytest.fail(f"CI=true but PostgreSQL at {PG_URL} is unreachable: {error}")
        pytest.skip(f"PostgreSQL unreachable: {error}")
    name = f"tavla_replicas_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_URL.replace("+asyncpg", ""))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base, _, _ = PG_URL.rpartition("/")
    yield f"{base}/{name}"
    admin = await asyncpg.connect(PG_URL.replace("+asyncpg", ""))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def census(url: str) -> dict[str, object]:
    store = Store.from_url(url)
    try:
        async with store.session() as session:
            return {
                "revisions": (await session.execute(text("SELECT version_num FROM alembic_version"))).scalars().all(),
                "org_units": await session.scalar(select(func.count()).select_from(OrgUnit)),
                "budget_lines": await session.scalar(select(func.count()).select_from(BudgetLine)),
                "indicators": await session.scalar(select(func.count()).select_from(Indicator)),
                "seedings": await session.scalar(
                    select(func.count()).select_from(AdminLog).where(AdminLog.action == "seed_arsplan")),
            }
    finally:
        await store.dispose()


def expected() -> dict[str, object]:
    data = load_seed_files()
    return {"revisions": [head_revision()], "org_units": len(data.org_units), "budget_lines": len(data.budget_lines),
            "indicators": len(data.indicators), "seedings": 1}


async def test_replicas_starting_together_migrate_and_seed_once(fresh_database: str) -> None:
    settings = Settings(database_url=fresh_database, db_pool_size=3)
    stores = await asyncio.gather(*(prepare_store(settings) for _ in range(4)))
    try:
        for store in stores:  # every replica came up, with the pool the settings ask for
            assert store.engine.pool.size() == 3
            await store.ping()
    finally:
        for store in stores:
            await store.dispose()
    assert await census(fresh_database) == expected()


async def test_a_replica_started_later_changes_nothing(fresh_database: str) -> None:
    settings = Settings(database_url=fresh_database)
    first = await prepare_store(settings)
    await first.dispose()
    again = await prepare_store(settings)
    await again.dispose()
    assert await census(fresh_database) == expected()
