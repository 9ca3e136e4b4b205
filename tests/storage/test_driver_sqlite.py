"""``storage.driver.fetch_sqlite``: SQLite's inline reads straight on sqlite3. What it answers equals
SQLAlchemy's — checked for every read of every test by ``tests/conftest.py``'s ``driver_reads_checked`` — so these
tests pin the rest: that a turn's reads take it, that values come back as the column types give them, that a
write session's reads see its own writes, and that what it cannot or should not run goes to SQLAlchemy, errors
included."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import bindparam, column, event, select, table, type_coerce, update
from sqlalchemy.exc import OperationalError

import storage.driver as driver
from storage import indicators, people, plans
from storage.db import Store
from storage.demo import seed_demo
from storage.models import Activity, Indicator, IndicatorTarget, IndicatorValue, OrgUnit, Person
from storage.rows import as_row
from tests.storage.test_driver import Shouted, count_answers


@pytest.fixture
def answered(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    return count_answers(monkeypatch, "fetch_sqlite")


async def test_a_turns_reads_take_the_driver(sqlite_store: Store, answered: list[bool]) -> None:
    await seed_demo(sqlite_store, date(2018, 5, 15))
    async with sqlite_store.read_session() as s:
        aad = (await s.execute(select(Person.aad_object_id).where(Person.aad_object_id.is_not(None)))).scalars().first()
    answered.clear()
    async with sqlite_store.read() as conn:
        person = await people.person_by_aad(conn, aad)
        also, stored = await people.person_and_state(conn, aad, "msteams/conversations/a:c/users/29:u/tavla")
    async with sqlite_store.read_session() as s:
        infos = await indicators.indicators(s)
        activities = await plans.list_activities(s, year=2018)
        one = await plans.get_activity(s, activities[0].id)
    assert person is not None and also == person and stored is False
    assert infos and one == activities[0] or one in activities
    assert len(answered) >= 4 and all(answered), answered


def test_values_come_back_as_their_column_types_give_them(sqlite_store: Store) -> None:
    """SQLite stores text and numbers: Decimal for Numeric, aware UTC datetimes, dates, booleans and JSON lists
    are SQLAlchemy's result processors' work, and the driver's rows have them, of the same types."""
    statement = (select(IndicatorValue.value, IndicatorValue.recorded_at, IndicatorValue.period_start,
                        IndicatorValue.is_demo, IndicatorValue.note, Indicator.synonyms, IndicatorTarget.low)
                 .join(Indicator, Indicator.id == IndicatorValue.indicator_id)
                 .outerjoin(IndicatorTarget, IndicatorTarget.indicator_id == Indicator.id)
                 .order_by(IndicatorValue.id).limit(50))
    with sqlite_store._inline.connect() as sync:  # noqa: SLF001 - the read engine the inline sessions use
        rows = driver.fetch_sqlite(sync, statement, None)
        expected = sync.execute(statement).all()
    assert rows is not None and len(rows) == len(expected) > 0
    assert [[(type(v), v) for v in r] for r in rows] == [[(type(v), v) for v in r] for r in expected]
    value, recorded_at, period_start, is_demo, _note, synonyms, _low = rows[0]
    assert isinstance(value, Decimal) and isinstance(period_start, date) and isinstance(is_demo, bool)
    assert isinstance(recorded_at, datetime) and recorded_at.utcoffset().total_seconds() == 0
    assert any(isinstance(r.synonyms, list) and r.synonyms for r in rows)
    assert rows[0]._fields == ("value", "recorded_at", "period_start", "is_demo", "note", "synonyms", "low")


def test_bind_and_result_conversions_are_sqlalchemys(sqlite_store: Store) -> None:
    with sqlite_store._inline.connect() as sync:  # noqa: SLF001
        name = sync.execute(select(OrgUnit.name).order_by(OrgUnit.id).limit(1)).scalar_one()
        statement = (select(OrgUnit.id, type_coerce(OrgUnit.name, Shouted()).label("shouted"))
                     .where(OrgUnit.name == bindparam("name", type_=Shouted())))
        rows = driver.fetch_sqlite(sync, statement, {"name": name[::-1]})
    assert rows is not None and [r.shouted for r in rows] == [name.upper()]


async def test_a_write_sessions_reads_see_its_own_writes(sqlite_store: Store, answered: list[bool]) -> None:
    await seed_demo(sqlite_store, date(2018, 5, 15))
    async with sqlite_store.read_session() as s:
        first = (await plans.list_activities(s, year=2018))[0]
    answered.clear()
    async with sqlite_store.one_write_session() as s:
        await s.execute(update(Activity).where(Activity.id == first.id).values(title="Ändrad i transaktionen"))
        seen = await plans.get_activity(s, first.id)
    assert answered and all(answered)
    assert seen is not None and seen.title == "Ändrad i transaktionen"


async def test_what_it_should_not_run_goes_to_sqlalchemy(sqlite_store: Store) -> None:
    units = select(as_row(OrgUnit)).order_by(OrgUnit.id)
    with sqlite_store._inline.connect() as sync:  # noqa: SLF001
        all_ids = [u.id for u in driver.fetch_sqlite(sync, units, None) or []]
        assert len(all_ids) > 3
        expanding = select(OrgUnit.id).where(OrgUnit.id.in_(all_ids[:3])).order_by(OrgUnit.id)
        assert driver.fetch_sqlite(sync, expanding, None) is None  # an IN list is rendered per call
        assert driver.fetch_sqlite(sync, units.execution_options(yield_per=10), None) is None
        missing = select(table("no_such_table", column("x")))
        assert driver.fetch_sqlite(sync, missing, None) is None  # an error: SQLAlchemy runs it and raises
    async with sqlite_store.read_session() as s:
        assert [r.id for r in (await s.execute(expanding)).all()] == all_ids[:3]
        with pytest.raises(OperationalError, match="no_such_table"):
            await s.execute(missing)
    seen: list[str] = []
    event.listen(sqlite_store._inline, "before_cursor_execute", lambda *a: seen.append(a[2]))  # noqa: SLF001
    with sqlite_store._inline.connect() as sync:  # noqa: SLF001 - a listener sees every statement: none goes past it
        assert driver.fetch_sqlite(sync, units, None) is None
    async with sqlite_store.read_session() as s:
        assert [r.org_unit.id for r in (await s.execute(units)).all()] == all_ids
    assert seen and "FROM org_unit" in seen[-1]
