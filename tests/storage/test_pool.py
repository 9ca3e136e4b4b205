"""The database pool: on PostgreSQL a fixed number of connections that turns wait for in line, and no task
that holds a connection while it takes another (on either database) — with no overflow such a task could
wait for itself."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import event, literal_column, select, text
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.util import greenlet_spawn
from sqlalchemy.util.queue import Empty

from storage.db import NestedCheckouts, Store
from storage.pool import FairQueue
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


@pytest.fixture
async def pool_of_one() -> AsyncIterator[Store]:
    async with own_pg_store(pool_size=1, pool_wait=2) as store:
        yield store


@pytest.mark.postgres
async def test_a_connection_given_back_goes_to_the_turn_that_waited_longest(pool_of_one: Store) -> None:
    """A turn ready to run as a connection comes back — before the waiter it is handed to wakes — waits behind
    that waiter. SQLAlchemy's own queue let it take the connection, and the waiter went to the back of the line
    (under 100 people's turns, again and again: the p99 of ``docs/benchmarks.md``'s tenth session)."""
    order: list[str] = []
    release = asyncio.Event()

    async def take(name: str) -> None:
        async with pool_of_one.read() as conn:
            await conn.execute(text("SELECT 1"))  # on the one connection: in the order it was had
            order.append(name)

    async def hold() -> asyncio.Task[None]:
        async with pool_of_one.read() as conn:
            await conn.execute(text("SELECT 1"))
            await release.wait()
            return asyncio.create_task(take("newcomer"))  # ready before the connection is given back

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0.05)
    waiter = asyncio.create_task(take("waiter"))
    await asyncio.sleep(0.05)
    assert order == []  # in line
    release.set()
    newcomer = await holder
    await asyncio.wait_for(asyncio.gather(waiter, newcomer), 5)
    assert order == ["waiter", "newcomer"]


def _queue() -> FairQueue[str]:
    return FairQueue(2)


async def _get(queue: FairQueue[str], timeout: float | None = None) -> str:
    return await greenlet_spawn(queue.get, True, timeout)


async def test_a_wait_that_times_out_leaves_the_line_and_the_next_item_stays_queued() -> None:
    queue = _queue()
    with pytest.raises(Empty):
        await _get(queue, 0.02)
    queue.put("a", False)
    assert queue.qsize() == 1  # not handed to the waiter that gave up
    assert await _get(queue, 0.02) == "a"


async def test_an_item_handed_to_a_waiter_cancelled_before_it_ran_goes_to_the_next_in_line() -> None:
    queue = _queue()
    first = asyncio.create_task(_get(queue, 5))
    second = asyncio.create_task(_get(queue, 5))
    await asyncio.sleep(0.01)
    queue.put("connection", False)  # handed to the first …
    first.cancel()  # … whose turn ends before it runs
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await asyncio.wait_for(second, 1) == "connection"
    assert queue.qsize() == 0


async def test_newcomers_wait_behind_the_line_and_are_served_in_order() -> None:
    queue = _queue()
    served: dict[int, str] = {}

    async def take(i: int) -> None:
        served[i] = await _get(queue, 5)

    waiting = [asyncio.create_task(take(i)) for i in range(3)]
    await asyncio.sleep(0.01)
    queue.put("0", False)
    late = asyncio.create_task(take(3))  # ready before the woken waiter runs
    await asyncio.sleep(0)
    for item in ("1", "2", "3"):
        queue.put(item, False)
    await asyncio.wait_for(asyncio.gather(*waiting, late), 1)
    assert served == {0: "0", 1: "1", 2: "2", 3: "3"}


@pytest.mark.postgres
@pytest.mark.parametrize("through", ["sqlalchemy", "orm", "driver"])
async def test_a_read_session_gives_its_connection_back_without_giving_up_the_loop(
        pool_of_one: Store, through: str) -> None:
    """No task of its own for the close (SQLAlchemy's ``async with`` makes one): nothing else runs between the end
    of the session and the connection's return, so a cancelled turn cannot leave it half given back — also when
    only the driver has read on it (the pool's connection alone, ``storage.driver.Checkout``)."""
    loop = asyncio.get_running_loop()
    ran: list[int] = []
    async with pool_of_one.read_session() as reads:
        if through == "orm":
            assert await reads.scalar(text("SELECT 1")) == 1  # through an ORM session on the connection
        if through == "driver":
            assert (await reads.execute(select(literal_column("1").label("one")))).scalar_one() == 1
            assert reads.connection is None  # no SQLAlchemy connection was put around it
        else:
            assert (await reads.execute(text("SELECT 1"))).scalar_one() == 1
        loop.call_soon(ran.append, 1)  # runs at the loop's next step
    assert ran == []
    assert pool_of_one.engine.sync_engine.pool.checkedout() == 0
    async with pool_of_one.one_write_session() as session:
        loop.call_soon(ran.append, 2)
        await session.execute(text("SELECT 1"))  # a round trip: the loop runs
    assert ran == [1, 2]
    assert pool_of_one.engine.sync_engine.pool.checkedout() == 0


@pytest.mark.postgres
async def test_a_read_session_takes_its_connection_at_its_first_statement(pool_of_three: Store) -> None:
    """A turn answered from what the process keeps (a status or budget question asked again) opens a read
    session and reads nothing: it checks out no connection. One that reads takes one then and gives it back at
    its end, also when the reading fails."""
    checkouts: list[int] = []
    event.listen(pool_of_three.engine.sync_engine.pool, "checkout", lambda *_: checkouts.append(1))
    async with pool_of_three.read_session() as reads:
        assert reads.get_bind().dialect.name == "postgresql"  # before any statement: the engine's
    assert checkouts == []
    async with pool_of_three.read_session() as reads:
        assert (await reads.execute(text("SELECT 1"))).scalar_one() == 1
        assert pool_of_three.engine.sync_engine.pool.checkedout() == 1
    assert len(checkouts) == 1 and pool_of_three.engine.sync_engine.pool.checkedout() == 0
    with pytest.raises(Exception, match="no_such_table"):
        async with pool_of_three.read_session() as reads:
            await reads.execute(text("SELECT * FROM no_such_table"))
    assert len(checkouts) == 2 and pool_of_three.engine.sync_engine.pool.checkedout() == 0
