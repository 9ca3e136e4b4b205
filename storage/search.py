"""What the compose-box search (message extension) shows about its hits, read in a few small queries.

The search itself ranks names from the shared catalog (``bot.nlu.catalog``) and activity titles
(``storage.plans``); this module only fetches the facts for the handful of hits that are shown: an
indicator's targets and kommun-wide values, a budget line's budget and stored status.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import BudgetLine, BudgetStatus, Goal, Indicator, IndicatorTarget, IndicatorValue, OrgUnit


@dataclass(frozen=True)
class TargetFact:
    year: int
    low: Decimal | None
    high: Decimal | None
    label: str | None


@dataclass(frozen=True)
class ValueFact:
    period: str
    period_start: date
    period_end: date
    value: Decimal
    kind: str
    footnote: str | None
    is_demo: bool


@dataclass(frozen=True)
class IndicatorFacts:
    """One indicator with its Målnivåer and the values recorded for the whole kommun (the root unit)."""

    id: int
    code: str
    name: str
    unit: str
    direction: str
    decimals: int
    goal_title: str | None
    root_name: str | None
    targets: tuple[TargetFact, ...]
    values: tuple[ValueFact, ...]  # oldest first


@dataclass(frozen=True)
class BudgetFacts:
    """One budget line with its area and, when utfall has been imported, its stored status."""

    id: int
    year: int
    verksamhet: str
    area: str | None
    net_cost: Decimal
    is_demo: bool
    through_month: int | None = None
    utfall_to_date: Decimal | None = None
    prognosis: Decimal | None = None


async def root_unit(session: AsyncSession) -> tuple[int, str] | None:
    """The kommun/förvaltning at the top of the tree: where kommun-wide values are recorded."""
    row = (await session.execute(
        select(OrgUnit.id, OrgUnit.name).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id).limit(1)
    )).first()
    return (row[0], row[1]) if row else None


async def indicator_facts(session: AsyncSession, ids: Iterable[int]) -> dict[int, IndicatorFacts]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    root = await root_unit(session)
    rows = (await session.execute(
        select(Indicator, Goal.title).outerjoin(Goal, Goal.id == Indicator.goal_id).where(Indicator.id.in_(wanted))
    )).all()
    targets: dict[int, list[TargetFact]] = {i: [] for i in wanted}
    for t in (await session.execute(
        select(IndicatorTarget).where(IndicatorTarget.indicator_id.in_(wanted)).order_by(IndicatorTarget.year)
    )).scalars():
        targets[t.indicator_id].append(TargetFact(t.year, t.low, t.high, t.label))
    values: dict[int, list[ValueFact]] = {i: [] for i in wanted}
    if root is not None:
        for v in (await session.execute(
            select(IndicatorValue)
            .where(IndicatorValue.indicator_id.in_(wanted), IndicatorValue.org_unit_id == root[0])
            .order_by(IndicatorValue.period_end, IndicatorValue.id)
        )).scalars():
            values[v.indicator_id].append(ValueFact(v.period, v.period_start, v.period_end, v.value, v.kind,
                                                    v.footnote, v.is_demo))
    return {
        ind.id: IndicatorFacts(ind.id, ind.code, ind.name, ind.unit, ind.direction, ind.decimals, goal_title,
                               root[1] if root else None, tuple(targets[ind.id]), tuple(values[ind.id]))
        for ind, goal_title in rows
    }


async def budget_facts(session: AsyncSession, ids: Iterable[int]) -> dict[int, BudgetFacts]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = (await session.execute(
        select(BudgetLine, OrgUnit.name, BudgetStatus)
        .outerjoin(OrgUnit, OrgUnit.id == BudgetLine.org_unit_id)
        .outerjoin(BudgetStatus, (BudgetStatus.budget_line_id == BudgetLine.id)
                   & (BudgetStatus.year == BudgetLine.year))
        .where(BudgetLine.id.in_(wanted))
    )).all()
    out: dict[int, BudgetFacts] = {}
    for line, area, status in rows:
        out[line.id] = BudgetFacts(
            line.id, line.year, line.verksamhet, area, line.net_cost, line.is_demo,
            through_month=status.through_month if status else None,
            utfall_to_date=status.utfall_to_date if status else None,
            prognosis=status.prognosis if status else None,
        )
    return out
