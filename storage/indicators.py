"""Indicators in the store: definitions with goal and targets, values per org unit, recording and undo.

Small typed functions over an ``AsyncSession`` that return frozen domain objects (never ORM rows), so
handlers and cards cannot lazy-load. Recording is an idempotent upsert on (indicator, org unit, period):
the same value again changes nothing; a different one replaces it, and every change is written to the
append-only admin log with the old and new value — which is also what "ångra" restores from.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, bindparam, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from followup.errors import Conflict, Forbidden, UserError
from followup.indicators import RECORDER_ROLES, Period, Point, Target, period_from_code
from storage.models import AdminLog, Goal, Indicator, IndicatorTarget, IndicatorValue, Membership, OrgUnit, Person
from storage.rows import as_row

RECORDED = "indicator_value_recorded"
UNDONE = "indicator_value_undone"


@dataclass(frozen=True)
class IndicatorInfo:
    """An indicator with what it belongs to and its targets (sorted by year)."""

    id: int
    code: str
    name: str
    short_name: str
    unit: str
    direction: str
    decimals: int
    definition: str | None
    frequency: str | None
    source: str | None
    goal_id: int
    goal_title: str
    goal_kind: str
    goal_code: str
    goal_sort: int
    sort_order: int
    targets: tuple[Target, ...]


@dataclass(frozen=True)
class UnitInfo:
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    is_demo: bool = False

    @property
    def is_root(self) -> bool:
        return self.parent_id is None


@dataclass(frozen=True)
class StoredValue:
    """One recorded value, with who recorded it."""

    id: int
    indicator_id: int
    org_unit_id: int
    period: Period
    value: Decimal
    kind: str
    footnote: str | None
    source: str | None
    note: str | None
    is_demo: bool
    recorded_by_id: int | None
    recorded_by_name: str | None
    recorded_at: datetime
    via: str

    @property
    def point(self) -> Point:
        return Point(self.period, self.value, self.kind)


@dataclass(frozen=True)
class RecordResult:
    outcome: str  # created / updated / unchanged
    value_id: int
    previous: dict[str, Any] | None  # the replaced row's fields (None when created)
    log_id: int | None  # the admin-log entry (None when unchanged)


@dataclass(frozen=True)
class UndoResult:
    outcome: str  # removed / restored
    indicator_id: int
    org_unit_id: int
    period: Period
    restored_value: Decimal | None


# --- Reading ---------------------------------------------------------------------------------


def _info(ind: Any, goal: Any, targets: Iterable[Any]) -> IndicatorInfo:
    return IndicatorInfo(
        id=ind.id, code=ind.code, name=ind.name, short_name=ind.short_name, unit=ind.unit, direction=ind.direction,
        decimals=ind.decimals, definition=ind.definition, frequency=ind.frequency, source=ind.source,
        goal_id=goal.id, goal_title=goal.title, goal_kind=goal.kind, goal_code=goal.code, goal_sort=goal.sort_order,
        sort_order=ind.sort_order,
        targets=tuple(sorted((Target(t.year, t.low, t.high, t.label) for t in targets), key=lambda t: t.year)),
    )


# Statements built once: a statement object keeps its cache key, so a turn skips building and keying them.
_INDICATORS = (select(as_row(Indicator), as_row(Goal), as_row(IndicatorTarget))
               .select_from(Indicator)
               .join(Goal, Goal.id == Indicator.goal_id)
               .outerjoin(IndicatorTarget, IndicatorTarget.indicator_id == Indicator.id)
               .order_by(Indicator.sort_order, Indicator.id, IndicatorTarget.year))
_INDICATORS_BY_ID = _INDICATORS.where(Indicator.id.in_(bindparam("ids", expanding=True)))
_INDICATOR_BY_ID = _INDICATORS.where(Indicator.id == bindparam("id"))  # one: no IN list to render each time


async def indicators(session: AsyncSession, ids: Sequence[int] | None = None) -> list[IndicatorInfo]:
    """Indicators (all, or those ``ids``) with goal and targets, in the årsplan's order (one query)."""
    if ids is not None and not ids:
        return []
    if ids is None:
        rows = (await session.execute(_INDICATORS)).all()
    elif len(ids) == 1:
        rows = (await session.execute(_INDICATOR_BY_ID, {"id": ids[0]})).all()
    else:
        rows = (await session.execute(_INDICATORS_BY_ID, {"ids": list(ids)})).all()
    found: dict[int, tuple[Any, Any, list[Any]]] = {}
    for ind, goal, target in rows:
        entry = found.setdefault(ind.id, (ind, goal, []))
        if target.id is not None:  # the outer join's empty side
            entry[2].append(target)
    return [_info(ind, goal, targets) for ind, goal, targets in found.values()]


async def indicator(session: AsyncSession, indicator_id: int) -> IndicatorInfo | None:
    found = await indicators(session, [indicator_id])
    return found[0] if found else None


def _unit(row: Any) -> UnitInfo:
    return UnitInfo(row.id, row.code, row.name, row.kind, row.parent_id, row.is_demo)


_ROOTS = select(as_row(OrgUnit)).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.valid_from.desc(), OrgUnit.id)
_UNIT = select(as_row(OrgUnit)).where(OrgUnit.id == bindparam("id"))


async def root_unit(session: AsyncSession, year: int) -> UnitInfo:
    """The förvaltning (kommun-wide values hang on it) valid in ``year``."""
    rows = (await session.execute(_ROOTS)).scalars().all()
    valid = [r for r in rows if r.valid_from <= year and (r.valid_to is None or r.valid_to >= year)]
    chosen = (valid or rows)[:1]
    if not chosen:
        raise UserError("Det finns ingen organisation i Tavla än (Årsplan 2018 är inte inläst).",
                        "There is no organisation in Tavla yet.")
    return _unit(chosen[0])


async def unit(session: AsyncSession, unit_id: int) -> UnitInfo | None:
    row = (await session.execute(_UNIT, {"id": unit_id})).scalar_one_or_none()
    return _unit(row) if row is not None else None


async def unit_chain(session: AsyncSession, unit_id: int) -> list[UnitInfo]:
    """The unit and every unit above it, nearest first (guards against a cycle in bad data)."""
    chain: list[UnitInfo] = []
    seen: set[int] = set()
    current: int | None = unit_id
    while current is not None and current not in seen:
        seen.add(current)
        row = await session.get(OrgUnit, current)
        if row is None:
            break
        chain.append(_unit(row))
        current = row.parent_id
    return chain


async def all_units(session: AsyncSession) -> list[UnitInfo]:
    return [_unit(r) for r in (await session.execute(select(OrgUnit).order_by(OrgUnit.id))).scalars().all()]


def _stored(row: Any, name: str | None) -> StoredValue:
    return StoredValue(
        id=row.id, indicator_id=row.indicator_id, org_unit_id=row.org_unit_id, period=period_from_code(row.period),
        value=Decimal(row.value), kind=row.kind, footnote=row.footnote, source=row.source, note=row.note,
        is_demo=row.is_demo, recorded_by_id=row.recorded_by_id, recorded_by_name=name, recorded_at=row.recorded_at,
        via=row.via,
    )


_VALUES = (
    select(as_row(IndicatorValue), Person.name)
    .select_from(IndicatorValue)
    .outerjoin(Person, Person.id == IndicatorValue.recorded_by_id)
    .where(IndicatorValue.indicator_id.in_(bindparam("indicators", expanding=True)),
           IndicatorValue.org_unit_id.in_(bindparam("units", expanding=True)))
    .order_by(IndicatorValue.period_start, IndicatorValue.period_end.desc(), IndicatorValue.id)
)
_VALUES_ONE = (
    select(as_row(IndicatorValue), Person.name)
    .select_from(IndicatorValue)
    .outerjoin(Person, Person.id == IndicatorValue.recorded_by_id)
    .where(IndicatorValue.indicator_id == bindparam("indicator"), IndicatorValue.org_unit_id == bindparam("unit"))
    .order_by(IndicatorValue.period_start, IndicatorValue.period_end.desc(), IndicatorValue.id)
)


async def values(session: AsyncSession, indicator_ids: Sequence[int], org_unit_ids: Sequence[int]
                 ) -> list[StoredValue]:
    """Values of these indicators for these units, oldest period first (one query)."""
    if not indicator_ids or not org_unit_ids:
        return []
    if len(indicator_ids) == 1 and len(org_unit_ids) == 1:  # a status card: no IN lists to render each time
        rows = (await session.execute(_VALUES_ONE, {"indicator": indicator_ids[0], "unit": org_unit_ids[0]})).all()
    else:
        rows = (await session.execute(_VALUES, {"indicators": list(indicator_ids), "units": list(org_unit_ids)})).all()
    return [_stored(row, name) for row, name in rows]


async def value_at(session: AsyncSession, indicator_id: int, org_unit_id: int, period: str) -> StoredValue | None:
    row = (await session.execute(
        select(IndicatorValue, Person.name)
        .outerjoin(Person, Person.id == IndicatorValue.recorded_by_id)
        .where(IndicatorValue.indicator_id == indicator_id, IndicatorValue.org_unit_id == org_unit_id,
               IndicatorValue.period == period)
    )).first()
    return _stored(row[0], row[1]) if row else None


async def recorders(session: AsyncSession, unit_ids: Sequence[int], limit: int = 5) -> list[tuple[str, str]]:
    """(name, role) of active people who may record values for a unit (roles on it or above it)."""
    rows = (await session.execute(
        select(Person.name, Membership.role)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.org_unit_id.in_(list(unit_ids)), Membership.role.in_(RECORDER_ROLES),
               Membership.active.is_(True), Person.active.is_(True))
        .order_by(Membership.role.desc(), Person.name)
    )).all()
    seen: dict[str, str] = {}
    for name, role in rows:
        seen.setdefault(name, role)
    order = {r: i for i, r in enumerate(("hr", "controller", "admin"))}
    return sorted(seen.items(), key=lambda item: (order.get(item[1], 9), item[0]))[:limit]


# --- Writing -------------------------------------------------------------------------------


def _plain(value: Decimal) -> str:
    """``78.000`` (as the database returns it) → ``78``; ``7.250`` → ``7.25``."""
    return format(Decimal(value).normalize(), "f")


def _snapshot(row: IndicatorValue) -> dict[str, Any]:
    return {
        "value": _plain(row.value), "kind": row.kind, "footnote": row.footnote, "source": row.source,
        "note": row.note, "is_demo": row.is_demo, "recorded_by_id": row.recorded_by_id,
        "recorded_at": row.recorded_at.isoformat() if row.recorded_at else None, "via": row.via,
    }


def same_value(row: IndicatorValue, value: Decimal, note: str | None, is_demo: bool) -> bool:
    """The value recorded again: the same value, note and demo-ness. Another source alone is no change — a
    file sent again under another name says "Import: <name>" — and the value keeps the source it came from."""
    return Decimal(row.value) == value and (row.note or None) == (note or None) and row.is_demo == is_demo


async def record_value(
    session: AsyncSession, *, indicator_id: int, org_unit_id: int, period: Period, value: Decimal,
    source: str | None, person_id: int | None, via: str, at: datetime, note: str | None = None,
    is_demo: bool = False, kind: str = "matning", footnote: str | None = None,
) -> RecordResult:
    """Store ``value`` for (indicator, unit, period): created, updated (logged with the old value) or unchanged.

    A replaced value takes the new source and footnote: a recorded figure carries its own meaning, not the
    note of the printed one it replaces. A real value replacing exempeldata stops being exempeldata.
    """
    query = select(IndicatorValue).where(
        IndicatorValue.indicator_id == indicator_id, IndicatorValue.org_unit_id == org_unit_id,
        IndicatorValue.period == period.code)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update()
    row = (await session.execute(query)).scalar_one_or_none()
    if row is None:
        try:
            async with session.begin_nested():
                row = IndicatorValue(
                    indicator_id=indicator_id, org_unit_id=org_unit_id, period=period.code,
                    period_start=period.start, period_end=period.end, value=value, kind=kind, footnote=footnote,
                    source=source, note=note, is_demo=is_demo, recorded_by_id=person_id, recorded_at=at, via=via)
                session.add(row)
                await session.flush()
        except IntegrityError:
            row = (await session.execute(query)).scalar_one()  # someone else inserted it first
        else:
            log = AdminLog(at=at, person_id=person_id, action=RECORDED, detail={
                "value_id": row.id, "indicator_id": indicator_id, "org_unit_id": org_unit_id, "period": period.code,
                "outcome": "created", "old": None, "new": _snapshot(row)})
            session.add(log)
            await session.flush()
            return RecordResult("created", row.id, None, log.id)
    if same_value(row, value, note, is_demo):
        return RecordResult("unchanged", row.id, _snapshot(row), None)
    old = _snapshot(row)
    row.value = value
    row.source = source
    row.note = note
    row.footnote = footnote
    row.recorded_by_id = person_id
    row.recorded_at = at
    row.via = via
    if row.is_demo and not is_demo:
        row.kind = kind
    row.is_demo = is_demo
    await session.flush()
    log = AdminLog(at=at, person_id=person_id, action=RECORDED, detail={
        "value_id": row.id, "indicator_id": indicator_id, "org_unit_id": org_unit_id, "period": period.code,
        "outcome": "updated", "old": old, "new": _snapshot(row)})
    session.add(log)
    await session.flush()
    return RecordResult("updated", row.id, old, log.id)


_LATEST_RECORDING_BY = (select(AdminLog.id, AdminLog.at)
                        .where(AdminLog.action == RECORDED, AdminLog.person_id == bindparam("person_id"),
                               AdminLog.at >= bindparam("since"))
                        .order_by(AdminLog.id.desc()).limit(1))


async def latest_recording_by(session: AsyncSession, person_id: int, since: datetime) -> Any:
    """The latest indicator value ``person_id`` recorded since ``since`` (its log row's id and at), or None."""
    return (await session.execute(_LATEST_RECORDING_BY, {"person_id": person_id, "since": since})).first()


async def undo_record(session: AsyncSession, log_id: int, *, person_id: int, is_admin: bool, at: datetime
                      ) -> UndoResult:
    """Undo the recording logged as ``log_id``: remove a created value, restore a replaced one.

    Only the person who recorded it (or an admin), only once, and only while the value is still the one
    recorded — otherwise ``Conflict`` saying so.
    """
    log = await session.get(AdminLog, log_id)
    if log is None or log.action != RECORDED or not isinstance(log.detail, dict):
        raise UserError("Det finns ingen sådan registrering att ångra.", "There is no such recording to undo.")
    if log.person_id != person_id and not is_admin:
        raise Forbidden("Bara den som registrerade värdet (eller en administratör) kan ångra det.",
                        "Only the person who recorded the value (or an administrator) can undo it.")
    detail = log.detail
    later = (await session.execute(
        select(AdminLog).where(AdminLog.action == UNDONE, AdminLog.id > log_id))).scalars().all()
    if any(isinstance(u.detail, dict) and u.detail.get("log_id") == log_id for u in later):
        raise Conflict("Registreringen är redan ångrad.", "The recording has already been undone.")
    row = await session.get(IndicatorValue, int(detail["value_id"]))
    new = detail.get("new") or {}
    if (row is None or Decimal(row.value) != Decimal(str(new.get("value")))
            or row.recorded_by_id != new.get("recorded_by_id")):
        raise Conflict("Värdet har ändrats sedan dess, så det går inte att ångra härifrån. Registrera rätt värde i "
                       "stället.", "The value has changed since, so it cannot be undone from here.")
    period = period_from_code(row.period)
    old = detail.get("old")
    current = _snapshot(row)
    if old is None:
        await session.execute(delete(IndicatorValue).where(IndicatorValue.id == row.id))
        result = UndoResult("removed", row.indicator_id, row.org_unit_id, period, None)
    else:
        row.value = Decimal(old["value"])
        row.kind = old["kind"]
        row.footnote = old["footnote"]
        row.source = old["source"]
        row.note = old["note"]
        row.is_demo = bool(old["is_demo"])
        row.recorded_by_id = old["recorded_by_id"]
        row.recorded_at = datetime.fromisoformat(old["recorded_at"]) if old.get("recorded_at") else at
        row.via = old["via"]
        result = UndoResult("restored", row.indicator_id, row.org_unit_id, period, Decimal(old["value"]))
    session.add(AdminLog(at=at, person_id=person_id, action=UNDONE, detail={
        "log_id": log_id, "value_id": detail["value_id"], "indicator_id": detail["indicator_id"],
        "org_unit_id": detail["org_unit_id"], "period": detail["period"], "undone": current,
        "outcome": result.outcome}))
    await session.flush()
    return result


async def has_values_for(session: AsyncSession, indicator_id: int, org_unit_id: int) -> bool:
    row = (await session.execute(
        select(IndicatorValue.id).where(and_(IndicatorValue.indicator_id == indicator_id,
                                             IndicatorValue.org_unit_id == org_unit_id)).limit(1)
    )).first()
    return row is not None
