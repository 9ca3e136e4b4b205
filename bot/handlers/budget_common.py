"""What the budget handlers share: which year to show, re-reading lines for it, and building the views.

A question only reads stored rows (``storage.budget.line_figures``): the pandas work ran at import time. The
views read them through ``Turn.budget_figures`` (kept between turns at the turn's stamps): call them in a read
session only.
Card data is user input: the ``budget_show`` verb re-checks kind, year and id here before anything is read.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.card_data import MAX_ID
from bot.turn import Turn
from cards import budget as cards
from cards.format import month_name
from followup.budget import LineFigures, as_of_month, by_area, over_budget, totals
from followup.errors import Forbidden, UserError
from storage import budget as repo
from storage.plans import unit_path

KINDS = ("line", "area", "total", "over")
MIN_YEAR, MAX_YEAR = 1900, 2200


class BadCardData(UserError):
    def __init__(self) -> None:
        super().__init__("Knappen skickade uppgifter som inte stämmer. Skriv t.ex. ”budget totalt” för ett nytt kort.",
                         "The button sent data that does not add up. Write e.g. “budget total” for a fresh card.")


@dataclass(frozen=True)
class Year:
    year: int
    note: str | None  # said on the card when another year than asked is shown
    month: int | None = None  # a month named: the figures as they stood after it ("budget äldreomsorg mars")


def _years_text(years: list[int]) -> str:
    return ", ".join(str(y) for y in years) or "inga"


async def choose_year(turn: Turn, session: AsyncSession, slots: dict[str, Any]) -> Year:
    """The year named (or "i fjol"), else this year — or the latest earlier year with a budget, said on the card.

    The common case (this year, which has a budget) is answered from the cached catalog: no query."""
    chosen = await _year(turn, session, slots)
    month = slots.get("month")
    return replace(chosen, month=month) if isinstance(month, int) and 1 <= month <= 12 else chosen


async def _year(turn: Turn, session: AsyncSession, slots: dict[str, Any]) -> Year:
    today = turn.clock.today().year
    asked = slots.get("year")
    if asked is None and slots.get("year_offset"):
        asked = today + int(slots["year_offset"])
    if asked is None or asked == today:
        catalog = await turn.catalog(today)
        if catalog.year == today and catalog.of_kind("budget_line"):
            return Year(today, None)
    years = await repo.budget_years(session)
    if not years:
        raise UserError("Det finns ingen budget i Tavla än. En ekonom läser in den med ”tavla import budget”.",
                        "There is no budget in Tavla yet. A finance officer loads it with “tavla import budget”.")
    if asked is not None:
        if asked not in years:
            raise UserError(f"Det finns ingen budget för {asked} i Tavla (budgetår: {_years_text(years)}).",
                            f"There is no budget for {asked} in Tavla (budget years: {_years_text(years)}).")
        return Year(int(asked), None)
    if today in years:
        return Year(today, None)
    shown = max((y for y in years if y < today), default=min(years))
    lang = turn.lang
    return Year(shown, cards.pick_text("older_year", lang, asked=today, shown=shown))


def shown(turn: Turn, note: str | None = None) -> cards.Shown:
    return cards.Shown(as_of=turn.clock.today(), pinned=turn.clock.pinned, note=note)


async def figures(turn: Turn, session: AsyncSession, year: Year, **where: Any) -> tuple[list[LineFigures], cards.Shown]:
    """The lines asked about (``where``: ``area_id``, ``line_ids``) and what the card says it shows. With a month
    named that is before the latest utfall month, each line as it stood after that month
    (``followup.budget.as_of_month``); a month without utfall yet shows the latest, and says so."""
    lines = await turn.budget_figures.line_figures(session, year.year, **where)
    notes = [year.note]
    latest = lines[0].through_month if lines else None
    if year.month is not None and latest is not None and year.month != latest:
        lang = turn.lang
        if year.month > latest:
            notes.append(cards.pick_text("month_not_yet", lang, asked=f"{month_name(year.month, lang)} {year.year}",
                                         latest=f"{month_name(latest, lang)} {year.year}"))
        else:
            inputs = await repo.months_of(session, year.year, [line.line_id for line in lines])
            lines = [as_of_month(line, year.month, *inputs[line.line_id]) for line in lines]
            notes.append(cards.pick_text("month_shown", lang, month=f"{month_name(year.month, lang)} {year.year}",
                                         latest=f"{month_name(latest, lang)} {year.year}"))
    return lines, shown(turn, " ".join(n for n in notes if n) or None)


async def line_ids_for(turn: Turn, session: AsyncSession, slots: dict[str, Any], year: int) -> list[int]:
    """The recognised line ids, re-found by name when the question is about another year than the catalog's."""
    catalog = await turn.catalog()
    ids = [int(i) for i in slots.get("line_ids") or []]
    if catalog.year == year and ids:
        return ids
    labels = [str(x) for x in slots.get("labels") or []]
    area_ids = [int(a) for a in slots.get("area_ids") or []]
    found = await repo.lines_named(session, year, labels, area_ids)
    if not found and area_ids:
        found = await repo.lines_named(session, year, labels)
    return found


async def line_reply(turn: Turn, session: AsyncSession, year: Year, ids: list[int], name: str) -> dict[str, Any]:
    found, seen = await figures(turn, session, year, line_ids=ids) if ids else ([], shown(turn))
    if not found:
        raise UserError(f"{name} finns inte i budgeten för {year.year}.", f"{name} is not in the budget for {year.year}.")
    if len(found) == 1:
        return cards.line_card(cards.LineView(found[0], seen), turn.lang)
    label = " / ".join(dict.fromkeys(f.verksamhet for f in found))
    return cards.choice_card(cards.ChoiceView(label, tuple(found), seen), turn.lang)


async def area_reply(turn: Turn, session: AsyncSession, year: Year, area_id: int, *, detail: bool,
                     name: str | None = None) -> dict[str, Any]:
    lines, seen = await figures(turn, session, year, area_id=area_id)
    grouped = by_area(lines)
    area = grouped[0] if grouped else None
    if area is None:
        what = name or "Verksamhetsområdet"
        raise UserError(f"{what} har ingen budget för {year.year}.", f"{what} has no budget for {year.year}.")
    return cards.area_card(cards.AreaView(area, detail, seen), turn.lang)


async def total_reply(turn: Turn, session: AsyncSession, year: Year) -> dict[str, Any]:
    lines, seen = await figures(turn, session, year)
    areas = by_area(lines)
    return cards.total_card(cards.TotalView(year.year, tuple(areas), totals(lines), seen), turn.lang)


async def over_reply(turn: Turn, session: AsyncSession, year: Year, area_id: int | None) -> dict[str, Any]:
    lines, seen = await figures(turn, session, year, area_id=area_id)
    if area_id is not None and not lines:
        raise UserError(f"Verksamhetsområdet har ingen budget för {year.year}.", f"The area has no budget for {year.year}.")
    through = lines[0].through_month if lines else None
    over = over_budget(lines)
    view = cards.OverView(year.year, tuple(over), len(lines), through, lines[0].area_name if area_id and lines else None,
                          area_id, any(line.is_demo for line in lines), seen)
    return cards.over_card(view, turn.lang)


def checked_show_data(data: dict[str, Any]) -> tuple[str, int, int | None, bool]:
    """(kind, year, id, detail) from a budget card's button, or ``BadCardData``."""
    kind, year, ident, detail = data.get("kind"), data.get("year"), data.get("id"), data.get("detail", False)
    if kind not in KINDS or type(year) is not int or not MIN_YEAR <= year <= MAX_YEAR or type(detail) is not bool:
        raise BadCardData()
    if kind in ("line", "area") or ident is not None:
        if type(ident) is not int or not 0 < ident <= MAX_ID:
            raise BadCardData()
    return kind, year, ident, detail


PROGNOSIS_ROLES = ("ekonom", "controller")


async def require_prognosis_role(turn: Turn, session: AsyncSession, line: LineFigures) -> None:
    """``Forbidden`` unless the caller is an ekonom or controller for the line's area or a unit above it."""
    allowed = turn.caller.units_with(*PROGNOSIS_ROLES) & set(await unit_path(session, line.area_id))
    if not turn.caller.known or not allowed:
        raise Forbidden(f"Bara en ekonom eller controller för {line.area_name} kan lägga in eller ångra en "
                        f"helårsprognos. Alla kan fråga om budgeten, t.ex. ”budget {line.verksamhet.lower()}”.",
                        f"Only a finance officer or controller for {line.area_name} can enter or undo a forecast.")
