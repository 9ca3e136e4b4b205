"""A new planning year: carrying unfinished activities over to next year's handlingsplaner.

"för över ej klara aktiviteter till 2019" (a chef, for the enheter they lead): every activity of the
previous year's plans that is not Klar — Idé, Ej påbörjad, Pågår, Pausad — gets a copy in the same enhet's
plan for the new year, with ``carried_from_id`` pointing back. The earlier year is history and stays as it
was: its activities keep their status, and get one logged note "Överförd till 2019" (a versioned update, so
two presses cannot both carry one activity). The copy starts with the same title, description, owner,
status and progress; a deadline in the old year is dropped (it would be overdue from day one).

The plan hangs from the same verksamhetsmål when that goal still holds in the new year; else from the new
year's verksamhetsmål with the same title in the same area (``tavla import goals``); else from the old
goal (said in the result).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from followup.activities import KLAR
from storage import plans
from storage.import_common import fold
from storage.models import Activity, ActionPlan, Goal, OrgUnit


@dataclass(frozen=True)
class Candidate:
    activity_id: int
    version: int
    title: str
    status: str
    unit_id: int
    unit_name: str
    goal_id: int


@dataclass
class Carried:
    carried: int = 0
    skipped: int = 0  # changed by someone meanwhile: left for the next run
    plans_created: int = 0
    old_goal: list[str] = field(default_factory=list)  # goals that do not hold in the new year (kept anyway)
    per_unit: dict[str, int] = field(default_factory=dict)


async def candidates(session: AsyncSession, unit_ids: list[int], from_year: int) -> list[Candidate]:
    """The not-Klar activities of ``from_year`` in these enheter that have not been carried over yet."""
    if not unit_ids:
        return []
    carried = select(Activity.carried_from_id).where(Activity.carried_from_id.is_not(None))
    rows = (await session.execute(
        select(Activity.id, Activity.version, Activity.title, Activity.status, ActionPlan.org_unit_id, OrgUnit.name,
               ActionPlan.goal_id)
        .join(ActionPlan, ActionPlan.id == Activity.plan_id).join(OrgUnit, OrgUnit.id == ActionPlan.org_unit_id)
        .where(ActionPlan.year == from_year, ActionPlan.org_unit_id.in_(unit_ids), Activity.status != KLAR,
               Activity.id.not_in(carried))
        .order_by(OrgUnit.name, Activity.id))).all()
    return [Candidate(*row) for row in rows]


async def _goal_for(session: AsyncSession, goal_id: int, year: int, cache: dict[int, tuple[int, bool]]
                    ) -> tuple[int, bool]:
    """(goal id for ``year``, whether it is the old goal that does not hold in ``year``)."""
    if goal_id in cache:
        return cache[goal_id]
    goal = await session.get(Goal, goal_id)
    assert goal is not None
    if goal.year_to is None or goal.year_to >= year:
        cache[goal_id] = (goal_id, False)
        return cache[goal_id]
    same = (await session.execute(select(Goal).where(
        Goal.kind == goal.kind, Goal.org_unit_id == goal.org_unit_id, Goal.id != goal.id,
        (Goal.year_from.is_(None)) | (Goal.year_from <= year), (Goal.year_to.is_(None)) | (Goal.year_to >= year),
    ))).scalars().all()
    match = [g for g in same if fold(g.title) == fold(goal.title)]
    cache[goal_id] = (match[0].id, False) if len(match) == 1 else (goal_id, True)
    return cache[goal_id]


async def carry_over(session: AsyncSession, unit_ids: list[int], from_year: int, to_year: int, *,
                     person_id: int | None, at: datetime, via: str = "card") -> Carried:
    """Carry the not-Klar activities of ``from_year`` to ``to_year`` (in the caller's transaction)."""
    result = Carried()
    goals: dict[int, tuple[int, bool]] = {}
    plan_ids: dict[tuple[int, int], int] = {}
    year_start = date(to_year, 1, 1)
    for item in await candidates(session, unit_ids, from_year):
        note = await plans.update_activity(session, item.activity_id, item.version, {}, person_id=person_id, via=via,
                                           at=at, comment=f"Överförd till {to_year}")
        if not note.applied:
            result.skipped += 1
            continue
        old = await session.get(Activity, item.activity_id)
        assert old is not None
        goal_id, stale = await _goal_for(session, item.goal_id, to_year, goals)
        if stale:
            title = (await session.get(Goal, item.goal_id)).title  # type: ignore[union-attr]
            if title not in result.old_goal:
                result.old_goal.append(title)
        key = (item.unit_id, goal_id)
        if key not in plan_ids:
            existing = (await session.execute(select(ActionPlan.id).where(
                ActionPlan.org_unit_id == item.unit_id, ActionPlan.goal_id == goal_id, ActionPlan.year == to_year)
            )).scalar_one_or_none()
            plan_ids[key] = existing or await plans.ensure_plan(session, item.unit_id, goal_id, to_year, at=at)
            result.plans_created += existing is None
        deadline = old.deadline if old.deadline and old.deadline >= year_start else None
        start = old.start_date if old.start_date and old.start_date >= year_start else None
        view = await plans.create_activity(
            session, plan_ids[key], old.title, person_id=person_id, via=via, at=at, owner_id=old.owner_id,
            deadline=deadline, start_date=start, status=old.status, progress=old.progress,
            description=old.description, comment=f"Överförd från {from_year} (aktivitet {old.id})", is_demo=old.is_demo)
        await session.execute(update(Activity).where(Activity.id == view.id).values(carried_from_id=old.id)
                               .execution_options(synchronize_session=False))
        result.carried += 1
        result.per_unit[item.unit_name] = result.per_unit.get(item.unit_name, 0) + 1
    return result
