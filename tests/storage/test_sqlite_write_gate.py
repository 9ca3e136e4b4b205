"""SQLite: concurrent writers of one process queue in asyncio (storage.db.SqliteWriteGate), not in SQLite's
busy handler. The tests turn SQLite's busy timeout off, so a writer that reached SQLite while another held the
write lock would fail at once with "database is locked"."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from storage.db import Store, make_engine


def _store(tmp_path: Path, wait: float = 15.0) -> Store:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'gate.sqlite3'}", sqlite_write_wait=wait)

    @event.listens_for(engine.sync_engine, "connect")
    def _no_busy_wait(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=0")
        cursor.close()

    return Store(engine)


async def _counter(store: Store) -> int:
    async with store.session() as session:
        return (await session.execute(text("SELECT n FROM counter WHERE id = 1"))).scalar_one()


@pytest.fixture
async def store(tmp_path: Path) -> Any:
    st = _store(tmp_path)
    async with st.session() as session:
        await session.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
        await session.execute(text("INSERT INTO counter (id, n) VALUES (1, 0)"))
    yield st
    await st.dispose()


async def test_overlapping_write_transactions_all_commit(store: Store) -> None:
    async def bump(i: int) -> None:
        async with store.session() as session:
            await session.execute(text("SELECT n FROM counter WHERE id = 1"))  # reads take no gate
            await session.execute(text("UPDATE counter SET n = n + 1 WHERE id = 1"))
            await asyncio.sleep(0.002 * (i % 3))  # the write transaction stays open while others want in
            await session.execute(text("INSERT INTO counter (id, n) VALUES (:id, 0)"), {"id": 100 + i})

    async with asyncio.timeout(30):
        await asyncio.gather(*(bump(i) for i in range(30)))
    assert await _counter(store) == 30


async def test_a_rolled_back_writer_lets_the_next_one_in(store: Store) -> None:
    with pytest.raises(RuntimeError):
        async with store.session() as session:
            await session.execute(text("UPDATE counter SET n = 99 WHERE id = 1"))
            raise RuntimeError("handler failed")
    async with asyncio.timeout(5):
        async with store.session() as session:
            await session.execute(text("UPDATE counter SET n = n + 1 WHERE id = 1"))
    assert await _counter(store) == 1


@pytest.mark.nested_checkouts  # the reader is the writer's own task
async def test_readers_do_not_wait_for_a_writer(store: Store) -> None:
    async with asyncio.timeout(5):
        async with store.session() as writer:
            await writer.execute(text("UPDATE counter SET n = 5 WHERE id = 1"))
            assert await _counter(store) == 0  # WAL: the committed state, at once
    assert await _counter(store) == 5


@pytest.mark.nested_checkouts  # on purpose: the second writer is the holder's own task
async def test_a_writer_that_waits_too_long_gets_database_is_locked(tmp_path: Path) -> None:
    st = _store(tmp_path, wait=0.2)
    try:
        async with st.session() as session:
            await session.execute(text("CREATE TABLE t (n INTEGER)"))
        async with asyncio.timeout(10):
            async with st.session() as holder:
                await holder.execute(text("INSERT INTO t VALUES (1)"))
                with pytest.raises(OperationalError) as info:
                    async with st.session() as other:  # same task, second connection: can never get in
                        await other.execute(text("INSERT INTO t VALUES (2)"))
                assert isinstance(info.value.orig, sqlite3.OperationalError)
                assert "database is locked" in str(info.value.orig)
        async with st.session() as session:  # and the gate is free again afterwards
            await session.execute(text("INSERT INTO t VALUES (3)"))
            assert (await session.execute(text("SELECT count(*) FROM t"))).scalar_one() == 2
    finally:
        await st.dispose()
