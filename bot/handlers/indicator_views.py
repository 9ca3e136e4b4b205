"""Building the indicator cards' view models from the store and the rules (shared by the indicator handlers).

Not a handler: the handlers are ``indicator_status``, ``indicator_overview`` and ``indicator_record*``.
Card data is user input, so ids from buttons are checked here (type, existence) before anything is read.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.card_data import card_int
from bot.turn import Turn
from cards.indicators import (
    Choice,
    Measured,
    OverviewGroup,
    OverviewLine,
    OverviewView,
    StatusView,
    refusal_text,
)
from followup.errors import Forbidden, UserError
from followup.indicators import Status, Target, assess, is_health_data, is_stale, may_record
from storage import indicators as repo
from storage.catalogue import CatalogueReads
from storage.indicators import IndicatorInfo, StoredValue, UnitInfo


STATUS_VIEWS_KEPT = 256  # status views kept for repeats (a few KB each)


def as_id(value: Any, what: str = "id") -> int:
    """A positive integer id from card data (bool, floats with decimals and text are refused)."""
    ident = card_int(value)
    if ident is None:
        raise UserError(f"Ogiltigt {what} i knappen.", f"Invalid {what} in the button.")
    return ident


def optional_id(value: Any, what: str = "id") -> int | None:
    return None if value in (None, "") else as_id(value, what)


def measured(v: StoredValue, today: date) -> Measured:
    return Measured(period=v.period, value=v.value, kind=v.kind, source=v.source, footnote=v.footnote,
                    is_demo=v.is_demo, recorded_by=v.recorded_by_name, recorded_at=v.recorded_at, via=v.via,
                    stale=is_stale(v.period, today))


def _exact(targets: tuple[Target, ...], year: int) -> Target | None:
    return next((t for t in targets if t.year == year), None)


async def require_indicator(session: AsyncSession, indicator_id: int, catalogue: CatalogueReads | None = None
                            ) -> IndicatorInfo:
    """``catalogue``: read through the turn's (a read session only, ``storage.catalogue``)."""
    info = await (catalogue or repo).indicator(session, indicator_id)
    if info is None:
        raise UserError("Den indikatorn finns inte (längre) i Tavla.", "That indicator no longer exists in Tavla.")
    return info


async def require_unit(session: AsyncSession, unit_id: int, catalogue: CatalogueReads | None = None) -> UnitInfo:
    unit = await (catalogue or repo).unit(session, unit_id)
    if unit is None:
        raise UserError("Den enheten finns inte (längre) i Tavla.", "That unit no longer exists in Tavla.")
    return unit


async def status_view(turn: Turn, session: AsyncSession, indicator_id: int, org_unit_id: int | None,
                      as_of: date | None = None) -> StatusView:
    """The status card's view: the unit's own values when it has any, else the whole kommun's; with ``as_of``
    (an earlier day: "status frisknärvaro i mars"), as it stood then."""
    today = turn.clock.today() if as_of is None else min(as_of, turn.clock.today())
    catalogue = turn.catalogue  # a read session: indicator and units as kept at the turn's stamps
    kept = turn.indicator_values
    info = await require_indicator(session, indicator_id, catalogue)
    root = await catalogue.root_unit(session, today.year)
    scope, asked = root, None
    values: tuple[StoredValue, ...] = ()
    if org_unit_id is not None and org_unit_id != root.id:
        unit = await require_unit(session, org_unit_id, catalogue)
        values = await kept.values(session, info.id, unit.id)
        if values:
            scope = unit
        else:
            asked = unit.name
    if scope is root:
        values = await kept.values(session, info.id, root.id)
    # "(inställt datum)" says the clock is pinned: not for an earlier day asked for, which is no setting
    return _status_view(info, scope, asked, values, today, turn.clock.pinned and today == turn.clock.today())


@lru_cache(maxsize=STATUS_VIEWS_KEPT)
def _status_view(info: IndicatorInfo, scope: UnitInfo, asked: str | None, values: tuple[StoredValue, ...],
                 today: date, pinned: bool) -> StatusView:
    """From what was read (all of it in the arguments: equal reads give an equal view, so a status asked again
    before anything changed is not worked out again)."""
    shown_values = [v for v in values if v.period.start <= today]
    assessment = assess(info.direction, info.targets, [v.point for v in shown_values], today, unit=info.unit)
    shown = tuple(measured(v, today) for v in shown_values)
    latest = None
    if assessment.latest is not None:
        latest = next((m for m in reversed(shown) if m.period == assessment.latest.period), None)
    return StatusView(
        indicator_id=info.id, name=info.name, short_name=info.short_name, unit=info.unit, decimals=info.decimals,
        direction=info.direction, goal_id=info.goal_id, goal_kind=info.goal_kind, goal_title=info.goal_title,
        scope_unit_id=scope.id, scope_name=scope.name, scope_is_kommun=scope.is_root, asked_unit_name=asked,
        assessment=assessment,
        targets=((today.year, _exact(info.targets, today.year)), (today.year + 1, _exact(info.targets, today.year + 1))),
        values=shown, latest=latest, definition=info.definition, health_data=is_health_data(info.code),
        as_of=today, pinned=pinned,
    )


STATUS_FILTERS = {"risk": (Status.RISK, Status.EJ_UPPNATT), "uppnatt": (Status.UPPNATT,), "pa_vag": (Status.PA_VAG,)}


async def overview_view(turn: Turn, session: AsyncSession, goal_id: int | None, org_unit_id: int | None,
                        goal_query: str | None, status: str | None = None) -> OverviewView:
    """One line per indicator (grouped by goal) with its status for the unit, or the kommun where it has none;
    only those whose status is one of ``STATUS_FILTERS[status]`` when ``status`` is given."""
    wanted = STATUS_FILTERS.get(status or "")
    today = turn.clock.today()
    infos = await repo.indicators(session)
    chosen = [i for i in infos if i.goal_id == goal_id] if goal_id is not None else []
    if not chosen:  # no goal asked, or one from an old button that no longer exists: all of them
        chosen, goal_id = infos, None
    root = await repo.root_unit(session, today.year)
    unit = await require_unit(session, org_unit_id) if org_unit_id is not None and org_unit_id != root.id else None
    unit_ids = [root.id] + ([unit.id] if unit else [])
    values = await repo.values(session, [i.id for i in chosen], unit_ids)
    by_key: dict[tuple[int, int], list[StoredValue]] = {}
    for v in values:
        if v.period.start <= today:
            by_key.setdefault((v.indicator_id, v.org_unit_id), []).append(v)
    groups: dict[int, list[OverviewLine]] = {}
    goal_of: dict[int, IndicatorInfo] = {}
    for info in sorted(chosen, key=lambda i: (i.goal_sort, i.goal_id, i.sort_order)):
        own = by_key.get((info.id, unit.id), []) if unit else []
        series = own or by_key.get((info.id, root.id), [])
        a = assess(info.direction, info.targets, [v.point for v in series], today, unit=info.unit)
        if wanted is not None and a.status not in wanted:
            continue
        latest = next((measured(v, today) for v in reversed(series) if a.latest and v.period == a.latest.period), None)
        groups.setdefault(info.goal_id, []).append(OverviewLine(
            indicator_id=info.id, short_name=info.short_name, status=a.status, latest=latest, unit=info.unit,
            decimals=info.decimals, own_unit_value=unit is None or bool(own)))
        goal_of.setdefault(info.goal_id, info)
    ordered = tuple(OverviewGroup(gid, goal_of[gid].goal_kind, goal_of[gid].goal_title, tuple(lines))
                    for gid, lines in groups.items())
    return OverviewView(
        groups=ordered, scope_name=unit.name if unit else root.name, scope_unit_id=unit.id if unit else None,
        goal_title=chosen[0].goal_title if goal_id is not None else None,
        unknown_goal_query=goal_query if goal_id is None else None,
        as_of=today, pinned=turn.clock.pinned, status_filter=wanted,
    )


def choices(infos: list[IndicatorInfo]) -> list[Choice]:
    return [Choice(i.id, i.short_name, i.name, i.goal_title) for i in infos]


async def check_may_record(turn: Turn, session: AsyncSession, unit_id: int) -> list[UnitInfo]:
    """The unit chain when the caller may record values for ``unit_id``; ``Forbidden`` naming who can, else."""
    chain = await repo.unit_chain(session, unit_id)
    memberships = [(m.role, m.org_unit_id) for m in turn.caller.memberships]
    if turn.caller.known and may_record(memberships, [u.id for u in chain]):
        return chain
    people = await repo.recorders(session, [u.id for u in chain])
    raise Forbidden(refusal_text(people, known=turn.caller.known, lang="sv"),
                    refusal_text(people, known=turn.caller.known, lang="en"))
