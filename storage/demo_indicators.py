"""Exempeldata for indicators (part of ``tavla seed --demo``): invented values, every row ``is_demo``.

The real Årsplan 2018 has *no* values for the three HR indicators (frisknärvaro, personalomsättning,
HME); so that the status cards have something to show in a demo, this adds invented ones:

- frisknärvaro, monthly from January of the year before the demo year up to the last whole month before
  the demo date, for the whole kommun, two verksamhetsområden and the four demo enheter — with a winter
  dip, as sick leave has;
- personalomsättning, monthly (rolling twelve months), same units — one area above and one enhet below
  the 5–8 % interval, so the interval rule shows both ways of missing it;
- HME for the year before the demo year, same units.

Values are made by a fixed formula (no randomness: the same demo every time). A period that already has a
value (a real one recorded or imported before the demo was added) is left alone: exempeldata never
replaces or mixes with real figures unmarked. Cards show ``demo_badge`` for these values.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from followup.indicators import Period
from storage.models import Indicator, IndicatorValue

SOURCE = "Exempeldata – påhittade värden"
# unit key (code or name as in storage.demo.DemoContext.units) → (frisknärvaro base %, turnover base %, HME)
UNITS: dict[str, tuple[str, str, int]] = {
    "OG": ("94.4", "7.2", 78),
    "Familj och utbildning": ("94.6", "6.6", 79),
    "Hälsa och omsorg": ("92.8", "9.1", 76),
    "DEMO-HUMLAN": ("95.1", "4.1", 82),
    "DEMO-SNAPPHANE": ("94.9", "6.0", 80),
    "DEMO-HT-KNISLINGE": ("91.9", "10.4", 74),
    "DEMO-GUC": ("95.6", "5.5", 81),
}
# How much lower (sick leave higher) each month is than the year's mean, January first.
SEASON = ("-1.2", "-1.0", "-0.6", "-0.2", "0.3", "0.6", "0.9", "0.8", "0.2", "-0.2", "-0.5", "-0.9")
PRESENCE_TREND = Decimal("0.03")  # per month: slowly better
TURNOVER_TREND = Decimal("0.02")  # per month: slowly higher


def _wiggle(unit_index: int, month_index: int) -> Decimal:
    """A small fixed deviation (−0,2 … +0,2) so the series do not look drawn with a ruler."""
    return Decimal(((month_index * 7 + unit_index * 3) % 5) - 2) / 10


def _months(first_year: int, until: Period) -> list[Period]:
    months, year, month = [], first_year, 1
    while (year, month) <= (until.start.year, until.start.month):
        months.append(Period.month(year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _recorded_at(period: Period) -> datetime:
    """Values are reported about ten days after their period ends."""
    return datetime.combine(period.end + timedelta(days=10), time(8, 0), tzinfo=timezone.utc)


def demo_values(year: int, last_month: Period) -> list[tuple[str, str, Period, Decimal]]:
    """(indicator code, unit key, period, value) for every invented value — pure, for tests and seeding."""
    out: list[tuple[str, str, Period, Decimal]] = []
    months = _months(year - 1, last_month)
    for u, (unit, (presence, turnover, hme)) in enumerate(UNITS.items()):
        for i, period in enumerate(months):
            value = (Decimal(presence) + Decimal(SEASON[period.start.month - 1]) + PRESENCE_TREND * i
                     + _wiggle(u, i))
            out.append(("frisknarvaro", unit, period, min(value, Decimal("99.9")).quantize(Decimal("0.1"))))
            rolling = Decimal(turnover) + TURNOVER_TREND * i + _wiggle(u, i) / 2
            out.append(("personalomsattning", unit, period, rolling.quantize(Decimal("0.1"))))
        out.append(("hme", unit, Period.year(year - 1), Decimal(hme)))
    return out


async def seed(session: AsyncSession, ctx: object) -> None:
    """Add the invented values (``ctx`` is ``storage.demo.DemoContext``: year, today, units)."""
    year: int = getattr(ctx, "year")
    today = getattr(ctx, "today")
    units: dict[str, int] = getattr(ctx, "units")
    last_month = Period.month(today.year, today.month).start - timedelta(days=1)
    codes = {code: ind_id for ind_id, code in (await session.execute(
        select(Indicator.id, Indicator.code).where(Indicator.code.in_(("frisknarvaro", "personalomsattning", "hme")))
    )).all()}
    if not codes:
        return
    existing = {(i, u, p) for i, u, p in (await session.execute(
        select(IndicatorValue.indicator_id, IndicatorValue.org_unit_id, IndicatorValue.period)
        .where(IndicatorValue.indicator_id.in_(list(codes.values())))
    )).all()}
    for code, unit, period, value in demo_values(year, Period.month(last_month.year, last_month.month)):
        indicator_id, unit_id = codes.get(code), units.get(unit)
        if indicator_id is None or unit_id is None or (indicator_id, unit_id, period.code) in existing:
            continue
        session.add(IndicatorValue(
            indicator_id=indicator_id, org_unit_id=unit_id, period=period.code, period_start=period.start,
            period_end=period.end, value=value, kind="matning", source=SOURCE, is_demo=True, via="demo",
            recorded_at=_recorded_at(period)))
    await session.flush()
