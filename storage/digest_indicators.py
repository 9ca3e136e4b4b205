"""Indicator facts for the digest, judged by the indicator rules (``followup.indicators.assess``).

For each indicator with values in the scope (the scope's org units and those below): its status today and
a week ago — a week ago counts only the values recorded by then, so a value recorded this week is a
change. Kommun-wide values belong to the förvaltning's scope.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from followup.digest import IndicatorFact
from followup.indicators import Status, assess
from storage import indicators as repo

ON_TARGET = {Status.UPPNATT: True, Status.PA_VAG: True, Status.RISK: False, Status.EJ_UPPNATT: False}


async def indicator_facts(session: AsyncSession, scope: Any, today: date, now: datetime) -> tuple[IndicatorFact, ...]:
    infos = await repo.indicators(session)
    stored = await repo.values(session, [i.id for i in infos], sorted(scope.unit_ids))
    by_key: dict[tuple[int, int], list[repo.StoredValue]] = {}
    for value in stored:
        by_key.setdefault((value.indicator_id, value.org_unit_id), []).append(value)
    week_ago = now - timedelta(days=7)
    facts: list[IndicatorFact] = []
    for info in infos:
        for unit_id in sorted({u for (i, u) in by_key if i == info.id}, key=lambda u: (u != scope.id, u)):
            values = by_key[(info.id, unit_id)]
            now_points = [v.point for v in values]
            # New this week = recorded in (week ago, now]; with a pinned clock (the 2018 demo) rows loaded
            # "later" than now are base data, not news.
            before_points = [v.point for v in values if not week_ago < v.recorded_at <= now]
            current = assess(info.direction, info.targets, now_points, today, unit=info.unit)
            before = assess(info.direction, info.targets, before_points, today - timedelta(days=7), unit=info.unit)
            if current.status == Status.INGA_VARDEN:
                continue
            latest = current.latest
            target = current.target
            name = info.name if unit_id == scope.id else f"{info.name} ({scope.names.get(unit_id, '')})"
            facts.append(IndicatorFact(
                id=info.id, name=name, status_now=current.status.value,
                status_before=None if before.status == Status.INGA_VARDEN else before.status.value,
                on_target=ON_TARGET.get(current.status), value=latest.value if latest else None, unit=info.unit,
                decimals=info.decimals, direction=info.direction, target_low=target.low if target else None,
                target_high=target.high if target else None,
                period=latest.period.code if latest else None,
                is_demo=any(v.is_demo for v in values if latest and v.period == latest.period),
            ))
    return tuple(facts)
