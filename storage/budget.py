"""Budget repositories: budget lines, utfall, profiles, manual prognoses, and the stored ``budget_status``.

``recompute_status`` runs the pandas rules (``followup.budget.compute_status``) for one year and replaces
that year's ``budget_status`` rows; every import calls it in its own transaction. A question only reads
rows (``line_figures``): one query for the lines with their stored aggregate, one for manual prognoses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

import pandas as pd
from sqlalchemy import Integer, and_, bindparam, delete, exists, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from followup.budget import METHOD_MANUAL, LineFigures, StatusRow, compute_status
from followup.errors import Conflict, Forbidden, UserError
from storage.models import (
    AdminLog,
    BudgetLine,
    BudgetProfile,
    BudgetPrognosis,
    BudgetStatus,
    ImportBatch,
    OrgUnit,
    Person,
    Utfall,
    utcnow,
)


@dataclass(frozen=True)
class BudgetFrames:
    """One year's inputs to the rules, as DataFrames (amounts Decimal tkr)."""

    year: int
    lines: pd.DataFrame  # budget_line_id, net_cost
    utfall: pd.DataFrame  # budget_line_id, month, amount
    profiles: pd.DataFrame  # budget_line_id, month, share
    prognoses: pd.DataFrame  # budget_line_id, amount, entered_at, id


@dataclass(frozen=True)
class AreaRef:
    id: int
    name: str
    code: str


def _frame(rows: Sequence[Sequence[object]], columns: Sequence[str]) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    frame = pd.DataFrame([tuple(r) for r in rows], columns=list(columns))
    for column in columns:
        if column in ("budget_line_id", "month", "id"):
            frame[column] = frame[column].astype("int64")
        elif column in ("net_cost", "amount", "share"):
            frame[column] = frame[column].astype(object).map(lambda v: v if isinstance(v, Decimal) else Decimal(str(v)))
    return frame


async def budget_years(session: AsyncSession) -> list[int]:
    """The years that have an internbudget, ascending."""
    return list((await session.execute(select(BudgetLine.year).distinct().order_by(BudgetLine.year))).scalars())


async def load_frames(session: AsyncSession, year: int) -> BudgetFrames:
    """Everything ``compute_status`` needs for ``year``, in four small queries."""
    line_ids = select(BudgetLine.id).where(BudgetLine.year == year).scalar_subquery()
    lines = (await session.execute(
        select(BudgetLine.id, BudgetLine.net_cost).where(BudgetLine.year == year).order_by(BudgetLine.id)
    )).all()
    utfall = (await session.execute(
        select(Utfall.budget_line_id, Utfall.month, Utfall.amount)
        .where(Utfall.year == year, Utfall.budget_line_id.in_(line_ids))
    )).all()
    profiles = (await session.execute(
        select(BudgetProfile.budget_line_id, BudgetProfile.month, BudgetProfile.share)
        .where(BudgetProfile.budget_line_id.in_(line_ids))
    )).all()
    prognoses = (await session.execute(
        select(BudgetPrognosis.budget_line_id, BudgetPrognosis.amount, BudgetPrognosis.entered_at, BudgetPrognosis.id)
        .where(BudgetPrognosis.year == year, BudgetPrognosis.budget_line_id.in_(line_ids))
    )).all()
    return BudgetFrames(
        year=year,
        lines=_frame(lines, ("budget_line_id", "net_cost")),
        utfall=_frame(utfall, ("budget_line_id", "month", "amount")),
        profiles=_frame(profiles, ("budget_line_id", "month", "share")),
        prognoses=_frame(prognoses, ("budget_line_id", "amount", "entered_at", "id")),
    )


async def recompute_status(session: AsyncSession, year: int, *, now: datetime | None = None) -> list[StatusRow]:
    """Recompute and replace ``budget_status`` for ``year`` (inside the caller's transaction)."""
    frames = await load_frames(session, year)
    rows = compute_status(frames.lines, frames.utfall, frames.profiles, frames.prognoses)
    at = now or utcnow()
    await session.execute(delete(BudgetStatus).where(BudgetStatus.year == year))
    if rows:
        await session.execute(insert(BudgetStatus), [
            {"budget_line_id": r.budget_line_id, "year": year, "through_month": r.through_month,
             "utfall_to_date": r.utfall_to_date, "periodised_budget": r.periodised_budget, "prognosis": r.prognosis,
             "prognosis_method": r.prognosis_method, "monthly": r.monthly, "computed_at": at}
            for r in rows
        ])
    return rows


async def areas_for_year(session: AsyncSession, year: int) -> list[AreaRef]:
    """The verksamhetsområden that have budget lines in ``year``, in the store's order."""
    rows = (await session.execute(
        select(OrgUnit.id, OrgUnit.name, OrgUnit.code)
        .where(OrgUnit.id.in_(select(BudgetLine.org_unit_id).where(BudgetLine.year == year)))
        .order_by(OrgUnit.id)
    )).all()
    return [AreaRef(r[0], r[1], r[2]) for r in rows]


async def lines_named(session: AsyncSession, year: int, names: Sequence[str], area_ids: Sequence[int] = ()) -> list[int]:
    """Ids of ``year``'s lines with one of these verksamhet names (case-insensitive), optionally in these areas.

    Compared in Python (``casefold``): SQLite's ``lower()`` folds ASCII only, so 'Äldreomsorg' would never match."""
    wanted = {" ".join(n.casefold().split()) for n in names if n}
    if not wanted:
        return []
    query = select(BudgetLine.id, BudgetLine.verksamhet).where(BudgetLine.year == year)
    if area_ids:
        query = query.where(BudgetLine.org_unit_id.in_(list(area_ids)))
    rows = (await session.execute(query.order_by(BudgetLine.org_unit_id, BudgetLine.sort_order, BudgetLine.id))).all()
    return [r.id for r in rows if " ".join(r.verksamhet.casefold().split()) in wanted]


async def line_year(session: AsyncSession, line_id: int) -> int | None:
    return await session.scalar(select(BudgetLine.year).where(BudgetLine.id == line_id))


@lru_cache(maxsize=8)
def _figures_query(by_area: bool, by_lines: str | None) -> Any:
    """The question-time query, built once per shape (``year``, ``area_id``, ``line_ids`` or ``line_id`` are
    bound per call). ``by_lines``: "one" (an equality: a list of one needs no IN list rendered each time, and
    reads through ``storage.driver`` on PostgreSQL), "many" or None."""
    year = bindparam("year", type_=Integer)
    demo_batch = select(ImportBatch.id).where(ImportBatch.via == "demo").scalar_subquery()
    has_profile = exists().where(BudgetProfile.budget_line_id == BudgetLine.id)
    demo_utfall = exists().where(and_(Utfall.budget_line_id == BudgetLine.id, Utfall.year == year,
                                      Utfall.is_demo.is_(True)))
    demo_profile = exists().where(and_(BudgetProfile.budget_line_id == BudgetLine.id,
                                       BudgetProfile.import_id.in_(demo_batch)))
    query = (
        select(BudgetLine.id, BudgetLine.verksamhet, BudgetLine.org_unit_id, OrgUnit.name, BudgetLine.sort_order,
               BudgetLine.net_cost, BudgetLine.is_demo, BudgetStatus.through_month, BudgetStatus.utfall_to_date,
               BudgetStatus.periodised_budget, BudgetStatus.prognosis, BudgetStatus.prognosis_method,
               has_profile.label("has_profile"), demo_utfall.label("demo_utfall"), demo_profile.label("demo_profile"))
        .join(OrgUnit, OrgUnit.id == BudgetLine.org_unit_id)
        .outerjoin(BudgetStatus, and_(BudgetStatus.budget_line_id == BudgetLine.id, BudgetStatus.year == year))
        .where(BudgetLine.year == year)
        .order_by(OrgUnit.id, BudgetLine.sort_order, BudgetLine.id)
    )
    if by_area:
        query = query.where(BudgetLine.org_unit_id == bindparam("area_id", type_=Integer))
    if by_lines == "one":
        query = query.where(BudgetLine.id == bindparam("line_id", type_=Integer))
    elif by_lines == "many":
        query = query.where(BudgetLine.id.in_(bindparam("line_ids", expanding=True)))
    return query


_NOTES = (select(BudgetPrognosis.budget_line_id, BudgetPrognosis.note, Person.name, BudgetPrognosis.entered_at,
                 BudgetPrognosis.via)
          .outerjoin(Person, Person.id == BudgetPrognosis.entered_by_id)
          .where(BudgetPrognosis.year == bindparam("year", type_=Integer))
          .order_by(BudgetPrognosis.entered_at, BudgetPrognosis.id))
_NOTES_ONE = _NOTES.where(BudgetPrognosis.budget_line_id == bindparam("line_id", type_=Integer))
_NOTES_MANY = _NOTES.where(BudgetPrognosis.budget_line_id.in_(bindparam("line_ids", expanding=True)))


async def line_figures(session: AsyncSession, year: int, *, area_id: int | None = None,
                       line_ids: Sequence[int] | None = None) -> list[LineFigures]:
    """The year's lines (or an area's, or some) with their stored aggregates, ordered area → sort order."""
    params: dict[str, Any] = {"year": year}
    if area_id is not None:
        params["area_id"] = area_id
    by_lines = None
    if line_ids is not None and len(line_ids) == 1:
        by_lines, params["line_id"] = "one", int(line_ids[0])
    elif line_ids is not None:
        if not line_ids:
            return []
        by_lines, params["line_ids"] = "many", [int(i) for i in line_ids]
    query = _figures_query(area_id is not None, by_lines)
    rows = (await session.execute(query, params)).all()
    manual_ids = [r.id for r in rows if r.prognosis_method == METHOD_MANUAL]
    notes: dict[int, tuple[str | None, str | None, datetime, bool]] = {}
    prognoses: Sequence[Any] = ()
    if len(manual_ids) == 1:  # a question about one line: an equality (no IN list; storage.driver on PostgreSQL)
        prognoses = (await session.execute(_NOTES_ONE, {"year": year, "line_id": manual_ids[0]})).all()
    elif manual_ids:
        prognoses = (await session.execute(_NOTES_MANY, {"year": year, "line_ids": manual_ids})).all()
    for p in prognoses:  # ascending: the newest one stays
        notes[p[0]] = (p[1], p[2], p[3], p[4] == "demo")
    out = []
    for r in rows:
        note, by, at, demo_prognosis = notes.get(r.id, (None, None, None, False))
        out.append(LineFigures(
            line_id=r.id, year=year, verksamhet=r.verksamhet, area_id=r.org_unit_id, area_name=r.name,
            net_cost=r.net_cost, through_month=r.through_month, utfall=r.utfall_to_date,
            periodised=r.periodised_budget, prognosis=r.prognosis, method=r.prognosis_method,
            has_profile=bool(r.has_profile), sort_order=r.sort_order,
            is_demo=bool(r.is_demo or r.demo_utfall or r.demo_profile or demo_prognosis),
            prognosis_note=note, prognosis_by=by, prognosis_at=at,
        ))
    return out


async def months_of(session: AsyncSession, year: int, line_ids: Sequence[int]
                    ) -> dict[int, tuple[dict[str, str], dict[int, Decimal] | None]]:
    """Per line: its stored utfall per month (``budget_status.monthly``) and its monthly profile's shares (None
    without one) — what ``followup.budget.as_of_month`` needs to show a line as it stood after an earlier month."""
    ids = [int(i) for i in line_ids]
    if not ids:
        return {}
    monthly = dict((await session.execute(
        select(BudgetStatus.budget_line_id, BudgetStatus.monthly)
        .where(BudgetStatus.year == year, BudgetStatus.budget_line_id.in_(ids)))).all())
    shares: dict[int, dict[int, Decimal]] = {}
    for line_id, month, share in (await session.execute(
            select(BudgetProfile.budget_line_id, BudgetProfile.month, BudgetProfile.share)
            .where(BudgetProfile.budget_line_id.in_(ids)))).all():
        shares.setdefault(line_id, {})[month] = Decimal(share)
    return {i: (dict(monthly.get(i) or {}), shares.get(i)) for i in ids}


PROGNOSIS_WITHDRAWN = "budget_prognosis_withdrawn"  # admin_log: a prognosis undone, the whole row in its detail
WITHDRAW_WITHIN = timedelta(hours=24)  # later, a prognosis has been in force: it stays for prognossäkerhet


@dataclass(frozen=True)
class Withdrawn:
    line_id: int
    year: int
    amount: Decimal


async def latest_prognosis_by(session: AsyncSession, person_id: int, since: datetime) -> Any:
    """The newest prognosis ``person_id`` entered in chat since ``since`` (its id and entered_at), or None."""
    return (await session.execute(
        select(BudgetPrognosis.id, BudgetPrognosis.entered_at)
        .where(BudgetPrognosis.entered_by_id == person_id, BudgetPrognosis.via == "chat",
               BudgetPrognosis.entered_at >= since)
        .order_by(BudgetPrognosis.entered_at.desc(), BudgetPrognosis.id.desc()).limit(1))).first()


@dataclass(frozen=True)
class Withdrawal:
    id: int  # its admin_log row
    at: datetime
    verksamhet: str | None
    amount: Decimal


async def latest_withdrawal_by(session: AsyncSession, person_id: int, since: datetime) -> Withdrawal | None:
    """The latest prognosis ``person_id`` withdrew since ``since`` — when, for which line, which amount — or None."""
    log = (await session.execute(
        select(AdminLog.id, AdminLog.at, AdminLog.detail)
        .where(AdminLog.action == PROGNOSIS_WITHDRAWN, AdminLog.person_id == person_id, AdminLog.at >= since)
        .order_by(AdminLog.id.desc()).limit(1))).first()
    if log is None:
        return None
    name = await session.scalar(select(BudgetLine.verksamhet).where(BudgetLine.id == log.detail["budget_line_id"]))
    return Withdrawal(log.id, log.at, name, Decimal(log.detail["amount"]))


async def withdraw_prognosis(session: AsyncSession, prognosis_id: int, *, person_id: int, at: datetime) -> Withdrawn:
    """Undo a prognosis entered in chat: the one before it (or Tavla's estimate) is in force again.

    Only by the person who entered it, within ``WITHDRAW_WITHIN``, and while it is the line's newest — else a
    ``UserError``/``Forbidden``/``Conflict`` saying why. The row is deleted and kept whole in ``admin_log``
    (``PROGNOSIS_WITHDRAWN``); the caller recomputes the year's aggregates in the same transaction.
    """
    row = await session.get(BudgetPrognosis, prognosis_id)
    if row is None or row.via != "chat":
        raise UserError("Den prognosen finns inte längre – den är redan ångrad.",
                        "That forecast no longer exists – it has already been undone.")
    if row.entered_by_id != person_id:
        raise Forbidden("Bara den som lade in prognosen kan ångra den. Lägg in en ny prognos om den är fel.",
                        "Only the person who entered the forecast can undo it. Enter a new forecast if it is wrong.")
    if at - row.entered_at > WITHDRAW_WITHIN:
        raise UserError("En prognos kan bara ångras samma dygn som den lades in; sedan står den kvar för uppföljningen "
                        "av prognossäkerheten. Lägg in en ny prognos i stället.",
                        "A forecast can only be undone within a day of entering it; after that it stays for following "
                        "up forecast accuracy. Enter a new forecast instead.")
    newer = (await session.execute(
        select(Person.name).select_from(BudgetPrognosis)
        .outerjoin(Person, Person.id == BudgetPrognosis.entered_by_id)
        .where(BudgetPrognosis.budget_line_id == row.budget_line_id, BudgetPrognosis.year == row.year,
               (BudgetPrognosis.entered_at > row.entered_at)
               | ((BudgetPrognosis.entered_at == row.entered_at) & (BudgetPrognosis.id > row.id)))
        .order_by(BudgetPrognosis.entered_at.desc()).limit(1))).first()
    if newer is not None:
        who = newer.name or "någon"
        raise Conflict(f"{who} har lagt in en nyare prognos för samma verksamhet sedan dess, så din ångras inte. Lägg "
                       "in en ny prognos om den som gäller är fel.",
                       f"{newer.name or 'Someone'} has entered a newer forecast for the same line since, so yours is "
                       "not undone. Enter a new forecast if the one in force is wrong.")
    session.add(AdminLog(at=at, person_id=person_id, action=PROGNOSIS_WITHDRAWN, detail={
        "prognosis_id": row.id, "budget_line_id": row.budget_line_id, "year": row.year, "amount": str(row.amount),
        "note": row.note, "entered_at": row.entered_at.isoformat()}))
    withdrawn = Withdrawn(row.budget_line_id, row.year, Decimal(row.amount))
    await session.delete(row)
    await session.flush()
    return withdrawn


async def add_prognosis(session: AsyncSession, *, line_id: int, year: int, amount: Decimal, note: str | None,
                        person_id: int | None, via: str, import_id: int | None = None,
                        at: datetime | None = None) -> int:
    """Store a manual helårsprognos (append-only: the newest overrides, earlier ones stay for follow-up)."""
    row = BudgetPrognosis(budget_line_id=line_id, year=year, amount=amount, note=note, entered_by_id=person_id,
                          via=via, import_id=import_id, entered_at=at or utcnow())
    session.add(row)
    await session.flush()
    return row.id
