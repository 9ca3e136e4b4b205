"""Exempeldata for the budget: monthly utfall for every budget line, a seasonal profile for a few lines and one
manual prognosis — invented figures, marked ``is_demo`` (utfall) or tied to a ``via="demo"`` import batch
(profiles, prognosis), so every card that shows them says "Exempeldata".

Utfall covers the months whose books are closed on the demo date (finance data for a month is complete
around the 10th of the next month): on 15 May 2018 that is January–April. The figures follow each line's
budget (or profile) with a little noise, and a few lines drift over or under budget so the cards and the
over-budget list have something to show. Deterministic: the same year gives the same figures.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from followup.clock import STOCKHOLM
from storage.budget import recompute_status
from storage.models import BudgetLine, BudgetProfile, BudgetPrognosis, ImportBatch, OrgUnit, Utfall

BOOKS_CLOSED_DAY = 10  # a month's utfall is complete around this day of the next month

# (area code, verksamhet) → yearly drift of the outcome against budget (+0.10 = 10 % more net cost)
DRIFT: dict[tuple[str, str], str] = {
    ("HOO", "Äldreomsorg"): "0.035",
    ("FOU", "HVB-vård för barn o unga"): "0.18",
    ("IOA", "Försörjningsstöd"): "0.09",
    ("HOO", "Färdtjänst"): "0.06",
    ("FOU", "Förskola"): "-0.02",
    ("IOA", "Flykting"): "-0.12",  # less net revenue than budgeted
    ("SB", "Gator, vägar samt parkering"): "0.05",
}
# Seasonal profiles (twelve shares, sum 1): winter roads, summer parks, the school year's fritidsgårdar.
PROFILES: dict[tuple[str, str], tuple[str, ...]] = {
    ("SB", "Gator, vägar samt parkering"): ("0.16", "0.15", "0.11", "0.06", "0.05", "0.05", "0.04", "0.04", "0.05",
                                            "0.07", "0.10", "0.12"),
    ("SB", "Parker"): ("0.03", "0.03", "0.04", "0.08", "0.13", "0.15", "0.14", "0.13", "0.10", "0.07", "0.05", "0.05"),
    ("FOU", "Fritidsgårdar"): ("0.095", "0.095", "0.095", "0.09", "0.085", "0.05", "0.02", "0.04", "0.095", "0.1",
                               "0.12", "0.115"),
}
MANUAL = (("FOU", "HVB-vård för barn o unga"), "1.15",
          "Två nya placeringar i mars. Prognosen gäller om de fortsätter året ut.")
ZERO_LINE_MONTHLY = Decimal("120")  # tkr: internal-charge lines (budget 0,0) swing around zero
TKR = Decimal("0.001")


def closed_months(today_month: int, today_day: int) -> int:
    """Months of the year with complete utfall on the demo date (15 May → 4)."""
    return max(0, today_month - (1 if today_day >= BOOKS_CLOSED_DAY else 2))


def _factor(rng: random.Random, spread: float) -> Decimal:
    return Decimal(f"{rng.gauss(0.0, spread):.4f}")


async def seed(session: AsyncSession, ctx: object) -> None:
    """Add the budget exempeldata for ``ctx.year`` and recompute ``budget_status`` (``storage.demo`` part)."""
    year: int = ctx.year  # type: ignore[attr-defined]
    today = ctx.today  # type: ignore[attr-defined]
    through = closed_months(today.month, today.day) if today.year == year else 12
    rows = (await session.execute(
        select(BudgetLine, OrgUnit.code).join(OrgUnit, OrgUnit.id == BudgetLine.org_unit_id)
        .where(BudgetLine.year == year).order_by(BudgetLine.id)
    )).all()
    if not rows or through < 1:
        return
    batch = ImportBatch(kind="demo_budget", file_name=None, rows=0, via="demo",
                        summary={"year": year, "months": list(range(1, through + 1)), "exempeldata": True})
    session.add(batch)
    await session.flush()

    rng = random.Random(f"tavla-demo-budget-{year}")
    utfall: list[dict[str, object]] = []
    profiles: list[dict[str, object]] = []
    for line, area_code in rows:
        key = (area_code, line.verksamhet)
        shares = [Decimal(s) for s in PROFILES[key]] if key in PROFILES else None
        if shares is not None:
            profiles += [{"budget_line_id": line.id, "month": m, "share": share, "import_id": batch.id}
                         for m, share in enumerate(shares, start=1)]
        drift = Decimal(DRIFT.get(key, "0")) + _factor(rng, 0.015)
        for month in range(1, through + 1):
            if line.net_cost == 0:
                amount = ZERO_LINE_MONTHLY * _factor(rng, 0.5)
            else:
                planned = line.net_cost * (shares[month - 1] if shares else Decimal(1) / Decimal(12))
                amount = planned * (1 + drift + _factor(rng, 0.04))
            utfall.append({"budget_line_id": line.id, "year": year, "month": month,
                           "amount": amount.quantize(TKR, rounding=ROUND_HALF_UP), "import_id": batch.id,
                           "is_demo": True})
    await session.execute(insert(Utfall), utfall)
    if profiles:
        await session.execute(insert(BudgetProfile), profiles)

    (area_code, verksamhet), factor, note = MANUAL
    target = next((line for line, code in rows if (code, line.verksamhet) == (area_code, verksamhet)), None)
    people: dict[str, int] = getattr(ctx, "people", {})
    if target is not None:
        entered = datetime.combine(today - timedelta(days=5), time(9, 30), tzinfo=STOCKHOLM)
        session.add(BudgetPrognosis(
            budget_line_id=target.id, year=year,
            amount=(target.net_cost * Decimal(factor)).quantize(TKR, rounding=ROUND_HALF_UP), note=note,
            entered_by_id=people.get("erik"), entered_at=entered, via="demo", import_id=batch.id))
    batch.rows = len(utfall)
    await session.flush()
    await recompute_status(session, year)
