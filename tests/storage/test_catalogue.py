"""``storage.catalogue``: the stamp every write to a catalogue table changes (database triggers, whoever
writes), and the per-process memo that keeps what was read at one stamp."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text

from storage.catalogue import BUDGET_STAMP, VALUES_STAMP, CatalogueMemo, current_stamp
from storage.db import Store
from storage.demo import seed_demo
from storage.models import Indicator, IndicatorTarget, IndicatorValue, OrgUnit, Person
from storage.people import person_by_aad

CATALOGUE_UPDATES = {
    "org_unit": "UPDATE org_unit SET name = name || '' WHERE id = (SELECT min(id) FROM org_unit)",
    "goal": "UPDATE goal SET title = title || '' WHERE id = (SELECT min(id) FROM goal)",
    "indicator": "UPDATE indicator SET name = name || '' WHERE id = (SELECT min(id) FROM indicator)",
    "indicator_target": "UPDATE indicator_target SET low = low WHERE id = (SELECT min(id) FROM indicator_target)",
    "budget_line": "UPDATE budget_line SET net_cost = net_cost WHERE id = (SELECT min(id) FROM budget_line)",
}
VALUES_WRITES = {  # the values stamp's tables (migration 0003): a value, and the name of who recorded it
    "indicator_value": "UPDATE indicator_value SET note = note WHERE id = (SELECT min(id) FROM indicator_value)",
    "person": "UPDATE person SET name = name WHERE id = (SELECT min(id) FROM person)",
}
BUDGET_WRITES = {  # the budget stamp's tables (migration 0004): what a budget card shows besides catalogue rows
    "utfall": "UPDATE utfall SET amount = amount WHERE id = (SELECT min(id) FROM utfall)",
    "budget_profile": "UPDATE budget_profile SET share = share WHERE id = (SELECT min(id) FROM budget_profile)",
    "budget_prognosis": "UPDATE budget_prognosis SET note = note WHERE id = (SELECT min(id) FROM budget_prognosis)",
    "budget_status": "UPDATE budget_status SET prognosis = prognosis WHERE id = (SELECT min(id) FROM budget_status)",
    "import_batch": "UPDATE import_batch SET via = via WHERE id = (SELECT min(id) FROM import_batch)",
    "person": VALUES_WRITES["person"],
}
OTHER_WRITES = [  # read every turn anyway: never kept, so they leave both stamps
    "DELETE FROM bot_state WHERE key = 'none'",
    "UPDATE activity SET version = version WHERE id = (SELECT min(id) FROM activity)",
]


async def _stamp(store: Store) -> int | None:
    async with store.read() as conn:
        return await current_stamp(conn)


async def _row_stamp(store: Store, column: Any) -> int | None:
    async with store.read() as conn:
        return (await conn.execute(select(column))).scalar()


async def _values_stamp(store: Store) -> int | None:
    return await _row_stamp(store, VALUES_STAMP)


async def _budget_stamp(store: Store) -> int | None:
    return await _row_stamp(store, BUDGET_STAMP)


async def _changes_its_own_stamp_only(store: Store, own: Any, write: str, catalogue_write: str) -> None:
    """``write`` changes the stamp ``own`` reads and leaves the catalogue's; ``catalogue_write`` the other way."""
    catalogue, before = await _stamp(store), await own(store)
    assert None not in (catalogue, before) and catalogue != before
    await _write(store, write)
    changed = await own(store)
    assert changed != before and await _stamp(store) == catalogue
    await _write(store, catalogue_write)
    assert await own(store) == changed and await _stamp(store) != catalogue


async def _write(store: Store, sql: str) -> None:
    async with store.session() as s:
        await s.execute(text(sql))


@pytest.mark.parametrize("table", sorted(CATALOGUE_UPDATES))
async def test_an_update_of_a_catalogue_table_changes_the_stamp(store: Store, table: str) -> None:
    async with store.read() as conn:
        assert (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar() > 0, "the seed has rows"
    before = await _stamp(store)
    assert before is not None
    assert await _stamp(store) == before  # read again, nothing written: the same
    await _write(store, CATALOGUE_UPDATES[table])
    assert await _stamp(store) not in (None, before)


async def test_inserts_and_deletes_change_it_and_a_rolled_back_write_does_not(store: Store) -> None:
    before = await _stamp(store)
    async with store.session() as s:
        unit = OrgUnit(code="NY-1", name="Ny enhet", kind="enhet", valid_from=2018)
        s.add(unit)
    inserted = await _stamp(store)
    assert inserted != before
    async with store.session() as s:
        await s.delete(await s.get(OrgUnit, unit.id))
    deleted = await _stamp(store)
    assert deleted != inserted

    with pytest.raises(RuntimeError):
        async with store.session() as s:
            target = (await s.execute(select(IndicatorTarget).limit(1))).scalar_one()
            target.low = 1
            await s.flush()  # the trigger has run, in this transaction
            raise RuntimeError("rolled back")
    assert await _stamp(store) == deleted


async def test_writes_to_other_tables_leave_it(store: Store) -> None:
    async with store.session() as s:
        s.add(Person(name="Någon", aad_object_id="aad-someone"))
    before = await _stamp(store), await _values_stamp(store), await _budget_stamp(store)
    for sql in OTHER_WRITES:
        await _write(store, sql)
    assert (await _stamp(store), await _values_stamp(store), await _budget_stamp(store)) == before


@pytest.mark.parametrize("table", sorted(VALUES_WRITES))
async def test_values_and_people_change_the_values_stamp_and_leave_the_catalogues(store: Store, table: str) -> None:
    """A value reported (or a name changed) drops the kept values, not the kept catalogue nor the recogniser's
    names; a catalogue write leaves the kept values."""
    await seed_demo(store, date(2018, 5, 15))
    await _changes_its_own_stamp_only(store, _values_stamp, VALUES_WRITES[table], CATALOGUE_UPDATES["indicator"])


async def test_a_value_inserted_or_deleted_changes_the_values_stamp_and_a_rollback_does_not(store: Store) -> None:
    async with store.session() as s:
        indicator = (await s.execute(select(Indicator.id).limit(1))).scalar_one()
        unit = (await s.execute(select(OrgUnit.id).limit(1))).scalar_one()
    before = await _values_stamp(store)
    async with store.session() as s:
        value = IndicatorValue(indicator_id=indicator, org_unit_id=unit, period="2018-03",
                               period_start=date(2018, 3, 1), period_end=date(2018, 3, 31), value=Decimal("95.1"),
                               kind="matning", via="import", recorded_at=datetime(2018, 4, 2, tzinfo=timezone.utc))
        s.add(value)
    inserted = await _values_stamp(store)
    assert inserted != before
    with pytest.raises(RuntimeError):
        async with store.session() as s:
            await s.delete(await s.get(IndicatorValue, value.id))
            await s.flush()  # the trigger has run, in this transaction
            raise RuntimeError("rolled back")
    assert await _values_stamp(store) == inserted
    async with store.session() as s:
        await s.delete(await s.get(IndicatorValue, value.id))
    assert await _values_stamp(store) not in (None, inserted)


@pytest.mark.parametrize("table", sorted(BUDGET_WRITES))
async def test_budget_figures_change_the_budget_stamp_and_leave_the_catalogues(store: Store, table: str) -> None:
    """Utfall, a profile, a prognosis, an aggregate, an import batch (its demo mark) or a name drop the kept
    budget lines, not the kept catalogue; a catalogue write leaves the budget stamp (the memo keys on both)."""
    await seed_demo(store, date(2018, 5, 15))
    async with store.read() as conn:
        assert (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar() > 0, "the demo has rows"
    assert await _budget_stamp(store) not in (None, await _values_stamp(store))
    await _changes_its_own_stamp_only(store, _budget_stamp, BUDGET_WRITES[table], CATALOGUE_UPDATES["budget_line"])


async def test_the_caller_lookup_reads_it_in_the_same_statement(store: Store) -> None:
    async with store.session() as s:
        s.add(Person(name="Någon", aad_object_id="aad-someone"))
    async with store.read() as conn:
        person = await person_by_aad(conn, "aad-someone")
    assert person is not None and person.catalogue_stamp == await _stamp(store)
    assert person.values_stamp == await _values_stamp(store) is not None
    assert person.budget_stamp == await _budget_stamp(store) is not None
    await _write(store, CATALOGUE_UPDATES["indicator"])
    async with store.read() as conn:
        again = await person_by_aad(conn, "aad-someone")
    assert again == person and again.catalogue_stamp == await _stamp(store) != person.catalogue_stamp


# --- the memo ---------------------------------------------------------------------------------


class Reads:
    def __init__(self) -> None:
        self.count = 0
        self.gate: asyncio.Event | None = None

    async def __call__(self) -> int:
        self.count += 1
        if self.gate is not None:
            await self.gate.wait()
        return self.count


async def test_the_memo_reads_once_per_stamp_and_key() -> None:
    memo, read = CatalogueMemo(), Reads()
    assert await memo._get(7, "k", read) == 1
    assert await memo._get(7, "k", read) == 1 and read.count == 1
    assert await memo._get(7, "other", read) == 2
    assert await memo._get(8, "k", read) == 3  # a new stamp: everything read again
    assert await memo._get(8, "other", read) == 4
    assert memo.reads == 4
    # a turn that read stamp 7 before the write that made it 8: read from the store, 8's kept stay kept
    assert await memo._get(7, "k", read) == 5
    assert await memo._get(8, "k", read) == 3 and await memo._get(8, "other", read) == 4
    assert await memo._get(9, "k", read) == 6  # a write: 8 is superseded too
    assert await memo._get(8, "k", read) == 7 and await memo._get(9, "k", read) == 6


async def test_without_a_stamp_it_always_reads() -> None:
    memo, read = CatalogueMemo(), Reads()
    await memo._get(None, "k", read)
    await memo._get(None, "k", read)
    assert read.count == 2


async def test_a_read_overtaken_by_a_new_stamp_is_not_kept() -> None:
    memo, read = CatalogueMemo(), Reads()
    read.gate = asyncio.Event()
    slow = asyncio.create_task(memo._get(7, "k", read))  # read at stamp 7, still running …
    await asyncio.sleep(0)
    fast = Reads()
    assert await memo._get(8, "other", fast) == 1  # … when a turn brings stamp 8
    read.gate.set()
    assert await slow == 1  # its turn gets what it read
    read.gate = None
    assert await memo._get(8, "k", read) == 2  # but 8 does not keep 7's read
    assert await memo._get(8, "k", read) == 2


async def test_a_size_budget_keeps_the_first_values_and_reads_the_rest() -> None:
    """The values memo counts values, not entries (``VALUES_KEPT_ROWS``): what does not fit is read each time."""
    memo = CatalogueMemo(kept=5)
    calls: list[str] = []

    def rows(key: str, n: int):  # type: ignore[no-untyped-def]
        async def read() -> list[int]:
            calls.append(key)
            return list(range(n))
        return read

    assert await memo._get(1, "three", rows("three", 3), size=len) == [0, 1, 2]
    assert await memo._get(1, "empty", rows("empty", 0), size=len) == []  # counts as one
    assert await memo._get(1, "two", rows("two", 2), size=len) == [0, 1]  # 3 + 1 + 2 > 5: not kept
    for key, n in (("three", 3), ("empty", 0), ("two", 2)):
        await memo._get(1, key, rows(key, n), size=len)
    assert calls == ["three", "empty", "two", "two"]
    assert await memo._get(2, "two", rows("two", 2), size=len) == [0, 1]  # a new stamp: room again
    await memo._get(2, "two", rows("two", 2), size=len)
    assert calls[-2:] == ["two", "two"] and len(calls) == 5
