"""``storage.driver``: PostgreSQL reads straight on asyncpg. What it answers equals SQLAlchemy's — checked for
every read of every PostgreSQL test by ``tests/conftest.py``'s ``driver_reads_checked`` — so these tests pin
the rest: that the turn's reads really take it, that values come back as the column types give them, and that
what it cannot or should not run goes to SQLAlchemy, errors included."""

from __future__ import annotations

import inspect
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import String, bindparam, event, select, type_coerce
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeDecorator

import storage.driver as driver
from storage import budget, indicators, people, plans
from storage.db import Store
from storage.demo import seed_demo
from storage.models import Indicator, IndicatorTarget, IndicatorValue, OrgUnit, Person
from storage.rows import as_row
from tests.storage.test_pg_idle_ping import _kill

pytestmark = pytest.mark.postgres


async def _pid(reads: Any) -> int:
    return int(await (await (await reads.ensure()).get_raw_connection()).driver_connection.fetchval("SELECT pg_backend_pid()"))


def count_answers(monkeypatch: pytest.MonkeyPatch, name: str) -> list[bool]:
    """One entry per read offered to ``storage.driver``'s ``name`` (``fetch``, ``fetch_sqlite``): True when it
    answered, False when SQLAlchemy ran it."""
    seen: list[bool] = []
    fetch = getattr(driver, name)

    def counted(rows: Any) -> Any:
        seen.append(rows is not None)
        return rows

    async def counting_async(*args: Any) -> Any:
        return counted(await fetch(*args))

    def counting(*args: Any) -> Any:
        return counted(fetch(*args))

    monkeypatch.setattr(driver, name, counting_async if inspect.iscoroutinefunction(fetch) else counting)
    return seen


@pytest.fixture
def answered(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    return count_answers(monkeypatch, "fetch")


async def test_a_turns_reads_take_the_driver(pg_store: Store, answered: list[bool]) -> None:
    await seed_demo(pg_store, date(2018, 5, 15))
    async with pg_store.read_session() as s:
        aad = (await s.execute(select(Person.aad_object_id).where(Person.aad_object_id.is_not(None)))).scalars().first()
        lines = await budget.line_figures(s, 2018)  # the whole year: its manual prognoses' notes take an IN list
    answered.clear()
    async with pg_store.read() as conn:
        person = await people.person_by_aad(conn, aad)
        also, stored = await people.person_and_state(conn, aad, "msteams/conversations/a:c/users/29:u/tavla")
    async with pg_store.read_session() as s:
        infos = await indicators.indicators(s)
        root = await indicators.root_unit(s, 2018)
        values = await indicators.values(s, [infos[0].id], [root.id])
        activities = await plans.list_activities(s, year=2018)
        one = await plans.get_activity(s, activities[0].id)
        line = await budget.line_figures(s, 2018, line_ids=[lines[0].line_id])  # a budget question's read
    assert person is not None and also == person and stored is False
    assert infos and values and one == activities[0] or one in activities
    assert line == lines[:1]
    assert len(answered) >= 8 and all(answered), answered


async def test_values_come_back_as_their_column_types_give_them(pg_store: Store) -> None:
    """Decimal for Numeric, aware UTC datetimes (a TypeDecorator's own conversion), dates, booleans, JSON lists,
    NULL — the same objects, of the same types, as SQLAlchemy gives."""
    await seed_demo(pg_store, date(2018, 5, 15))
    statement = (select(IndicatorValue.value, IndicatorValue.recorded_at, IndicatorValue.period_start,
                        IndicatorValue.is_demo, IndicatorValue.note, Indicator.synonyms, IndicatorTarget.low)
                 .join(Indicator, Indicator.id == IndicatorValue.indicator_id)
                 .outerjoin(IndicatorTarget, IndicatorTarget.indicator_id == Indicator.id)
                 .order_by(IndicatorValue.id).limit(50))
    async with pg_store.read_session() as s:
        rows = await driver.fetch(await s.ensure(), statement, None)
        expected = (await (await s.ensure()).execute(statement)).all()
    assert rows is not None and len(rows) == len(expected) == 50
    assert [[(type(v), v) for v in r] for r in rows] == [[(type(v), v) for v in r] for r in expected]
    value, recorded_at, period_start, is_demo, _note, synonyms, _low = rows[0]
    assert isinstance(value, Decimal) and isinstance(period_start, date) and isinstance(is_demo, bool)
    assert isinstance(recorded_at, datetime) and recorded_at.utcoffset().total_seconds() == 0
    assert any(isinstance(r.synonyms, list) and r.synonyms for r in rows)
    assert rows[0]._fields == ("value", "recorded_at", "period_start", "is_demo", "note", "synonyms", "low")


class Shouted(TypeDecorator):
    """Upper case out, reversed in: conversions no column of ours makes visibly on PostgreSQL (asyncpg already
    gives what they would), so the driver's use of SQLAlchemy's bind and result processors is seen here."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return value[::-1] if isinstance(value, str) else value

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


async def test_bind_and_result_conversions_are_sqlalchemys(pg_store: Store) -> None:
    async with pg_store.read_session() as s:
        name = (await s.execute(select(OrgUnit.name).order_by(OrgUnit.id).limit(1))).scalar_one()
        statement = (select(OrgUnit.id, type_coerce(OrgUnit.name, Shouted()).label("shouted"))
                     .where(OrgUnit.name == bindparam("name", type_=Shouted())))
        rows = await driver.fetch(await s.ensure(), statement, {"name": name[::-1]})
    assert rows is not None and [r.shouted for r in rows] == [name.upper()]


async def test_what_it_should_not_run_goes_to_sqlalchemy(pg_store: Store) -> None:
    units = select(as_row(OrgUnit)).order_by(OrgUnit.id)
    async with pg_store.read_session() as s:
        all_ids = [u.id for u in (await driver.fetch(await s.ensure(), units, None)) or []]
        assert len(all_ids) > 3
        expanding = select(OrgUnit.id).where(OrgUnit.id.in_(all_ids[:3])).order_by(OrgUnit.id)
        assert await driver.fetch(await s.ensure(), expanding, None) is None  # an IN list is rendered per call
        assert [r.id for r in (await s.execute(expanding)).all()] == all_ids[:3]  # …and read by SQLAlchemy
        with_options = units.execution_options(yield_per=10)
        assert await driver.fetch(await s.ensure(), with_options, None) is None
    seen: list[str] = []
    event.listen(pg_store.engine.sync_engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    async with pg_store.read_session() as s:  # a listener sees every statement: none goes past it
        assert await driver.fetch(await s.ensure(), units, None) is None
        assert [r.org_unit.id for r in (await s.execute(units)).all()] == all_ids
    assert seen and "FROM org_unit" in seen[-1]
    async with pg_store.session() as s:  # not in autocommit: SQLAlchemy's transaction is where reads belong
        assert not driver.usable(await s.connection())
    no_prepared = Store.from_url(str(pg_store.engine.url.update_query_dict({"prepared_statement_cache_size": "0"})))
    try:  # PgBouncer's transaction pooling: nothing may be prepared
        async with no_prepared.read_session() as s:
            assert not driver.usable(await s.ensure())
    finally:
        await no_prepared.dispose()


@pytest.mark.driver_unchecked  # SQLAlchemy has not prepared the statement: only the driver's copy goes stale
async def test_a_table_changed_under_a_prepared_statement(pg_store: Store, answered: list[bool]) -> None:
    """A column's type changes (a migration on a running server): the prepared statement no longer fits, the
    read goes to SQLAlchemy — which answers it — and the next one is prepared anew."""
    statement = select(Person.id, Person.name).order_by(Person.id)
    async with pg_store.read_session() as s:
        before = (await s.execute(statement)).all()
        pid = await _pid(s)
    async with pg_store.engine.begin() as conn:
        await conn.exec_driver_sql("ALTER TABLE person ALTER COLUMN name TYPE text")
    pids = []
    for _ in range(4):  # until the connection holding the old statement is handed out again
        async with pg_store.read_session() as s:
            assert (await s.execute(statement)).all() == before
            pids.append(await _pid(s))
    assert pid in pids
    assert answered[0] is True and False in answered and answered[-1] is True


@pytest.mark.nested_checkouts  # a read session beside the write session: what another connection sees
async def test_in_a_write_session_reads_take_the_driver_inside_the_transaction(pg_store: Store,
                                                                              answered: list[bool]) -> None:
    """Once SQLAlchemy's transaction has begun on the connection, a read goes straight to asyncpg and runs in
    that transaction: it sees the session's own uncommitted rows, which no other connection sees, and goes
    with them when the transaction is rolled back."""
    statement = select(Person.id, Person.name).where(Person.name.like("Mitt i %")).order_by(Person.id)
    answered.clear()
    with pytest.raises(RuntimeError, match="roll back"):
        async with pg_store.session() as s:
            assert (await s.execute(statement)).all() == []  # the transaction's first statement begins it
            assert answered == []  # …through SQLAlchemy: not offered to the driver before that
            s.add(Person(name="Mitt i transaktionen"))
            await s.flush()
            inside = (await s.execute(statement)).all()
            assert [name for _, name in inside] == ["Mitt i transaktionen"] and answered == [True]
            async with pg_store.read_session() as other:
                assert (await other.execute(statement)).all() == []
            raise RuntimeError("roll back")
    async with pg_store.read_session() as after:
        assert (await after.execute(statement)).all() == []
    async with pg_store.session() as s:  # a write begins the transaction: the read after it is the driver's
        s.add(Person(name="Mitt i nästa"))
        await s.flush()
        answered.clear()
        assert [name for _, name in (await s.execute(statement)).all()] == ["Mitt i nästa"]
        assert answered == [True]


async def test_a_killed_connection_fails_as_sqlalchemy_fails_and_is_replaced(pg_store: Store) -> None:
    statement = select(OrgUnit.id).order_by(OrgUnit.id).limit(1)
    async with pg_store.read_session() as s:
        pid = await _pid(s)
        assert await driver.fetch(await s.ensure(), statement, None) is not None
    await _kill(pid)
    with pytest.raises(DBAPIError) as raised:  # the pool hands the same connection out (idle < 5 s: not pinged)
        async with pg_store.read_session() as s:
            await s.execute(statement)
    assert raised.value.connection_invalidated
    async with pg_store.read_session() as s:  # a new connection: reads work again
        assert (await s.execute(statement)).all()


# --- a read session's pool connection, taken alone (``driver.Checkout``) -------------------------------------


@pytest.mark.driver_unchecked  # the differential check would put SQLAlchemy's Connection around it
async def test_a_read_session_the_driver_answers_takes_no_sqlalchemy_connection(pg_store: Store,
                                                                                 monkeypatch: pytest.MonkeyPatch
                                                                                 ) -> None:
    from sqlalchemy.ext.asyncio import AsyncEngine

    connects: list[object] = []
    connect = AsyncEngine.connect

    def counted(self: AsyncEngine) -> Any:
        connects.append(self)
        return connect(self)

    monkeypatch.setattr(AsyncEngine, "connect", counted)
    pool = pg_store.engine.sync_engine.pool
    first = select(OrgUnit.id).order_by(OrgUnit.id).limit(1)
    async with pg_store.read_session() as s:
        assert await s.execute(first) is not None
        assert s.connection is None and connects == [] and pool.checkedout() == 1
        pid = await s._checkout.pooled.driver_connection.fetchval("SELECT pg_backend_pid()")  # noqa: SLF001
        # an IN list is rendered per call: SQLAlchemy runs it, on the same pool connection, in autocommit
        expanding = select(OrgUnit.id).where(OrgUnit.id.in_([1, 2, 3])).order_by(OrgUnit.id)
        assert [i for (i,) in (await s.execute(expanding)).all()] == [1, 2, 3]
        assert s.connection is not None and connects == [] and pool.checkedout() == 1
        assert await _pid(s) == pid
        assert not (await s.connection.get_raw_connection()).driver_connection.is_in_transaction()  # autocommit
        assert (await s.execute(first)).all()  # the driver again, through SQLAlchemy's connection
    assert pool.checkedout() == 0
    async with pg_store.read_session() as s:  # back in the pool as it was: no transaction left open on it
        assert (await s.execute(first)).all()
        assert await s._checkout.pooled.driver_connection.fetchval("SELECT pg_backend_pid()") == pid  # noqa: SLF001
        assert not s._checkout.pooled.driver_connection.is_in_transaction()  # noqa: SLF001
    assert pool.checkedout() == 0


@pytest.mark.driver_unchecked  # the differential check takes connections of its own
@pytest.mark.nested_checkouts  # a second read session inside the first: the pool must open a connection
@pytest.mark.filterwarnings("ignore:coroutine 'connect' was never awaited")  # the checkout that had to await
async def test_an_idle_connection_is_taken_without_a_greenlet_and_one_that_must_be_opened_with_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from storage.migrate import upgrade
    from storage.pool import FairPool
    from tests.conftest import own_pg_store

    spawned: list[object] = []
    spawn = driver.greenlet_spawn

    async def counted(fn: Any, *args: Any) -> Any:
        spawned.append(fn)
        return await spawn(fn, *args)

    monkeypatch.setattr(driver, "greenlet_spawn", counted)
    statement = select(OrgUnit.id).limit(1)
    async with own_pg_store(pool_size=2) as store:
        await upgrade(store)
        await store.engine.dispose()  # no connection in the pool
        pool = store.engine.sync_engine.pool
        async with store.read_session() as s:
            await s.execute(statement)
        assert spawned == [pool.connect]  # none idle: in a greenlet (the connection is opened)
        spawned.clear()
        async with store.read_session() as s:
            await s.execute(statement)
            async with store.read_session() as other:  # a second, while the first is held: opened in a greenlet
                await other.execute(statement)
        assert spawned == [pool.connect] and pool.checkedout() == 0
        spawned.clear()
        for _ in range(3):
            async with store.read_session() as s:
                await s.execute(statement)
        assert spawned == []  # idle, used moments ago: taken at once
        # ready, but wrong about it (a stand-in for a state it did not foresee): the checkout that has to await
        # raises before anything changed, and is taken again in a greenlet
        await store.engine.dispose()  # a new pool, empty
        pool = store.engine.sync_engine.pool
        monkeypatch.setattr(FairPool, "ready", lambda self: True)
        async with store.read_session() as s:
            assert (await s.execute(statement)).all() is not None
            assert pool.checkedout() == 1
        assert spawned == [pool.connect] and pool.checkedout() == 0


@pytest.mark.parametrize("url", ["postgresql+asyncpg://postgres@127.0.0.1:1/test",  # nothing listens
                                 "postgresql+asyncpg://postgres@127.0.0.1:5432/tavla_no_such_database"])
async def test_a_checkout_that_fails_raises_what_sqlalchemys_connect_raises(url: str) -> None:
    store = Store.from_url(url)
    try:
        with pytest.raises(Exception) as sqlalchemys:
            await store.engine.connect()
        with pytest.raises(Exception) as alone:
            async with store.read_session() as s:
                await s.execute(select(OrgUnit.id).limit(1))
        assert type(alone.value) is type(sqlalchemys.value) and str(alone.value) == str(sqlalchemys.value)
        assert store.engine.sync_engine.pool.checkedout() == 0
    finally:
        await store.dispose()


async def test_a_closed_connections_prepared_statements_go_with_it() -> None:
    """A connection the pool closes (one found dead and replaced, one invalidated) takes its prepared statements
    with it; they do not stay alive in a cache (when they did, with an overflow connection closed on every burst,
    the peak memory of a long benchmark run grew by 40 MB)."""
    import gc
    import weakref

    from storage.migrate import upgrade
    from tests.conftest import own_pg_store

    async with own_pg_store(pool_size=1) as store:
        await upgrade(store)
        statement = select(OrgUnit.id).order_by(OrgUnit.id)
        used: list[weakref.ref[Any]] = []
        for _ in range(3):
            async with store.read_session() as reads:
                assert await driver.fetch(await reads.ensure(), statement, None) is not None
                used.append(weakref.ref((await (await reads.ensure()).get_raw_connection()).driver_connection))
                await (await reads.ensure()).invalidate()  # the pool closes it as it comes back
        async with store.read_session() as reads:  # a new connection in the record of the last one
            assert await driver.fetch(await reads.ensure(), statement, None) is not None
            kept = (await (await reads.ensure()).get_raw_connection()).driver_connection
        del reads
        gc.collect()
        alive = [c for c in (ref() for ref in used) if c is not None]
        assert alive == [], f"{len(alive)} closed connections alive"  # closed, with their plans
        del alive
        async with store.read_session() as reads:  # the pooled one keeps its statements
            pooled = await (await reads.ensure()).get_raw_connection()
            assert pooled.driver_connection is kept
            assert list(pooled.info[driver._PLANS_KEY]) == [str(statement.compile(store.engine.sync_engine))]


# --- writes: Spara's one statement, run once or not at all -------------------------------------------------


@pytest.fixture
def written(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    return count_answers(monkeypatch, "write")


@pytest.fixture
def sqlalchemy_writes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The writes SQLAlchemy ran (an engine listener would keep every statement from the driver)."""
    from sqlalchemy.ext.asyncio import AsyncConnection

    seen: list[str] = []
    execute = AsyncConnection.execute

    async def recorded(self: AsyncConnection, statement: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(statement, "is_dml", False):
            seen.append(str(statement).split()[0])
        return await execute(self, statement, *args, **kwargs)

    monkeypatch.setattr(AsyncConnection, "execute", recorded)
    return seen


async def _spara(store: Store, progress: int, *, person_id: int | None = None) -> plans.Outcome:
    """Spara on "Lärplattor på varje avdelning", as the card's handler runs it (``Store.one_write_session``)."""
    async with store.read_session() as s:
        view = await _spara_view(s)
    async with store.one_write_session() as s:
        return await plans.update_activity(s, view.id, view.version, {"progress": progress}, person_id=person_id,
                                           via="card", at=datetime(2018, 5, 15, 7, 14).astimezone(),
                                           current=view, editor_name=None if person_id is None else "?")


async def _logged(store: Store, update_id: int) -> Any:
    async with store.read_session() as s:
        return await plans.get_update(s, update_id)


async def test_spara_writes_through_the_driver_once(pg_store: Store, written: list[bool],
                                                    sqlalchemy_writes: list[str]) -> None:
    await seed_demo(pg_store, date(2018, 5, 15))
    logs = await _log_count(pg_store)
    outcome = await _spara(pg_store, 65)
    assert outcome.applied and outcome.update is not None
    assert written == [True] and sqlalchemy_writes == []
    assert isinstance(outcome.update.id, int)
    stored = await _logged(pg_store, outcome.update.id)  # the log row the driver's RETURNING named
    assert stored is not None and stored.new == {"progress": 65} and stored.activity_id == outcome.activity.id
    stale = await _spara_at(pg_store, outcome.activity.id, outcome.activity.version - 1)
    assert not stale.applied and stale.activity == outcome.activity
    assert written == [True, True] and await _log_count(pg_store) == logs + 1  # no row back, nothing written


async def _spara_at(store: Store, activity_id: int, version: int) -> plans.Outcome:
    """Spara of a card at ``version``, as if the card had that version (its values are not read first)."""
    async with store.read_session() as s:
        view = await plans.get_activity(s, activity_id)
    assert view is not None
    async with store.one_write_session() as s:
        return await plans.update_activity(s, activity_id, version, {"progress": 10}, person_id=None, via="card",
                                           at=datetime(2018, 5, 15, 7, 15).astimezone(),
                                           current=replace(view, version=version))


async def _log_count(store: Store) -> int:
    async with store.read_session() as s:
        return len(await plans.history(s, (await _spara_view(s)).id, limit=1000))


async def _spara_view(s: Any) -> plans.ActivityView:
    return next(v for v in await plans.list_activities(s, year=2018) if v.title == "Lärplattor på varje avdelning")


async def test_a_write_the_server_refuses_goes_to_sqlalchemy_which_raises_as_before(
        pg_store: Store, written: list[bool], sqlalchemy_writes: list[str]) -> None:
    """A constraint broken (an editor who does not exist): in autocommit the server rolled the statement back,
    so SQLAlchemy may run it again — and raises the IntegrityError it always raised. Nothing is written."""
    from sqlalchemy.exc import IntegrityError

    await seed_demo(pg_store, date(2018, 5, 15))
    before = (await _spara(pg_store, 40)).activity
    with pytest.raises(IntegrityError):
        await _spara(pg_store, 41, person_id=987_654)
    assert written == [True, False] and sqlalchemy_writes == ["WITH"]
    async with pg_store.read_session() as s:
        assert await plans.get_activity(s, before.id) == before


async def test_a_connection_lost_during_a_write_is_not_run_again(pg_store: Store, written: list[bool],
                                                                 sqlalchemy_writes: list[str]) -> None:
    """The server's process killed under a prepared write: whether it committed is unknown, so it is not run
    again; the turn gets SQLAlchemy's OperationalError with ``connection_invalidated`` (a transient failure:
    "tillfälligt fel"), and the next write, on a new connection, works."""
    from bot.dispatch import is_transient

    await seed_demo(pg_store, date(2018, 5, 15))
    first = await _spara(pg_store, 30)  # prepares the statement on the pool's connection
    async with pg_store.read_session() as s:
        pid = await _pid(s)
    await _kill(pid)
    with pytest.raises(DBAPIError) as raised:  # the pool hands out the same connection (idle < 5 s: not pinged)
        await _spara_at(pg_store, first.activity.id, first.activity.version)
    assert raised.value.connection_invalidated and is_transient(raised.value)
    assert sqlalchemy_writes == []  # not run a second time
    again = await _spara_at(pg_store, first.activity.id, first.activity.version)
    assert again.applied and written[-1] is True


async def test_statements_alike_but_for_their_values_keep_their_own_values(pg_store: Store) -> None:
    """The driver keeps a statement's compiled form by the statement object: two statements that differ only in
    a literal value compile to the same SQL, and each runs with its own value."""
    async with pg_store.read_session() as s:
        ids = [r.id for r in (await s.execute(select(OrgUnit.id).order_by(OrgUnit.id))).all()]
        assert len(ids) >= 2
        for wanted in (ids[0], ids[1], ids[0]):
            statement = select(OrgUnit.id).where(OrgUnit.id == wanted)  # the value is a literal, not a bindparam
            rows = await driver.fetch(await s.ensure(), statement, None)
            assert rows is not None and [r.id for r in rows] == [wanted]
