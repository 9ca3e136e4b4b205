"""``Store.read_session`` / ``Store.read``: reads only. On a SQLite file they run on the loop's thread through a
synchronous session (storage/inline.py) — no aiosqlite round trip — and a write through them fails; on
PostgreSQL they are an ordinary async session / connection. Either way a repository read gives the same."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, func, insert, select, update
from sqlalchemy.exc import OperationalError

from followup.indicators import Period
from storage import indicators as repo
from storage.db import Store
from storage.inline import InlineConnection, InlineSession
from storage.models import Indicator, IndicatorValue, OrgUnit, Person
from storage.people import person_by_aad


async def _frisk_og(store: Store) -> tuple[int, int]:
    async with store.session() as s:
        frisk = (await s.execute(select(Indicator.id).where(Indicator.code == "frisknarvaro"))).scalar_one()
        og = (await s.execute(select(OrgUnit.id).where(OrgUnit.code == "OG"))).scalar_one()
    return frisk, og


async def test_repository_reads_are_the_same_through_either_session(store: Store) -> None:
    frisk, og = await _frisk_og(store)
    async with store.session() as s:
        await repo.record_value(s, indicator_id=frisk, org_unit_id=og, period=Period.month(2018, 3),
                                value=Decimal("95.3"), source="Heroma", person_id=None, via="chat",
                                at=datetime(2018, 4, 2, tzinfo=timezone.utc))
    async with store.session() as s:
        want = (await repo.indicator(s, frisk), await repo.root_unit(s, 2018), await repo.values(s, [frisk], [og]))
    async with store.read_session() as r:
        got = (await repo.indicator(r, frisk), await repo.root_unit(r, 2018), await repo.values(r, [frisk], [og]))
        assert await r.scalar(select(func.count()).select_from(Indicator)) > 10
        assert (await r.get(OrgUnit, og)).code == "OG"
    assert got == want
    assert [v.value for v in got[2]] == [Decimal("95.3")]


async def test_a_read_sees_what_was_committed_before_it(store: Store) -> None:
    async with store.session() as s:
        s.add(Person(name="Nyss Inlagd", aad_object_id="read-after-write"))
    async with store.read() as conn:
        found = await person_by_aad(conn, "read-after-write")
    assert found is not None and found.name == "Nyss Inlagd"


async def test_on_sqlite_reads_do_not_go_through_aiosqlite(sqlite_store: Store) -> None:
    statements: list[str] = []
    event.listen(sqlite_store.engine.sync_engine, "before_cursor_execute",
                 lambda _c, _cur, stmt, *_a: statements.append(stmt))
    frisk, og = await _frisk_og(sqlite_store)
    statements.clear()
    async with sqlite_store.read_session() as r:
        assert isinstance(r, InlineSession)
        await repo.values(r, [frisk], [og])
    async with sqlite_store.read() as conn:
        assert isinstance(conn, InlineConnection)
        await person_by_aad(conn, "nobody")
    assert statements == []  # the async engine (aiosqlite's thread) saw none of it


@pytest.mark.parametrize("write", ["insert", "update"])
async def test_on_sqlite_a_write_through_a_read_session_fails_and_changes_nothing(sqlite_store: Store,
                                                                                 write: str) -> None:
    async with sqlite_store.session() as s:
        before = (await s.execute(select(func.count()).select_from(Person))).scalar_one()
        names = set((await s.execute(select(OrgUnit.name))).scalars())
    statement = (insert(Person).values(name="Får ej finnas", aad_object_id="x") if write == "insert"
                 else update(OrgUnit).values(name="Omdöpt"))
    with pytest.raises(OperationalError, match="readonly"):
        async with sqlite_store.read_session() as r:
            await r.execute(statement)
    with pytest.raises(OperationalError, match="readonly"):
        async with sqlite_store.read() as conn:
            await conn.execute(statement)
    async with sqlite_store.session() as s:
        assert (await s.execute(select(func.count()).select_from(Person))).scalar_one() == before
        assert set((await s.execute(select(OrgUnit.name))).scalars()) == names


async def test_many_open_read_sessions_never_wait_for_the_pool(sqlite_store: Store) -> None:
    """A turn holding a read session may await; more turns than the pool's size must still get one at once
    (on the loop's thread a wait for a pooled connection could only end when the loop runs)."""
    frisk, og = await _frisk_og(sqlite_store)
    gate = asyncio.Event()

    async def turn() -> int:
        async with sqlite_store.read_session() as r:
            await gate.wait()
            return len(await repo.values(r, [frisk], [og]))

    tasks = [asyncio.create_task(turn()) for _ in range(40)]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.wait_for(asyncio.gather(*tasks), 10) == [0] * 40


async def test_values_written_meanwhile_are_seen_by_the_next_read(sqlite_store: Store) -> None:
    frisk, og = await _frisk_og(sqlite_store)
    async with sqlite_store.read_session() as r:
        assert await repo.values(r, [frisk], [og]) == []
    async with sqlite_store.session() as s:
        await s.execute(insert(IndicatorValue).values(
            indicator_id=frisk, org_unit_id=og, period="2018-03", period_start=date(2018, 3, 1),
            period_end=date(2018, 3, 31), value=Decimal("94.1"), kind="matning", source="Heroma",
            is_demo=False, via="import"))
    async with sqlite_store.read_session() as r:
        assert [v.value for v in await repo.values(r, [frisk], [og])] == [Decimal("94.1")]


# --- write_session: a turn's short write -------------------------------------------------------


async def _people(store: Store) -> set[str]:
    async with store.read_session() as r:
        return set((await r.execute(select(Person.aad_object_id))).scalars())


async def test_a_write_session_commits_or_rolls_back_as_a_whole(store: Store) -> None:
    async with store.write_session() as w:
        w.add(Person(name="Anna Ask", aad_object_id="ws-1"))
        await w.flush()
        await w.execute(update(Person).where(Person.aad_object_id == "ws-1").values(name="Anna Asp"))
    with pytest.raises(RuntimeError):
        async with store.write_session() as w:
            w.add(Person(name="Bo Bok", aad_object_id="ws-2"))
            await w.flush()
            raise RuntimeError("the turn failed after its first write")
    assert {"ws-1"} <= await _people(store) and "ws-2" not in await _people(store)
    async with store.read() as conn:
        assert (await person_by_aad(conn, "ws-1")).name == "Anna Asp"


async def test_on_sqlite_a_write_session_runs_on_the_loop_thread(sqlite_store: Store) -> None:
    statements: list[str] = []
    event.listen(sqlite_store.engine.sync_engine, "before_cursor_execute",
                 lambda _c, _cur, stmt, *_a: statements.append(stmt))
    async with sqlite_store.write_session() as w:
        assert isinstance(w, InlineSession)
        w.add(Person(name="Cilla Ceder", aad_object_id="ws-3"))
    assert statements == [] and "ws-3" in await _people(sqlite_store)


async def test_a_free_write_gate_is_taken_without_giving_up_the_loop(sqlite_store: Store) -> None:
    """A short write on SQLite does not wait a loop iteration for a free gate: under load an iteration is
    every other turn's work (``asyncio.wait_for`` ran the acquire as a task of its own: two iterations)."""
    other_ran = False

    def other() -> None:
        nonlocal other_ran
        other_ran = True

    asyncio.get_running_loop().call_soon(other)  # runs at the next loop iteration
    async with sqlite_store.write_session() as w:
        w.add(Person(name="Dora Dunge", aad_object_id="ws-free"))
    assert not other_ran  # the whole write happened before the loop went round
    await asyncio.sleep(0)
    assert other_ran and "ws-free" in await _people(sqlite_store)


async def test_writers_of_one_process_take_turns(sqlite_store: Store) -> None:
    """Inline write sessions and aiosqlite sessions, interleaved and awaiting inside: every write lands."""

    async def inline(i: int) -> None:
        async with sqlite_store.write_session() as w:
            w.add(Person(name=f"Inline {i}", aad_object_id=f"in-{i}"))
            await asyncio.sleep(0.001)  # yields to the loop while holding the write lock
            await w.flush()

    async def threaded(i: int) -> None:
        async with sqlite_store.session() as s:
            s.add(Person(name=f"Tråd {i}", aad_object_id=f"th-{i}"))
            await asyncio.sleep(0.001)

    await asyncio.wait_for(asyncio.gather(*(f(i) for i in range(25) for f in (inline, threaded))), 30)
    assert {f"{k}-{i}" for i in range(25) for k in ("in", "th")} <= await _people(sqlite_store)


async def test_while_another_process_writes_the_session_waits_off_the_loop(sqlite_store: Store) -> None:
    """Another writer (a ``tavla import`` beside the server) holds SQLite's write lock: the write session waits
    for it without stopping the loop, and its write lands when the lock is free."""
    path = sqlite_store.engine.url.database
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def write() -> None:
        async with sqlite_store.write_session() as w:
            assert not isinstance(w, InlineSession)  # the aiosqlite session: it waits on its thread
            w.add(Person(name="Efter Importen", aad_object_id="ws-after"))

    tick = asyncio.create_task(ticker())
    task = asyncio.create_task(write())
    await asyncio.sleep(0.4)
    assert not task.done() and ticks >= 10  # waiting, and the loop kept running
    other.execute("COMMIT")
    other.close()
    await asyncio.wait_for(task, 15)
    tick.cancel()
    assert "ws-after" in await _people(sqlite_store)


async def test_on_postgresql_reads_run_without_a_transaction(pg_store: Store) -> None:
    """Autocommit: no BEGIN/ROLLBACK round trips around a turn's reads. now() is the start of the transaction,
    so two reads a moment apart see two times; in a writing session (one transaction) they see one."""

    async def two_nows(reader: Any) -> tuple[Any, Any]:
        first = await reader.scalar(select(func.now()))
        await asyncio.sleep(0.02)
        return first, await reader.scalar(select(func.now()))

    async with pg_store.read_session() as r:
        first, second = await two_nows(r)
        assert second > first
    async with pg_store.read() as conn:
        first, second = await two_nows(conn)
        assert second > first
    async with pg_store.session() as s:
        first, second = await two_nows(s)
        assert second == first
