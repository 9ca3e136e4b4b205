"""Which enheter a carry-over covers, and whether the caller may lead them (chef of the unit or above, or admin)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.handlers import admin_common
from bot.handlers.plan_common import actor
from bot.turn import Turn
from followup.activities import check_lead
from followup.errors import Forbidden, UserError
from storage import plans


def check_year(turn: Turn, year: object) -> int:
    today = turn.clock.today().year
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        raise UserError("Ange året att föra över till, t.ex. ”för över ej klara aktiviteter till 2019”.",
                        "Give the year to carry over to.")
    if year > today + 1:
        raise UserError(f"Aktiviteter förs över ett år i taget: till {today} eller {today + 1}.",
                        f"Activities are carried over one year at a time: to {today} or {today + 1}.")
    if year < today:
        raise UserError(f"{year} har redan varit; aktiviteter förs över till {today} eller {today + 1}.",
                        f"{year} is past; carry over to {today} or {today + 1}.")
    return year


async def enheter(session: AsyncSession, turn: Turn, unit_text: str | None) -> list[plans.UnitView]:
    """The enheter to carry over: those under the named unit, or every enhet the caller leads as chef."""
    year = turn.clock.today().year
    who = actor(turn)
    if unit_text:
        unit = await admin_common.unit(session, turn, unit_text, f"för över ej klara aktiviteter i {{unit}} till {year}")
        check_lead(who, await plans.unit_path(session, unit.id), unit.name, "föra över aktiviteter",
                   "carry over activities")
        return await plans.enheter_below(session, [unit.id], year)
    led = sorted(turn.caller.units_with("chef"))
    if not led:
        raise Forbidden("Bara chefer för enheten (eller en administratör) kan föra över aktiviteter till nästa år. "
                        "En administratör anger enheten: ”för över ej klara aktiviteter i <enhet> till <år>”.",
                        "Only the unit's manager (or an administrator) can carry over activities.")
    return await plans.enheter_below(session, led, year)
