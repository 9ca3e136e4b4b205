"""The scale generator (bench/scale.py) on both backends, at a tiny fraction of the full size."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bench.scale import FULL, fill
from storage import models
from storage.db import Store

REAL = (models.Person, models.OrgUnit, models.Activity, models.ActionPlan, models.IndicatorValue,
        models.BudgetLine, models.Utfall, models.Goal)
TINY = FULL.scaled(0.002)  # 120 people, 6 enheter, 60 activities, 1 indicator (ten years), 6 verksamheter


async def _count(store: Store, model: type[models.Base], *where: object) -> int:
    async with store.session() as s:
        return (await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one()


async def test_fill_adds_the_sizes_asked_for_all_marked_demo(store: Store) -> None:
    people_before = await _count(store, models.Person)
    values_before = await _count(store, models.IndicatorValue)
    real_before = {m: await _count(store, m, m.is_demo.is_(False)) for m in REAL}
    report = await fill(store, TINY)
    assert report.rows["person"] == TINY.people and report.rows["org_unit"] == TINY.enheter
    assert report.rows["activity"] == TINY.activities
    assert report.rows["activity_update"] == TINY.activities * TINY.updates_per_activity
    areas = await _count(store, models.OrgUnit, models.OrgUnit.kind == "verksamhetsomrade")
    # ten years of monthly values for the kommun and every area
    assert report.rows["indicator_value"] == TINY.indicators * (1 + areas) * 120
    # ten years of budget lines; monthly utfall through April of the last year
    assert report.rows["budget_line"] == TINY.verksamheter * 10
    assert report.rows["utfall"] == TINY.verksamheter * (9 * 12 + 4)
    assert await _count(store, models.Person) == people_before + TINY.people
    assert await _count(store, models.IndicatorValue) == values_before + report.rows["indicator_value"]
    assert {m: await _count(store, m, m.is_demo.is_(False)) for m in REAL} == real_before  # all marked demo
    assert await _count(store, models.Person, models.Person.is_demo.is_(True)) == TINY.people
    assert await _count(store, models.Indicator, models.Indicator.source == "skalgenerator (exempeldata)") == TINY.indicators
    try:
        import storage.budget  # noqa: F401 - the stored aggregates exist only with the budget feature
    except ImportError:
        pass
    else:
        lines = await _count(store, models.BudgetLine)
        assert await _count(store, models.BudgetStatus) == lines  # every line of every year has its aggregate


async def test_fill_keeps_sequences_usable_and_refuses_twice(store: Store) -> None:
    await fill(store, TINY, recompute=False)
    async with store.session() as s:  # ids allocated by the generator: the next insert must not collide
        person = models.Person(name="Ny Person", aad_object_id="ny-aad")
        s.add(person)
        await s.flush()
        assert person.id == (await s.execute(select(func.max(models.Person.id)))).scalar_one()
    with pytest.raises(RuntimeError, match="already holds"):
        await fill(store, TINY, recompute=False)
