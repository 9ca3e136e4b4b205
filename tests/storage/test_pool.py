"""The database pool: on PostgreSQL a fixed number of connections that turns wait for in line, and no task
that holds a connection while it takes another (on either database) — with no overflow such a task could
wait for itself."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import TimeoutError as PoolTimeout

from storage.db import NestedCheckouts, Store
from tests.conftest import own_pg_store


@pytest.fixture
async def pool_of_three() -> AsyncIterator[Store]:
    async with own_pg_store(pool_size=3, pool_wait=0.5) as store:
        yield store


@pytest.mark.postgres
async def test_forty_turns_at_once_share_three_connections_opened_once(pool_of_three: Store) -> None:
    """Each turn holds its connections across awaits, as a turn does while the loop serves the others. An
    overflow connection, opened for the burst and closed as it came back, cost a server process, asyncpg's
    start-up round trips and every prepared statement again: here none is opened."""
    opened: list[int] = []
    event.listen(pool_of_three.engine.sync_engine, "connect",
                 lambda dbapi, _record: opened.append(dbapi.driver_connection.get_server_pid()))
    seen: set[int] = set()

    async def turn() -> None:
        async with pool_of_three.read() as conn:
            seen.add(int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()))
            await asyncio.sleep(0.01)
        async with pool_of_three.write_session() as session:
            seen.add(int((await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()))
            await asyncio.sleep(0.01)

    for _ in range(3):
        await asyncio.gather(*(turn() for _ in range(40)))
    assert len(opened) == 3
    assert seen == set(opened)


@pytest.mark.postgres
async def test_a_turn_waits_its_turn_and_a_long_wait_ends_in_the_pool_timeout(pool_of_three: Store) -> None:
    released = [asyncio.Event() for _ in range(3)]
    holding = [asyncio.Event() for _ in range(3)]

    async def hold(i: int) -> None:  # another turn, holding a connection
        async with pool_of_three.read() as conn:
            await conn.execute(text("SELECT 1"))
            holding[i].set()
            await released[i].wait()

    holders = [asyncio.create_task(hold(i)) for i in range(3)]
    for event_ in holding:
        await event_.wait()
    waiting = asyncio.create_task(_one(pool_of_three))
    await asyncio.sleep(0.1)
    assert not waiting.done()  # in line, not on a connection of its own
    released[0].set()
    assert await asyncio.wait_for(waiting, 2) == 1  # served by the connection given back
    holders.append(asyncio.create_task(hold(0)))
    holding[0].clear()
    released[0].clear()
    await holding[0].wait()
    with pytest.raises(PoolTimeout):  # every connection held longer than the pool wait (0.5 s)
        await asyncio.wait_for(_one(pool_of_three), 5)
    for event_ in released:
        event_.set()
    await asyncio.gather(*holders)
    assert await _one(pool_of_three) == 1


async def _one(store: Store) -> int:
    async with store.read() as conn:
        return int((await conn.execute(text("SELECT 1"))).scalar_one())


@pytest.mark.nested_checkouts
async def test_a_task_holding_a_connection_that_takes_another_is_named_in_the_log(
        store: Store, caplog: pytest.LogCaptureFixture) -> None:
    before = NestedCheckouts.count
    async with store.read() as conn:
        await conn.execute(text("SELECT 1"))
        with caplog.at_level(logging.WARNING, logger="tavla.storage"):
            async with store.write_session() as session:
                await session.execute(text("SELECT 1"))
    assert NestedCheckouts.count == before + 1
    assert "second database connection while holding one" in caplog.text

    # one after the other, or side by side in two tasks, is not
    await _one(store)
    async with store.write_session() as session:
        await session.execute(text("SELECT 1"))

    async def hold() -> None:
        async with store.read() as conn:
            await conn.execute(text("SELECT 1"))
            await asyncio.sleep(0.05)

    await asyncio.gather(hold(), hold())
    assert NestedCheckouts.count == before + 1
