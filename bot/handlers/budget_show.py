"""Budget card buttons (verb ``budget_show``): open a line, an area (all lines), the förvaltning or the
over-budget list in place of the pressed card. The data is re-checked: kind, year and id must be sane, and
the line or area must have a budget that year."""

from __future__ import annotations

from bot.handlers import budget_common as common
from bot.turn import Reply, Turn
from followup.errors import UserError
from storage import budget as repo


async def handle(turn: Turn) -> Reply:
    kind, year_no, ident, detail = common.checked_show_data(turn.data)
    async with turn.store.read_session() as session:
        years = await repo.budget_years(session)
        if year_no not in years:
            raise UserError(f"Det finns ingen budget för {year_no} i Tavla.", f"There is no budget for {year_no} in Tavla.")
        year = common.Year(year_no, None)
        if kind == "line":
            assert ident is not None
            if await repo.line_year(session, ident) != year_no:
                raise common.BadCardData()
            card = await common.line_reply(turn, session, year, [ident], "Budgetraden")
        elif kind == "area":
            assert ident is not None
            card = await common.area_reply(turn, session, year, ident, detail=detail)
        elif kind == "over":
            card = await common.over_reply(turn, session, year, ident)
        else:
            card = await common.total_reply(turn, session, year)
    return Reply.replacing(card)
