"""Exempeldata for indicators: plausible, deterministic, always is_demo, never over a real value."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import select

from followup.indicators import Period
from storage import demo_indicators
from storage.db import Store
from storage.demo import seed_demo
from storage.indicators import record_value
from storage.models import Indicator, IndicatorValue, OrgUnit


def test_demo_values_are_deterministic_and_plausible() -> None:
    values = demo_indicators.demo_values(2018, Period.month(2018, 4))
    assert values == demo_indicators.demo_values(2018, Period.month(2018, 4))
    units = len(demo_indicators.UNITS)
    assert len(values) == units * (16 * 2 + 1)  # Jan 2017 – Apr 2018 monthly, and HME 2017
    frisk = [v for c, _, _, v in values if c == "frisknarvaro"]
    turnover = {u: v for c, u, p, v in values if c == "personalomsattning" and p.code == "2018-04"}
    assert all(Decimal(85) < v < Decimal(100) for v in frisk)
    assert turnover["Hälsa och omsorg"] > 8 and turnover["DEMO-HUMLAN"] < 5  # both ways out of the 5–8 % interval
    assert {p.code for c, _, p, _ in values if c == "hme"} == {"2017"}


async def test_seeded_demo_values_are_marked_and_leave_real_values_alone(store: Store) -> None:
    async with store.session() as s:
        frisk = (await s.execute(select(Indicator.id).where(Indicator.code == "frisknarvaro"))).scalar_one()
        og = (await s.execute(select(OrgUnit.id).where(OrgUnit.code == "OG"))).scalar_one()
        await record_value(s, indicator_id=frisk, org_unit_id=og, period=Period.month(2018, 3), value=Decimal("91.0"),
                           source="Heroma", person_id=None, via="import",
                           at=datetime(2018, 4, 10, tzinfo=timezone.utc))
    assert await seed_demo(store, date(2018, 5, 15))
    async with store.session() as s:
        rows = (await s.execute(select(IndicatorValue).where(IndicatorValue.indicator_id == frisk,
                                                             IndicatorValue.org_unit_id == og)
                                .order_by(IndicatorValue.period))).scalars().all()
        seed_rows = (await s.execute(select(IndicatorValue).where(IndicatorValue.via == "seed"))).scalars().all()
    by_period = {r.period: r for r in rows}
    assert len(rows) == 16
    assert by_period["2018-03"].value == Decimal("91.0") and not by_period["2018-03"].is_demo
    assert all(r.is_demo and r.via == "demo" and r.source == demo_indicators.SOURCE
               for p, r in by_period.items() if p != "2018-03")
    assert max(by_period) == "2018-04"  # nothing for a month that has not ended
    assert seed_rows and not any(r.is_demo for r in seed_rows)
