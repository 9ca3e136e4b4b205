"""Reads the facts a digest needs for one scope from the other areas' tables and repositories.

Each section is gathered on its own: when an area's rules are not available in this build (a module
missing) or its read fails, that section is ``None`` (the card says it is not available) and the rest
of the digest still goes out.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import ModuleType
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from followup.digest import (
    WINDOW_DAYS,
    ActivityFact,
    BudgetFact,
    CalendarFact,
    DigestInput,
    IndicatorFact,
    ReminderCandidate,
    UpdateFact,
)
from followup.schedule import meeting_weekday
from storage.models import (
    ActionPlan,
    Activity,
    ActivityUpdate,
    BudgetLine,
    BudgetStatus,
    Conversation,
    OrgUnit,
    Person,
)
from storage import arshjul
from storage.digest import subscription_weekdays
from storage.plans import is_undo_note, undone_by_next

log = logging.getLogger("tavla.digest")


@dataclass(frozen=True)
class Scope:
    id: int
    name: str
    kind: str
    unit_ids: frozenset[int]  # the scope and everything below it
    names: dict[int, str]


def optional_module(name: str) -> ModuleType | None:
    """A colleague's module when it is part of this build, else None (its section degrades)."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):
            return None
        raise


async def scope_of(session: AsyncSession, org_unit_id: int, year: int) -> Scope | None:
    units = (await session.execute(select(OrgUnit.id, OrgUnit.parent_id, OrgUnit.name, OrgUnit.kind,
                                          OrgUnit.valid_from, OrgUnit.valid_to))).all()
    by_id = {u.id: u for u in units}
    root = by_id.get(org_unit_id)
    if root is None:
        return None
    children: dict[int, list[int]] = {}
    for u in units:
        if u.parent_id is not None:
            children.setdefault(u.parent_id, []).append(u.id)
    found: set[int] = set()
    stack = [org_unit_id]
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.add(current)
        stack.extend(children.get(current, []))
    kind = "forvaltning" if root.kind in ("kommun", "forvaltning") else root.kind
    return Scope(root.id, root.name, kind, frozenset(found), {u.id: u.name for u in units})


async def _activities(session: AsyncSession, scope: Scope, year: int, since: datetime
                      ) -> tuple[tuple[ActivityFact, ...], tuple[UpdateFact, ...]]:
    rows = (await session.execute(
        select(Activity, ActionPlan.org_unit_id, Person.name)
        .join(ActionPlan, ActionPlan.id == Activity.plan_id)
        .outerjoin(Person, Person.id == Activity.owner_id)
        .where(ActionPlan.org_unit_id.in_(scope.unit_ids), ActionPlan.year.in_((year - 1, year, year + 1)))
    )).all()
    facts = tuple(
        ActivityFact(a.id, a.title, scope.names.get(unit_id, ""), owner, a.status, a.progress, a.deadline,
                     a.created_at, a.updated_at, a.is_demo)
        for a, unit_id, owner in rows
    )
    ids = [f.id for f in facts]
    updates: list[UpdateFact] = []
    for chunk in range(0, len(ids), 500):
        part = ids[chunk:chunk + 500]
        for u, who, undone in (await session.execute(
            select(ActivityUpdate, Person.name, undone_by_next(ActivityUpdate))
            .outerjoin(Person, Person.id == ActivityUpdate.person_id)
            .where(ActivityUpdate.activity_id.in_(part), ActivityUpdate.at >= since)
        )).all():
            # the log's note is not a comment, and a comment written with a change that was undone went with it
            comment = None if undone or is_undo_note(u.comment) else u.comment
            updates.append(UpdateFact(u.activity_id, who, u.at, dict(u.old or {}), dict(u.new or {}), comment))
    return facts, tuple(updates)


async def _budget(session: AsyncSession, scope: Scope, year: int) -> tuple[BudgetFact, ...]:
    rows = (await session.execute(
        select(BudgetLine, BudgetStatus)
        .outerjoin(BudgetStatus, (BudgetStatus.budget_line_id == BudgetLine.id) & (BudgetStatus.year == year))
        .where(BudgetLine.year == year, BudgetLine.org_unit_id.in_(scope.unit_ids))
        .order_by(BudgetLine.sort_order, BudgetLine.id)
    )).all()
    return tuple(
        BudgetFact(line.id, line.verksamhet, scope.names.get(line.org_unit_id, ""), line.net_cost,
                   status.utfall_to_date if status else None, status.periodised_budget if status else None,
                   status.through_month if status else None, status.computed_at if status else None, line.is_demo)
        for line, status in rows
    )


async def _calendar(session: AsyncSession) -> tuple[CalendarFact, ...]:
    return tuple(CalendarFact(s.month, s.day, s.title) for s in await arshjul.steps(session))


async def _indicators(session: AsyncSession, scope: Scope, today: date, now: datetime) -> tuple[IndicatorFact, ...] | None:
    """Indicator status now and a week ago, by the indicator rules; None while those rules are absent."""
    adapter = optional_module("storage.digest_indicators")
    if adapter is None:
        return None
    return await adapter.indicator_facts(session, scope, today, now)


async def digest_input(session: AsyncSession, org_unit_id: int, today: date, now: datetime, *,
                       window_days: int = WINDOW_DAYS) -> DigestInput | None:
    """Everything the digest for ``org_unit_id`` needs; None when the unit no longer exists."""
    scope = await scope_of(session, org_unit_id, today.year)
    if scope is None:
        return None
    since = now - timedelta(days=window_days)
    sections: dict[str, Any] = {}
    for name, reader in (
        ("activities", lambda: _activities(session, scope, today.year, since)),
        ("budget", lambda: _budget(session, scope, today.year)),
        ("calendar", lambda: _calendar(session)),
        ("indicators", lambda: _indicators(session, scope, today, now)),
    ):
        try:
            async with session.begin_nested():
                sections[name] = await reader()
        except Exception:  # noqa: BLE001 - one area's failure must not stop the digest; logged with its name
            log.exception("digest section %s failed for org unit %s", name, org_unit_id)
            sections[name] = None
    activities = sections["activities"]
    return DigestInput(
        scope_name=scope.name, scope_kind=scope.kind, today=today, now=now,
        activities=activities[0] if activities is not None else None,
        updates=activities[1] if activities is not None else None,
        indicators=sections["indicators"], budget=sections["budget"], calendar=sections["calendar"],
        window_days=window_days,
    )


# --- tavelmöte reminders ----------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderUnit:
    id: int
    name: str
    meeting_weekday: int
    is_demo: bool


@dataclass(frozen=True)
class Recipient:
    person_id: int
    name: str
    locale: str | None
    conversation_id: str
    reference: dict[str, Any]


async def reminder_units(session: AsyncSession, year: int) -> list[ReminderUnit]:
    """Enheter with a known tavelmöte day: their own, else the weekday of a digest subscribed for them."""
    units = (await session.execute(
        select(OrgUnit).where(OrgUnit.kind == "enhet", OrgUnit.valid_from <= year,
                              (OrgUnit.valid_to.is_(None)) | (OrgUnit.valid_to >= year))
    )).scalars().all()
    sub_days = await subscription_weekdays(session)
    out = []
    for unit in units:
        day = meeting_weekday(unit.meeting_weekday, sub_days.get(unit.id, []))
        if day is not None:
            out.append(ReminderUnit(unit.id, unit.name, day, unit.is_demo))
    return out


async def reminder_candidates(session: AsyncSession, unit_id: int, year: int) -> list[ReminderCandidate]:
    rows = (await session.execute(
        select(Activity).join(ActionPlan, ActionPlan.id == Activity.plan_id)
        .where(ActionPlan.org_unit_id == unit_id, ActionPlan.year.in_((year - 1, year)),
               Activity.owner_id.is_not(None))
    )).scalars().all()
    return [ReminderCandidate(a.id, a.title, a.owner_id, a.status, a.progress, a.deadline, a.updated_at, a.version)
            for a in rows]


async def recipients(session: AsyncSession, person_ids: list[int]) -> dict[int, Recipient]:
    """People who may get a 1:1 reminder: active, not opted out, with an installed personal chat."""
    if not person_ids:
        return {}
    people = {p.id: p for p in (await session.execute(
        select(Person).where(Person.id.in_(person_ids), Person.active.is_(True),
                             Person.reminders_opt_out.is_(False))
    )).scalars().all()}
    by_aad = {p.aad_object_id.lower(): p for p in people.values() if p.aad_object_id}
    out: dict[int, Recipient] = {}
    rows = (await session.execute(
        select(Conversation).where(Conversation.conversation_type == "personal", Conversation.installed.is_(True))
        .order_by(Conversation.updated_at.desc())
    )).scalars().all()
    for conv in rows:
        person = people.get(conv.person_id) if conv.person_id else None
        if person is None:
            user = (conv.reference or {}).get("user") or {}
            aad = user.get("aadObjectId") if isinstance(user, dict) else None
            person = by_aad.get(aad.lower()) if isinstance(aad, str) else None
        if person is not None and person.id not in out:
            out[person.id] = Recipient(person.id, person.name, person.locale, conv.conversation_id,
                                       dict(conv.reference or {}))
    return out
