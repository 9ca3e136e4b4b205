"""The indicator repository: reading with goal and targets, idempotent recording with a log, undo."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from followup.errors import Conflict, Forbidden, UserError
from followup.indicators import Period
from storage import indicators as repo
from storage.db import Store
from storage.models import AdminLog, Indicator, IndicatorValue, OrgUnit, Person

AT = datetime(2018, 5, 15, 8, 0, tzinfo=timezone.utc)
MARCH = Period.month(2018, 3)


async def _ids(store: Store) -> tuple[int, int, int, int]:
    async with store.session() as s:
        frisk = (await s.execute(select(Indicator.id).where(Indicator.code == "frisknarvaro"))).scalar_one()
        og = (await s.execute(select(OrgUnit.id).where(OrgUnit.code == "OG"))).scalar_one()
        a = Person(name="Cecilia Carlsson", aad_object_id="c")
        b = Person(name="Erik Ek", aad_object_id="e")
        s.add_all([a, b])
        await s.flush()
        return frisk, og, a.id, b.id


async def _record(store: Store, value: str, person: int, **kwargs: object) -> repo.RecordResult:
    frisk, og = kwargs.pop("ids")  # type: ignore[misc]
    async with store.session() as s:
        return await repo.record_value(s, indicator_id=frisk, org_unit_id=og, period=MARCH, value=Decimal(value),
                                       source=kwargs.pop("source", "Heroma"), person_id=person, via="chat", at=AT,
                                       **kwargs)  # type: ignore[arg-type]


async def test_indicators_come_with_goal_and_targets_in_order(store: Store) -> None:
    async with store.session() as s:
        infos = await repo.indicators(s)
    assert len(infos) == 16 and infos[0].code == "nri"
    np = next(i for i in infos if i.code == "nationella-prov-ak3")
    assert [(t.year, t.low) for t in np.targets] == [(2018, Decimal(93)), (2019, Decimal(90))]
    assert np.goal_title == "Kunskap och kompetens" and np.goal_kind == "utmaningsomrade"
    turnover = next(i for i in infos if i.code == "personalomsattning")
    assert (turnover.targets[0].low, turnover.targets[0].high) == (Decimal(5), Decimal(8))
    async with store.session() as s:
        assert await repo.indicators(s, []) == []
        root = await repo.root_unit(s, 2018)
        assert root.code == "OG" and root.is_root
        values = await repo.values(s, [np.id], [root.id])
    assert [(v.period.code, v.value, v.kind) for v in values] == [("2015", Decimal(82), "utgangslage"),
                                                                  ("2016", Decimal(92), "utfall")]
    assert values[1].footnote == "Utfallet gäller läsåret 2016/2017"


async def test_record_is_idempotent_and_logged(store: Store) -> None:
    frisk, og, cecilia, _ = await _ids(store)
    first = await _record(store, "94.2", cecilia, ids=(frisk, og))
    assert first.outcome == "created" and first.previous is None and first.log_id is not None
    same = await _record(store, "94.20", cecilia, ids=(frisk, og))
    assert same.outcome == "unchanged" and same.log_id is None and same.value_id == first.value_id
    changed = await _record(store, "94.5", cecilia, ids=(frisk, og))
    assert changed.outcome == "updated" and changed.previous is not None and changed.previous["value"] == "94.2"
    async with store.session() as s:
        rows = (await s.execute(select(IndicatorValue).where(IndicatorValue.indicator_id == frisk))).scalars().all()
        logs = (await s.execute(select(AdminLog).where(AdminLog.action == repo.RECORDED)
                                .order_by(AdminLog.id))).scalars().all()
    assert len(rows) == 1 and rows[0].value == Decimal("94.5") and rows[0].recorded_by_id == cecilia
    assert [log.detail["outcome"] for log in logs] == ["created", "updated"]
    assert logs[1].detail["old"]["value"] == "94.2" and logs[1].detail["new"]["value"] == "94.5"


async def test_undo_restores_then_removes_and_refuses_the_rest(store: Store) -> None:
    frisk, og, cecilia, erik = await _ids(store)
    created = await _record(store, "94.2", cecilia, ids=(frisk, og))
    updated = await _record(store, "95.0", cecilia, ids=(frisk, og), source="Heroma rättad")
    async with store.session() as s:
        with pytest.raises(Forbidden):
            await repo.undo_record(s, updated.log_id or 0, person_id=erik, is_admin=False, at=AT)
    async with store.session() as s:
        result = await repo.undo_record(s, updated.log_id or 0, person_id=cecilia, is_admin=False, at=AT)
    assert result.outcome == "restored" and result.restored_value == Decimal("94.2")
    async with store.session() as s:
        row = (await s.execute(select(IndicatorValue).where(IndicatorValue.indicator_id == frisk))).scalar_one()
        assert (row.value, row.source) == (Decimal("94.2"), "Heroma")
        with pytest.raises(Conflict, match="redan ångrad"):
            await repo.undo_record(s, updated.log_id or 0, person_id=cecilia, is_admin=False, at=AT)
    async with store.session() as s:  # an admin may undo someone else's recording
        result = await repo.undo_record(s, created.log_id or 0, person_id=erik, is_admin=True, at=AT)
    assert result.outcome == "removed"
    async with store.session() as s:
        assert (await s.execute(select(IndicatorValue).where(IndicatorValue.indicator_id == frisk))).first() is None
        with pytest.raises(UserError):
            await repo.undo_record(s, 999_999, person_id=cecilia, is_admin=False, at=AT)


async def test_undo_refused_when_the_value_changed_since(store: Store) -> None:
    frisk, og, cecilia, erik = await _ids(store)
    created = await _record(store, "94.2", cecilia, ids=(frisk, og))
    await _record(store, "93.0", erik, ids=(frisk, og))
    async with store.session() as s:
        with pytest.raises(Conflict, match="ändrats sedan dess"):
            await repo.undo_record(s, created.log_id or 0, person_id=cecilia, is_admin=False, at=AT)


async def test_a_real_value_replaces_exempeldata_and_stops_being_demo(store: Store) -> None:
    frisk, og, cecilia, _ = await _ids(store)
    demo = await _record(store, "90.0", cecilia, ids=(frisk, og), is_demo=True)
    real = await _record(store, "94.2", cecilia, ids=(frisk, og))
    assert real.outcome == "updated" and real.value_id == demo.value_id
    async with store.session() as s:
        row = (await s.execute(select(IndicatorValue).where(IndicatorValue.id == real.value_id))).scalar_one()
    assert not row.is_demo and row.value == Decimal("94.2")


async def test_recorders_are_named_hr_first(store: Store) -> None:
    from storage.models import Membership

    async with store.session() as s:
        og = (await s.execute(select(OrgUnit.id).where(OrgUnit.code == "OG"))).scalar_one()
        hoo = (await s.execute(select(OrgUnit.id).where(OrgUnit.code == "HOO"))).scalar_one()
        people = [Person(name=n, aad_object_id=n) for n in ("Adam Admin", "Cecilia Carlsson", "Erik Ek", "Olle Other")]
        s.add_all(people)
        await s.flush()
        s.add_all([Membership(person_id=people[0].id, org_unit_id=og, role="admin"),
                   Membership(person_id=people[1].id, org_unit_id=og, role="hr"),
                   Membership(person_id=people[2].id, org_unit_id=og, role="controller"),
                   Membership(person_id=people[2].id, org_unit_id=og, role="ekonom"),
                   Membership(person_id=people[3].id, org_unit_id=hoo, role="chef")])
    async with store.session() as s:
        chain = await repo.unit_chain(s, hoo)
        assert [u.code for u in chain] == ["HOO", "OG"]
        found = await repo.recorders(s, [u.id for u in chain])
    assert found == [("Cecilia Carlsson", "hr"), ("Erik Ek", "controller"), ("Adam Admin", "admin")]


@pytest.mark.postgres
async def test_concurrent_recording_of_the_same_value_keeps_one_row(pg_store: Store) -> None:
    frisk, og, cecilia, erik = await _ids(pg_store)
    results = await asyncio.gather(*(_record(pg_store, "94.2", who, ids=(frisk, og)) for who in (cecilia, erik) * 3))
    async with pg_store.session() as s:
        count = await s.scalar(select(func.count()).select_from(IndicatorValue)
                               .where(IndicatorValue.indicator_id == frisk))
    assert count == 1
    assert [r.outcome for r in results].count("created") == 1
