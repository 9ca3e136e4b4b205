"""Handlingsplaner: plans, activities, the versioned update with its append-only log, tavelmöten,
history, the audit export, channel links and role grants.

Every change to an activity is one ``UPDATE activity SET …, version = version + 1 WHERE id = :id AND
version = :n``: the database decides (by the row count) whether a card or dialog opened on version *n*
may still write, so two people pressing at once can never both win and nothing is lost. The
``activity_update`` row of an applied change is written in the same transaction; a refused change
writes nothing and returns the fresh state and who changed it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import aliased

from storage.models import (
    Activity,
    ActivityUpdate,
    ActionPlan,
    AdminLog,
    BoardMeeting,
    BudgetLine,
    BudgetStatus,
    Conversation,
    Goal,
    Indicator,
    IndicatorTarget,
    IndicatorValue,
    Membership,
    OrgUnit,
    Person,
    ROLES,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
EDITABLE = ("title", "description", "owner_id", "start_date", "deadline", "status", "progress")
VIA = ("chat", "card", "dialog", "import", "demo")


# --- What the repository returns ------------------------------------------------------------


@dataclass(frozen=True)
class ActivityView:
    """An activity with its enhet, plan goal, owner and last editor — what cards and rules need."""

    id: int
    plan_id: int
    year: int
    unit_id: int
    unit_name: str
    goal_title: str
    title: str
    description: str | None
    owner_id: int | None
    owner_name: str | None
    start_date: date | None
    deadline: date | None
    status: str
    progress: int
    version: int
    updated_at: datetime
    updated_by_id: int | None
    updated_by_name: str | None
    is_demo: bool
    last_comment: str | None = None  # written with its latest update that had one (user text)


@dataclass(frozen=True)
class UpdateView:
    """One row of the append-only log, with names for reading."""

    id: int
    activity_id: int
    activity_title: str
    person_id: int | None
    person_name: str | None
    at: datetime
    via: str
    version: int
    old: dict[str, Any]
    new: dict[str, Any]
    comment: str | None


@dataclass(frozen=True)
class Outcome:
    """The result of a versioned update: applied (with its log row) or refused with the fresh state."""

    applied: bool
    activity: ActivityView | None  # the state now (after the change, or the one that won); None = gone
    update: UpdateView | None = None


@dataclass(frozen=True)
class PlanView:
    id: int
    unit_id: int
    goal_id: int
    goal_code: str
    goal_title: str
    year: int
    title: str | None
    parent_title: str | None  # the förvaltningsmål / prioritering / resultatmål it serves
    is_demo: bool


@dataclass(frozen=True)
class UnitView:
    id: int
    name: str
    kind: str
    parent_id: int | None
    is_demo: bool


@dataclass(frozen=True)
class PersonView:
    id: int
    name: str
    aad_object_id: str | None
    upn: str | None


@dataclass(frozen=True)
class MeetingView:
    id: int
    unit_id: int
    held_at: datetime
    started_by_name: str | None


@dataclass(frozen=True)
class Headline:
    """The unit's result and money at a glance (both optional: shown only when the data is there)."""

    indicator_name: str | None = None
    indicator_value: Decimal | None = None
    indicator_unit: str = ""
    indicator_decimals: int = 0
    indicator_period_end: date | None = None
    indicator_scope: str | None = None  # the unit whose value it is (the enhet or its area)
    target_low: Decimal | None = None
    target_high: Decimal | None = None
    target_label: str | None = None
    direction: str | None = None
    budget_area: str | None = None
    budget_total: Decimal | None = None
    utfall_to_date: Decimal | None = None
    through_month: int | None = None
    is_demo: bool = False


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    unit: str
    plan: str
    activity_id: int
    activity: str
    person: str
    via: str
    version: int
    old: dict[str, Any] = field(default_factory=dict)
    new: dict[str, Any] = field(default_factory=dict)
    comment: str | None = None


# --- Reading activities ---------------------------------------------------------------------

_Owner = aliased(Person, name="owner")
_Editor = aliased(Person, name="editor")


_ACTIVITY_COLUMNS = (Activity.id, Activity.plan_id, Activity.title, Activity.description, Activity.owner_id,
                     Activity.start_date, Activity.deadline, Activity.status, Activity.progress, Activity.version,
                     Activity.updated_at, Activity.updated_by_id, Activity.is_demo)


UNDO_NOTES = ("Ångrar ändringen", "Undoes the change")  # how an undo's log row begins its comment


def is_undo_note(comment: str | None) -> bool:
    """Whether a log row's comment is an undo's note (the log's own words, in the undoer's language), not a
    comment someone wrote."""
    return (comment or "").startswith(UNDO_NOTES)

_Undo = aliased(ActivityUpdate, name="undo")


def undone_by_next(update: Any) -> Any:
    """Whether the log row ``update`` (ActivityUpdate or an alias) was undone: an undo is a versioned update at
    the version the change produced, so its row is the very next one, and it carries an undo's note."""
    # Commented rows after this one only: the partial index (activity_id, id) where comment is not null walks
    # those, not the activity's whole log (every press of Spara is a row). The note's start is compared with
    # substr, not LIKE: SQLite prepares a statement again at every run when a LIKE's pattern is a parameter
    # (≈ 80 µs for an activity list; 1.5 µs this way).
    return (select(_Undo.id).where(_Undo.activity_id == update.activity_id, _Undo.comment.is_not(None),
                                   _Undo.id > update.id, _Undo.version == update.version + 1,
                                   or_(*(func.substr(_Undo.comment, 1, len(note)) == note for note in UNDO_NOTES)))
            .exists())


# the latest comment a person wrote: an undo's note is the log's, not a comment ("Senaste kommentar" showed
# "Ångrar ändringen 15/05 kl. 21:40" instead of what was written before), and a comment written with a change
# that was undone went with it ("fyra av fem klara" stayed beside the 40 % the undo put back)
_LAST_COMMENT = (select(ActivityUpdate.comment)  # the activity_update.activity_id index: one short walk per row
                 .where(ActivityUpdate.activity_id == Activity.id, ActivityUpdate.comment.is_not(None),
                        *(ActivityUpdate.comment.not_like(note + "%") for note in UNDO_NOTES),
                        ~undone_by_next(ActivityUpdate))
                 .order_by(ActivityUpdate.id.desc()).limit(1).scalar_subquery().label("last_comment"))


def _activity_select() -> Any:
    # Columns, not the mapped entity: a view is built from plain rows (no identity map to keep fresh after
    # the versioned UPDATE, and a third of the cost of loading objects).
    return (
        select(*_ACTIVITY_COLUMNS, ActionPlan.year, ActionPlan.org_unit_id, OrgUnit.name, Goal.title, _Owner.name,
               _Editor.name, _LAST_COMMENT)
        .join(ActionPlan, ActionPlan.id == Activity.plan_id)
        .join(OrgUnit, OrgUnit.id == ActionPlan.org_unit_id)
        .join(Goal, Goal.id == ActionPlan.goal_id)
        .outerjoin(_Owner, _Owner.id == Activity.owner_id)
        .outerjoin(_Editor, _Editor.id == Activity.updated_by_id)
    )


def _view(row: Any) -> ActivityView:
    (id_, plan_id, title, description, owner_id, start_date, deadline, status, progress, version, updated_at,
     updated_by_id, is_demo, year, unit_id, unit_name, goal_title, owner_name, editor_name, last_comment) = row
    return ActivityView(
        id=id_, plan_id=plan_id, year=year, unit_id=unit_id, unit_name=unit_name, goal_title=goal_title,
        title=title, description=description, owner_id=owner_id, owner_name=owner_name,
        start_date=start_date, deadline=deadline, status=status, progress=progress, version=version,
        updated_at=updated_at, updated_by_id=updated_by_id, updated_by_name=editor_name, is_demo=is_demo,
        last_comment=last_comment,
    )


_ACTIVITY_BY_ID = _activity_select().where(Activity.id == bindparam("id"))  # built once (keeps its cache key)


async def get_activity(session: AsyncSession, activity_id: int) -> ActivityView | None:
    row = (await session.execute(_ACTIVITY_BY_ID, {"id": activity_id})).first()
    return _view(row) if row else None


_LISTS: dict[tuple[bool, ...], Any] = {}  # per combination of filters, built once (as _ACTIVITY_BY_ID)


def _list_statement(filters: tuple[bool, bool, bool, bool, bool]) -> Any:
    stmt = _LISTS.get(filters)
    if stmt is None:
        year, owner, units, ids, statuses = filters
        stmt = _activity_select()
        if year:
            stmt = stmt.where(ActionPlan.year == bindparam("year"))
        if owner:
            stmt = stmt.where(Activity.owner_id == bindparam("owner_id"))
        if units:
            stmt = stmt.where(ActionPlan.org_unit_id.in_(bindparam("unit_ids", expanding=True)))
        if ids:
            stmt = stmt.where(Activity.id.in_(bindparam("ids", expanding=True)))
        if statuses:
            stmt = stmt.where(Activity.status.in_(bindparam("statuses", expanding=True)))
        stmt = _LISTS[filters] = stmt.order_by(Activity.deadline.is_(None), Activity.deadline, Activity.title,
                                               Activity.id)
    return stmt


async def list_activities(session: AsyncSession, *, year: int | None = None, owner_id: int | None = None,
                          unit_ids: Iterable[int] | None = None, ids: Iterable[int] | None = None,
                          statuses: Iterable[str] | None = None) -> list[ActivityView]:
    """Activities filtered by year, owner, enheter, ids or statuses; ordered by deadline then title."""
    params: dict[str, Any] = {"year": year, "owner_id": owner_id}
    lists = {"unit_ids": unit_ids, "ids": ids, "statuses": statuses}
    for name, values in lists.items():
        if values is not None:
            params[name] = list(values)
            if not params[name]:  # IN () matches nothing
                return []
    stmt = _list_statement((year is not None, owner_id is not None, unit_ids is not None, ids is not None,
                            statuses is not None))
    return [_view(row) for row in (await session.execute(stmt, {k: v for k, v in params.items() if v is not None}))
            .all()]


# --- Changing activities --------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


async def _update_view(session: AsyncSession, update_id: int) -> UpdateView | None:
    rows = await _updates(session, ActivityUpdate.id == update_id)
    return rows[0] if rows else None


# Statements of an update, built once per set of changed fields (a turn would otherwise spend more on building
# and keying them than SQLite spends running them): Core statements on the tables, values as bind parameters.
_ACTIVITY = Activity.__table__
_LOGGED = ("activity_id", "person_id", "at", "via", "version", "old", "new", "comment")  # a log row's values
_LOG_UPDATE = (insert(ActivityUpdate.__table__).values({c: bindparam(c) for c in _LOGGED})
               .returning(ActivityUpdate.__table__.c.id))
_UPDATES: dict[tuple[str, ...], tuple[Any, Any, Any]] = {}


def _update_statements(names: tuple[str, ...]) -> tuple[Any, Any, Any]:
    """(the old values of ``names`` if the version still matches, the versioned update of them, and that update
    with its log row in one statement — PostgreSQL: the log row is written only when the update matched)."""
    built = _UPDATES.get(names)
    if built is None:
        match = (_ACTIVITY.c.id == bindparam("activity_id"), _ACTIVITY.c.version == bindparam("expected"))
        old = select(_ACTIVITY.c.id, *(_ACTIVITY.c[n] for n in names)).where(*match)
        new = (update(_ACTIVITY).where(*match)
               .values({**{n: bindparam(f"new_{n}") for n in names}, "version": _ACTIVITY.c.version + 1,
                        "updated_at": bindparam("at"), "updated_by_id": bindparam("by")}))
        log = ActivityUpdate.__table__
        changed = new.returning(_ACTIVITY.c.id).cte("changed")
        logged = (insert(log).from_select(list(_LOGGED), select(
            changed.c.id, *(bindparam(f"log_{c}", type_=log.c[c].type) for c in _LOGGED[1:])))
            .add_cte(changed).returning(log.c.id))
        built = _UPDATES[names] = (old, new, logged)
    return built


async def update_activity(session: AsyncSession, activity_id: int, expected_version: int, changes: dict[str, Any],
                          *, person_id: int | None, via: str, at: datetime, comment: str | None = None,
                          current: ActivityView | None = None, editor_name: str | None = None) -> Outcome:
    """Apply ``changes`` if the activity is still at ``expected_version`` — decided by the database.

    ``changes`` holds only fields of ``EDITABLE``. A comment alone is a change too (it is logged and bumps
    the version, so a card opened before it sees that someone reported). Applied: one ``activity_update`` row
    with the old and new values of the changed fields, in the caller's transaction. On PostgreSQL the update and
    its log row are one statement, atomic by itself: the caller may run it without a transaction
    (``Store.one_write_session``).

    ``current``: the activity as the caller read it in this transaction. When it is at ``expected_version``
    its values are the old ones (every change bumps the version, and the update below is refused unless the
    row is still at that version), and the activity after the update is ``current`` with the changes — two
    reads fewer. ``editor_name`` is ``person_id``'s name, for that view; without it (or when the owner
    changes, whose name is another row) the activity is read again after the update.
    """
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if via not in VIA:
        raise ValueError(f"unknown via {via!r}")
    names = tuple(n for n in EDITABLE if n in changes)  # one order: at most 127 sets of statements
    old_stmt, update_stmt, update_and_log = _update_statements(names)
    where = {"activity_id": activity_id, "expected": expected_version}
    known = current is not None and current.id == activity_id and current.version == expected_version
    if known:
        assert current is not None
        old = {name: _jsonable(getattr(current, name)) for name in names}
    else:
        old_row = (await session.execute(old_stmt, where)).first()
        if old_row is None:
            return Outcome(False, await get_activity(session, activity_id))
        old = {name: _jsonable(value) for name, value in zip(names, old_row[1:])}
    new = {name: _jsonable(changes[name]) for name in names}
    setting = {**where, **{f"new_{n}": v for n, v in changes.items()}, "at": at, "by": person_id}
    log_row = {"person_id": person_id, "at": at, "via": via, "version": expected_version + 1, "old": old,
               "new": new, "comment": comment}
    if session.get_bind().dialect.name == "postgresql":  # one round trip: no log row unless the update matched
        update_id = (await session.execute(update_and_log, {
            **setting, **{f"log_{k}": v for k, v in log_row.items()}})).scalar_one_or_none()
        if update_id is None:
            return Outcome(False, await get_activity(session, activity_id))
    else:
        if (await session.execute(update_stmt, setting)).rowcount != 1:
            return Outcome(False, await get_activity(session, activity_id))
        update_id = (await session.execute(_LOG_UPDATE, {"activity_id": activity_id, **log_row})).scalar_one()
    if known and "owner_id" not in changes and (editor_name is not None or person_id is None):
        assert current is not None
        after: ActivityView | None = replace(current, **changes, version=expected_version + 1, updated_at=at,
                                             updated_by_id=person_id, updated_by_name=editor_name,
                                             last_comment=comment or current.last_comment)
    else:
        after = await get_activity(session, activity_id)
    assert after is not None  # updated in this transaction
    # The log row as written (its names are the activity's title and its editor's name, just read).
    logged = UpdateView(update_id, activity_id, after.title, person_id, after.updated_by_name, at, via,
                        expected_version + 1, old, new, comment)
    return Outcome(True, after, logged)


async def create_activity(session: AsyncSession, plan_id: int, title: str, *, person_id: int | None, via: str,
                          at: datetime, owner_id: int | None = None, deadline: date | None = None,
                          start_date: date | None = None, status: str = "ej_paborjad", progress: int = 0,
                          description: str | None = None, comment: str | None = None,
                          is_demo: bool = False) -> ActivityView:
    """A new activity at version 1, logged as its first update (old = nothing)."""
    activity = Activity(plan_id=plan_id, title=title, description=description, owner_id=owner_id,
                        start_date=start_date, deadline=deadline, status=status, progress=progress, version=1,
                        is_demo=is_demo, created_at=at, updated_at=at, updated_by_id=person_id)
    session.add(activity)
    await session.flush()
    new = {name: _jsonable(getattr(activity, name)) for name in EDITABLE if getattr(activity, name) is not None}
    session.add(ActivityUpdate(activity_id=activity.id, person_id=person_id, at=at, via=via, version=1, old={},
                               new=new, comment=comment))
    await session.flush()
    view = await get_activity(session, activity.id)
    assert view is not None
    return view


# --- The log --------------------------------------------------------------------------------

_Who = aliased(Person, name="who")


async def _updates(session: AsyncSession, *where: Any, limit: int | None = None, newest_first: bool = True
                   ) -> list[UpdateView]:
    stmt = (
        select(ActivityUpdate.id, ActivityUpdate.activity_id, Activity.title, ActivityUpdate.person_id, _Who.name,
               ActivityUpdate.at, ActivityUpdate.via, ActivityUpdate.version, ActivityUpdate.old, ActivityUpdate.new,
               ActivityUpdate.comment)
        .select_from(ActivityUpdate)
        .join(Activity, Activity.id == ActivityUpdate.activity_id)
        .outerjoin(_Who, _Who.id == ActivityUpdate.person_id)
        .where(*where)
    )
    order = (ActivityUpdate.at.desc(), ActivityUpdate.id.desc()) if newest_first else (ActivityUpdate.at, ActivityUpdate.id)
    stmt = stmt.order_by(*order)
    if limit:
        stmt = stmt.limit(limit)
    return [UpdateView(id_, activity_id, title, person_id, name, at, via, version, dict(old or {}), dict(new or {}),
                       comment)
            for id_, activity_id, title, person_id, name, at, via, version, old, new, comment
            in (await session.execute(stmt)).all()]


_LATEST_UPDATE_BY = (select(ActivityUpdate.id, ActivityUpdate.activity_id, ActivityUpdate.version, ActivityUpdate.at,
                            ActivityUpdate.comment)
                     .where(ActivityUpdate.person_id == bindparam("person_id"), ActivityUpdate.at >= bindparam("since"),
                            ActivityUpdate.via != "import")
                     .order_by(ActivityUpdate.id.desc()).limit(1))


async def latest_update_by(session: AsyncSession, person_id: int, since: datetime) -> Any:
    """The latest change ``person_id`` made to an activity since ``since`` in chat, on a card or in a dialog
    (id, activity_id, version, at, comment), or None."""
    return (await session.execute(_LATEST_UPDATE_BY, {"person_id": person_id, "since": since})).first()


async def get_update(session: AsyncSession, update_id: int) -> UpdateView | None:
    return await _update_view(session, update_id)


async def history(session: AsyncSession, activity_id: int, limit: int = 30) -> list[UpdateView]:
    """The activity's log, newest first."""
    return await _updates(session, ActivityUpdate.activity_id == activity_id, limit=limit)


_Undone = aliased(ActivityUpdate, name="undone")


def _changes_since(unit_id: int, since: datetime | None, year: int) -> list[Any]:
    """The enhet's activity changes after ``since`` (all of the year when there was no meeting), less a change
    undone since and its undo — together they changed nothing. An undo of a change from before ``since`` stays:
    it is a change since the meeting."""
    after = (lambda column: column > since) if since is not None else (lambda column: column.is_not(None))
    undoes_one_since = (select(_Undone.id)
                        .where(_Undone.activity_id == ActivityUpdate.activity_id,
                               _Undone.version == ActivityUpdate.version - 1, after(_Undone.at))
                        .exists())
    is_undo = or_(*(func.substr(ActivityUpdate.comment, 1, len(note)) == note for note in UNDO_NOTES))
    return [Activity.plan_id.in_(select(ActionPlan.id).where(ActionPlan.org_unit_id == unit_id,
                                                              ActionPlan.year == year)),
            after(ActivityUpdate.at), ~undone_by_next(ActivityUpdate),
            ~(ActivityUpdate.comment.is_not(None) & is_undo & undoes_one_since)]


async def updates_since(session: AsyncSession, unit_id: int, since: datetime | None, *, year: int,
                        limit: int = 50) -> list[UpdateView]:
    """Changes to the enhet's activities after ``since`` (``_changes_since``), newest first."""
    return await _updates(session, *_changes_since(unit_id, since, year), limit=limit)


async def count_updates_since(session: AsyncSession, unit_id: int, since: datetime | None, *, year: int) -> int:
    stmt = (select(func.count(ActivityUpdate.id)).join(Activity, Activity.id == ActivityUpdate.activity_id)
            .where(*_changes_since(unit_id, since, year)))
    return int((await session.execute(stmt)).scalar_one())


async def audit_rows(session: AsyncSession, start: datetime, end: datetime) -> list[AuditRow]:
    """Every logged change with ``start <= at < end``, oldest first, with names (the export's rows)."""
    stmt = (
        select(ActivityUpdate, Activity.title, _Who.name, OrgUnit.name, Goal.title)
        .join(Activity, Activity.id == ActivityUpdate.activity_id)
        .join(ActionPlan, ActionPlan.id == Activity.plan_id)
        .join(OrgUnit, OrgUnit.id == ActionPlan.org_unit_id)
        .join(Goal, Goal.id == ActionPlan.goal_id)
        .outerjoin(_Who, _Who.id == ActivityUpdate.person_id)
        .where(ActivityUpdate.at >= start, ActivityUpdate.at < end)
        .order_by(ActivityUpdate.at, ActivityUpdate.id)
    )
    return [AuditRow(u.at, unit, plan, u.activity_id, title, who or "", u.via, u.version, dict(u.old or {}),
                     dict(u.new or {}), u.comment)
            for u, title, who, unit, plan in (await session.execute(stmt)).all()]


AUDIT_COLUMNS = ("tidpunkt", "enhet", "handlingsplan", "aktivitet_id", "aktivitet", "person", "via", "version",
                 "före", "efter", "kommentar")


def _pairs(values: dict[str, Any]) -> str:
    return "; ".join(f"{k}={'' if v is None else v}" for k, v in sorted(values.items()))


def write_audit_csv(rows: Iterable[AuditRow], out: TextIO) -> int:
    """The log as CSV for Excel in Sweden: ``;``-separated, times in Europe/Stockholm. Returns the row count."""
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(AUDIT_COLUMNS)
    count = 0
    for row in rows:
        writer.writerow([
            row.at.astimezone(STOCKHOLM).isoformat(timespec="seconds"), row.unit, row.plan, row.activity_id,
            row.activity, row.person, row.via, row.version, _pairs(row.old), _pairs(row.new), row.comment or "",
        ])
        count += 1
    return count


def audit_csv(rows: Sequence[AuditRow]) -> str:
    buffer = io.StringIO()
    write_audit_csv(rows, buffer)
    return buffer.getvalue()


# --- Plans, units, people -------------------------------------------------------------------


async def get_unit(session: AsyncSession, unit_id: int) -> UnitView | None:
    unit = await session.get(OrgUnit, unit_id)
    return UnitView(unit.id, unit.name, unit.kind, unit.parent_id, unit.is_demo) if unit else None


_UNIT_PATH = text(
    "WITH RECURSIVE up(id, parent_id, depth) AS ("
    " SELECT id, parent_id, 0 FROM org_unit WHERE id = :unit_id"
    " UNION ALL"
    " SELECT o.id, o.parent_id, up.depth + 1 FROM org_unit o JOIN up ON o.id = up.parent_id WHERE up.depth < 19"
    ") SELECT id FROM up ORDER BY depth"
)


async def unit_path(session: AsyncSession, unit_id: int) -> tuple[int, ...]:
    """The unit and every unit above it, nearest first (for "chef of the area above"); one statement. A cycle
    in the tree (a data error) ends the path where a unit comes back."""
    path = [unit_id]  # itself even when it is not stored, as before
    for (current,) in list(await session.execute(_UNIT_PATH, {"unit_id": unit_id}))[1:]:
        if current in path:
            break
        path.append(current)
    return tuple(path)


async def plans_for_unit(session: AsyncSession, unit_id: int, year: int) -> list[PlanView]:
    parent = aliased(Goal, name="parent_goal")
    rows = (await session.execute(
        select(ActionPlan, Goal.code, Goal.title, parent.title)
        .join(Goal, Goal.id == ActionPlan.goal_id)
        .outerjoin(parent, parent.id == Goal.parent_id)
        .where(ActionPlan.org_unit_id == unit_id, ActionPlan.year == year)
        .order_by(Goal.sort_order, Goal.id)
    )).all()
    return [PlanView(p.id, p.org_unit_id, p.goal_id, code, title, p.year, p.title, parent_title, p.is_demo)
            for p, code, title, parent_title in rows]


async def get_plan(session: AsyncSession, plan_id: int) -> PlanView | None:
    parent = aliased(Goal, name="parent_goal")
    row = (await session.execute(
        select(ActionPlan, Goal.code, Goal.title, parent.title)
        .join(Goal, Goal.id == ActionPlan.goal_id)
        .outerjoin(parent, parent.id == Goal.parent_id)
        .where(ActionPlan.id == plan_id)
    )).first()
    if row is None:
        return None
    p, code, title, parent_title = row
    return PlanView(p.id, p.org_unit_id, p.goal_id, code, title, p.year, p.title, parent_title, p.is_demo)


async def ensure_plan(session: AsyncSession, unit_id: int, goal_id: int, year: int, *, title: str | None = None,
                      is_demo: bool = False, at: datetime | None = None) -> int:
    """The plan of (enhet, verksamhetsmål, year), created when missing."""
    existing = (await session.execute(select(ActionPlan.id).where(
        ActionPlan.org_unit_id == unit_id, ActionPlan.goal_id == goal_id, ActionPlan.year == year))).scalar_one_or_none()
    if existing is not None:
        return existing
    plan = ActionPlan(org_unit_id=unit_id, goal_id=goal_id, year=year, title=title, is_demo=is_demo)
    if at is not None:
        plan.created_at = at
    session.add(plan)
    await session.flush()
    return plan.id


async def unit_people(session: AsyncSession, unit_path_ids: Sequence[int]) -> list[tuple[PersonView, str, int]]:
    """Active people with a membership in any of these units: (person, role, unit id), the enhet first."""
    rows = (await session.execute(
        select(Person, Membership.role, Membership.org_unit_id)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.org_unit_id.in_(list(unit_path_ids)), Membership.active.is_(True), Person.active.is_(True))
        .order_by(Person.name)
    )).all()
    order = {u: i for i, u in enumerate(unit_path_ids)}
    out = [(PersonView(p.id, p.name, p.aad_object_id, p.upn), role, unit) for p, role, unit in rows]
    return sorted(out, key=lambda r: (order.get(r[2], 99), r[0].name))


async def all_people(session: AsyncSession) -> list[PersonView]:
    rows = (await session.execute(select(Person).where(Person.active.is_(True)).order_by(Person.name))).scalars()
    return [PersonView(p.id, p.name, p.aad_object_id, p.upn) for p in rows]


async def find_person(session: AsyncSession, ref: str) -> PersonView | None:
    """A person by AAD object id, UPN/e-mail or exact name (case-insensitive); None when none or several."""
    ref = ref.strip()
    rows = (await session.execute(select(Person).where(or_(
        Person.aad_object_id == ref, func.lower(Person.upn) == ref.lower(), func.lower(Person.name) == ref.lower(),
    )))).scalars().all()
    if len(rows) != 1:
        return None
    p = rows[0]
    return PersonView(p.id, p.name, p.aad_object_id, p.upn)


async def find_unit(session: AsyncSession, ref: str, year: int) -> UnitView | None:
    """An org unit valid in ``year`` by code or exact name (case-insensitive)."""
    ref = ref.strip()
    rows = (await session.execute(select(OrgUnit).where(
        or_(OrgUnit.code == ref, func.lower(OrgUnit.name) == ref.lower()),
        OrgUnit.valid_from <= year, or_(OrgUnit.valid_to.is_(None), OrgUnit.valid_to >= year),
    ))).scalars().all()
    if len(rows) != 1:
        return None
    u = rows[0]
    return UnitView(u.id, u.name, u.kind, u.parent_id, u.is_demo)


async def units_of(session: AsyncSession, unit_ids: Iterable[int]) -> list[UnitView]:
    rows = (await session.execute(select(OrgUnit).where(OrgUnit.id.in_(list(unit_ids))).order_by(OrgUnit.name))).scalars()
    return [UnitView(u.id, u.name, u.kind, u.parent_id, u.is_demo) for u in rows]


async def enheter_below(session: AsyncSession, unit_ids: Iterable[int], year: int) -> list[UnitView]:
    """The enheter among and below the given units (a chef of an area leads all its enheter)."""
    rows = (await session.execute(select(OrgUnit).where(
        OrgUnit.valid_from <= year, or_(OrgUnit.valid_to.is_(None), OrgUnit.valid_to >= year)))).scalars().all()
    children: dict[int | None, list[OrgUnit]] = {}
    for unit in rows:
        children.setdefault(unit.parent_id, []).append(unit)
    by_id = {u.id: u for u in rows}
    found: dict[int, OrgUnit] = {}
    stack = [by_id[i] for i in unit_ids if i in by_id]
    while stack:
        unit = stack.pop()
        if unit.id in found:
            continue
        found[unit.id] = unit
        stack.extend(children.get(unit.id, []))
    return sorted((UnitView(u.id, u.name, u.kind, u.parent_id, u.is_demo) for u in found.values() if u.kind == "enhet"),
                  key=lambda u: u.name)


# --- Tavelmöten -----------------------------------------------------------------------------


async def start_meeting(session: AsyncSession, unit_id: int, person_id: int | None, at: datetime) -> int:
    meeting = BoardMeeting(org_unit_id=unit_id, held_at=at, started_by_id=person_id)
    session.add(meeting)
    await session.flush()
    return meeting.id


async def meetings(session: AsyncSession, unit_id: int, limit: int = 10) -> list[MeetingView]:
    rows = (await session.execute(
        select(BoardMeeting, Person.name).outerjoin(Person, Person.id == BoardMeeting.started_by_id)
        .where(BoardMeeting.org_unit_id == unit_id).order_by(BoardMeeting.held_at.desc()).limit(limit)
    )).all()
    return [MeetingView(m.id, m.org_unit_id, m.held_at, name) for m, name in rows]


# --- Channels linked to an enhet ------------------------------------------------------------


def _channel_rows(conversation_id: str, channel_id: str | None) -> Any:
    conditions = [Conversation.conversation_id == conversation_id]
    if channel_id:
        conditions += [Conversation.conversation_id == channel_id,
                       Conversation.conversation_id.startswith(channel_id + ";", autoescape=True)]
    return or_(*conditions)


async def link_channel(session: AsyncSession, conversation_id: str, channel_id: str | None, unit_id: int,
                       person_id: int | None, at: datetime) -> int:
    """Link the channel (every stored thread of it) to an enhet; returns how many rows were linked."""
    result = await session.execute(
        update(Conversation).where(_channel_rows(conversation_id, channel_id))
        .values(org_unit_id=unit_id, updated_at=at).execution_options(synchronize_session=False)
    )
    session.add(AdminLog(at=at, person_id=person_id, action="link_channel",
                         detail={"conversation_id": conversation_id, "channel_id": channel_id, "org_unit_id": unit_id}))
    return int(result.rowcount or 0)


async def linked_unit(session: AsyncSession | AsyncConnection, conversation_id: str, channel_id: str | None
                      ) -> int | None:
    """The enhet a channel is linked to (any thread of it), or None."""
    return (await session.execute(
        select(Conversation.org_unit_id).where(_channel_rows(conversation_id, channel_id),
                                               Conversation.org_unit_id.is_not(None))
        .order_by(Conversation.updated_at.desc()).limit(1)
    )).scalar_one_or_none()


async def known_user_ids(session: AsyncSession, aad_object_ids: Sequence[str], limit: int = 60) -> dict[str, str]:
    """Teams user ids (MRIs, "29:…") of people whose personal chat with Tavla is stored: aad id → MRI."""
    if not aad_object_ids:
        return {}
    aad = Conversation.reference[("user", "aadObjectId")].as_string()
    rows = (await session.execute(
        select(aad, Conversation.reference[("user", "id")].as_string())
        .where(Conversation.conversation_type == "personal", Conversation.installed.is_(True),
               aad.in_(list(aad_object_ids)))
        .limit(limit * 2)
    )).all()
    return {a: mri for a, mri in rows if a and mri}


# --- The unit's headline: indicator and budget (read-only use of the indicator/budget tables) --


async def unit_headline(session: AsyncSession, unit_id: int, year: int) -> Headline:
    """The latest indicator value recorded for the enhet (else its area), and the area's budget and utfall."""
    path = await unit_path(session, unit_id)
    near = path[:2]  # the enhet and its verksamhetsområde; kommun-wide values say little about one unit
    values: dict[str, Any] = {}
    if near:
        rows = (await session.execute(
            select(IndicatorValue, Indicator, OrgUnit.name)
            .join(Indicator, Indicator.id == IndicatorValue.indicator_id)
            .join(OrgUnit, OrgUnit.id == IndicatorValue.org_unit_id)
            .where(IndicatorValue.org_unit_id.in_(near))
        )).all()
        if rows:
            # The enhet's own value before its area's; then the newest.
            value, indicator, scope = max(rows, key=lambda r: (r[0].org_unit_id == unit_id, r[0].period_end, r[0].id))
            target = (await session.execute(select(IndicatorTarget).where(
                IndicatorTarget.indicator_id == indicator.id, IndicatorTarget.year == year))).scalar_one_or_none()
            values.update(
                indicator_name=indicator.short_name or indicator.name, indicator_value=value.value,
                indicator_unit=indicator.unit, indicator_decimals=indicator.decimals,
                indicator_period_end=value.period_end, indicator_scope=scope, direction=indicator.direction,
                target_low=target.low if target else None, target_high=target.high if target else None,
                target_label=target.label if target else None, is_demo=bool(value.is_demo),
            )
    area_id = path[1] if len(path) > 1 else None
    if area_id is not None:
        total = (await session.execute(select(func.sum(BudgetLine.net_cost)).where(
            BudgetLine.org_unit_id == area_id, BudgetLine.year == year))).scalar_one_or_none()
        if total is not None:
            area = await session.get(OrgUnit, area_id)
            values.update(budget_area=area.name if area else None, budget_total=Decimal(total))
            status = (await session.execute(
                select(func.sum(BudgetStatus.utfall_to_date), func.max(BudgetStatus.through_month))
                .join(BudgetLine, BudgetLine.id == BudgetStatus.budget_line_id)
                .where(BudgetLine.org_unit_id == area_id, BudgetStatus.year == year,
                       BudgetStatus.utfall_to_date.is_not(None))
            )).first()
            if status is not None and status[0] is not None:
                values.update(utfall_to_date=Decimal(status[0]), through_month=status[1])
    return Headline(**values)


# --- Roles ----------------------------------------------------------------------------------


class RoleError(ValueError):
    """A role grant that cannot be done (unknown person, unit or role); the message is Swedish."""


async def grant_role(session: AsyncSession, person_ref: str, unit_ref: str, role: str, *, year: int,
                     granted_by_id: int | None, at: datetime) -> tuple[PersonView, UnitView, bool]:
    """Give a person a role in an org unit; returns (person, unit, newly granted). Logged in the admin log."""
    if role not in ROLES:
        raise RoleError(f"Okänd roll ”{role}”. Roller: {', '.join(ROLES)}.")
    person = await find_person(session, person_ref)
    if person is None:
        raise RoleError(f"Hittar ingen (eller flera) personer som heter eller har id ”{person_ref}”. "
                        "Ange AAD-objekt-id, e-postadress eller hela namnet.")
    unit = await find_unit(session, unit_ref, year)
    if unit is None:
        raise RoleError(f"Hittar ingen enhet eller verksamhet med kod eller namn ”{unit_ref}” för {year}.")
    existing = (await session.execute(select(Membership).where(
        Membership.person_id == person.id, Membership.org_unit_id == unit.id, Membership.role == role))).scalar_one_or_none()
    newly = existing is None or not existing.active
    if existing is None:
        session.add(Membership(person_id=person.id, org_unit_id=unit.id, role=role, granted_by_id=granted_by_id,
                               granted_at=at, active=True))
    elif not existing.active:
        existing.active = True
        existing.granted_by_id = granted_by_id
        existing.granted_at = at
    session.add(AdminLog(at=at, person_id=granted_by_id, action="grant_role",
                         detail={"person_id": person.id, "org_unit_id": unit.id, "role": role, "newly": newly}))
    await session.flush()
    return person, unit, newly

