"""PostgreSQL pool: a connection idle for a while is pinged before use and replaced when its server process
is gone; one used moments ago is not pinged (a round trip saved twice a turn), and if the server went away
in between, the statement fails once, every older connection is replaced, and the next one works."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from storage.db import Store
from tests.conftest import PG_URL, own_pg_store

pytestmark = pytest.mark.postgres


async def _pid(store: Store) -> int:
    async with store.read() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _kill(pid: int) -> None:
    conn = await asyncpg.connect(PG_URL.replace("+asyncpg", ""))
    try:
        assert await conn.fetchval("SELECT pg_terminate_backend($1)", pid)
        for _ in range(100):  # until the server process is really gone
            if not await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid):
                break
            await asyncio.sleep(0.02)
    finally:
        await conn.close()


@pytest.fixture
async def small_pool() -> AsyncIterator[Store]:
    async with own_pg_store(pool_size=1, ping_after_idle=0.3) as store:
        yield store


async def test_an_idle_connection_whose_server_is_gone_is_replaced_before_use(small_pool: Store) -> None:
    first = await _pid(small_pool)
    await _kill(first)
    await asyncio.sleep(0.4)  # idle longer than ping_after_idle
    assert await _pid(small_pool) != first  # no error: the ping failed and the pool opened a new one


async def _driver_pid(store: Store) -> int:
    """The backend's pid, read where only the driver reads (the pool's connection taken alone)."""
    async with store.read_session() as reads:
        pid = int((await reads.execute(select(func.pg_backend_pid()))).scalar_one())
        assert reads.connection is None  # no SQLAlchemy connection around it: the driver's own checkout
        return pid


async def test_a_driver_only_checkout_also_pings_an_idle_connection_and_replaces_it(small_pool: Store) -> None:
    first = await _driver_pid(small_pool)
    assert await _driver_pid(small_pool) == first  # used moments ago: taken at once, not pinged
    await _kill(first)
    await asyncio.sleep(0.4)
    assert await _driver_pid(small_pool) != first


async def test_a_connection_used_moments_ago_is_not_pinged_and_fails_once(small_pool: Store) -> None:
    pings: list[str] = []
    original = small_pool.engine.sync_engine.dialect.do_ping

    def counting(dbapi_connection):  # type: ignore[no-untyped-def]
        pings.append("ping")
        return original(dbapi_connection)

    small_pool.engine.sync_engine.dialect.do_ping = counting  # type: ignore[method-assign]
    first = await _pid(small_pool)
    for _ in range(5):
        assert await _pid(small_pool) == first
    assert pings == []
    await _kill(first)
    with pytest.raises(DBAPIError) as failed:
        await _pid(small_pool)
    assert failed.value.connection_invalidated
    assert await _pid(small_pool) != first  # recovered by itself
