"""The catalogue kept between turns: indicators (with goal and targets), org units and the förvaltning, as read
at one catalogue stamp.

The catalogue tables — goals, indicators and their targets, org units, budget lines — are read by nearly every
turn and written by few: imports, the CLI, admin commands. Every write to them changes the one row of
``catalogue_stamp``, in the writing transaction, by database triggers (migration 0002), so it changes whoever
writes: this process, another replica, psql. A turn reads the stamp in its first statement, with the caller
(``storage.people``). ``CatalogueMemo.at(stamp)`` answers from what this process has read at that same stamp
and reads (and keeps) the rest: a status asked again is two statements, not four.

Rules:
- A stamp other than the kept one drops everything kept. Stamps are random, not counted: a database made again
  never repeats one, and "other" is all that is asked of them. A turn whose stamp was kept before (it read it
  just before a write replaced it) reads from the store and drops nothing.
- Only sessions that write no catalogue table read through it (``Turn.catalogue``): a read session, or a
  write session of activities or values (an activity update's rights, ``unit_path``). What a transaction reads
  of a table it has written may be rolled back; what it reads of one it has not written is committed.
- Without a stamp (no caller was read, or a store made without migration 0002) every read goes to the store.

Indicator values have a stamp of their own (row 2, migration 0003: every write to ``indicator_value`` or
``person`` changes it), so reporting a value does not drop the catalogue nor make the recogniser read its names
again. ``ValueReads`` keeps a status card's values — one indicator for one unit — at that stamp, up to
``VALUES_KEPT_ROWS`` values in all (the first ones asked for; the rest are read each time). The same rules hold:
only sessions that write no values (or people) read through it.

The budget's figures likewise (row 3, migration 0004: utfall, profiles, prognoses, the stored aggregates, import
batches, people). A budget card's lines are also catalogue rows (``budget_line``, ``org_unit``), so
``BudgetReads`` keeps them at the pair of stamps — catalogue and budget — up to ``BUDGET_KEPT_LINES`` lines in
all; a budget question asked again is one statement, not two. Only read sessions read through it (a prognosis
entered in chat writes and reads in one session, from the store).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from followup.budget import LineFigures
from storage import budget
from storage import indicators as repo
from storage import plans
from storage.indicators import IndicatorInfo, UnitInfo
from storage.models import CatalogueStamp

KEPT = 20_000  # entries at most (the largest kommun: 3 000 units, 200 indicators)
VALUES_KEPT_ROWS = 20_000  # indicator values at most (≈ 1 KB each: ≈ 20 MB; ten monthly years of one card: 120)
BUDGET_KEPT_LINES = 20_000  # budget lines at most (≈ 1 KB each; the largest kommun's year: 3 000, asked whole)
SUPERSEDED_KEPT = 16  # earlier stamps remembered, so that a turn still holding one does not drop the newer

# columns for a turn's first statement (None when the row is missing)
STAMP = select(CatalogueStamp.stamp).where(CatalogueStamp.id == 1).scalar_subquery().label("catalogue_stamp")
VALUES_STAMP = select(CatalogueStamp.stamp).where(CatalogueStamp.id == 2).scalar_subquery().label("values_stamp")
BUDGET_STAMP = select(CatalogueStamp.stamp).where(CatalogueStamp.id == 3).scalar_subquery().label("budget_stamp")

Session = AsyncSession | AsyncConnection


async def current_stamp(session: Session) -> int | None:
    return (await session.execute(select(STAMP))).scalar()


class CatalogueMemo:
    """Per process: what was read of the catalogue at one stamp."""

    def __init__(self, kept: int = KEPT) -> None:
        self._stamp: int | None = None
        self._kept: dict[Hashable, Any] = {}
        self._budget = kept  # what may be kept at one stamp: entries, or what ``size`` counts of them
        self._used = 0
        self._superseded: deque[int] = deque(maxlen=SUPERSEDED_KEPT)  # stamps kept before, newest last
        self.reads = 0  # reads that reached the store through it (tests)

    def at(self, stamp: int | None) -> "CatalogueReads":
        return CatalogueReads(self, stamp)

    async def _get(self, stamp: int | None, key: Hashable, read: Callable[[], Awaitable[Any]],
                   size: Callable[[Any], int] | None = None) -> Any:
        if stamp is None:
            return await read()
        if stamp != self._stamp:
            if stamp in self._superseded:  # a turn that read the stamp just before the write that replaced it
                return await read()
            if self._stamp is not None:
                self._superseded.append(self._stamp)
            self._kept.clear()
            self._used = 0
            self._stamp = stamp
        if key in self._kept:
            return self._kept[key]
        self.reads += 1
        value = await read()
        # kept only while the stamp is still this turn's (another turn may have seen a new one meanwhile)
        cost = 1 if size is None else max(1, size(value))
        if self._stamp == stamp and self._used + cost <= self._budget:
            self._kept[key] = value
            self._used += cost
        return value


class CatalogueReads:
    """One turn's catalogue reads: through the memo at the turn's stamp, or straight from the store."""

    def __init__(self, memo: CatalogueMemo, stamp: int | None) -> None:
        self._memo = memo
        self._stamp = stamp

    async def indicator(self, session: AsyncSession, indicator_id: int) -> IndicatorInfo | None:
        return await self._memo._get(self._stamp, ("indicator", indicator_id),
                                     lambda: repo.indicator(session, indicator_id))

    async def unit(self, session: AsyncSession, unit_id: int) -> UnitInfo | None:
        return await self._memo._get(self._stamp, ("unit", unit_id), lambda: repo.unit(session, unit_id))

    async def root_unit(self, session: AsyncSession, year: int) -> UnitInfo:
        return await self._memo._get(self._stamp, ("root", year), lambda: repo.root_unit(session, year))

    async def unit_path(self, session: AsyncSession, unit_id: int) -> tuple[int, ...]:
        return await self._memo._get(self._stamp, ("path", unit_id), lambda: plans.unit_path(session, unit_id))


class ValueReads:
    """One turn's reads of indicator values, through the values memo at the turn's values stamp."""

    def __init__(self, memo: CatalogueMemo, stamp: int | None) -> None:
        self._memo = memo
        self._stamp = stamp

    async def values(self, session: AsyncSession, indicator_id: int, unit_id: int) -> tuple[repo.StoredValue, ...]:
        """``storage.indicators.values`` of one indicator for one unit (a status card's), as a tuple: shared
        between turns, so nobody can change it."""
        async def read() -> tuple[repo.StoredValue, ...]:
            return tuple(await repo.values(session, [indicator_id], [unit_id]))

        return await self._memo._get(self._stamp, (indicator_id, unit_id), read, size=len)


class BudgetReads:
    """One turn's reads of budget figures, through the budget memo at the turn's catalogue and budget stamps."""

    def __init__(self, memo: CatalogueMemo, catalogue_stamp: int | None, budget_stamp: int | None) -> None:
        self._memo = memo
        self._stamp = None if catalogue_stamp is None or budget_stamp is None else (catalogue_stamp, budget_stamp)

    async def line_figures(self, session: Session, year: int, *, area_id: int | None = None,
                           line_ids: tuple[int, ...] | list[int] | None = None) -> tuple[LineFigures, ...]:
        """``storage.budget.line_figures``, as a tuple: shared between turns, so nobody can change it."""
        ids = None if line_ids is None else tuple(int(i) for i in line_ids)

        async def read() -> tuple[LineFigures, ...]:
            return tuple(await budget.line_figures(session, year, area_id=area_id, line_ids=ids))

        return await self._memo._get(self._stamp, ("figures", year, area_id, ids), read, size=len)
