""""för över ej klara aktiviteter till 2019": the activities that would be carried over, and a button to do it."""

from __future__ import annotations

from bot.handlers import admin_common, year_common
from bot.handlers.plan_common import require_known
from bot.turn import Reply, Turn
from cards import admin as cards
from storage import rollover


async def handle(turn: Turn) -> Reply:
    require_known(turn)
    year = year_common.check_year(turn, turn.slots.get("year"))
    unit_text = turn.slots.get("unit")
    try:
        async with turn.store.session() as session:
            units = await year_common.enheter(session, turn, unit_text if isinstance(unit_text, str) else None)
            found = await rollover.candidates(session, [u.id for u in units], year - 1)
    except admin_common.Ask as ask:
        return Reply.card(ask.card)
    groups: dict[str, list[str]] = {}
    for item in found:
        groups.setdefault(item.unit_name, []).append(item.title)
    unit_ids = sorted({item.unit_id for item in found})
    card = cards.carry_preview_card([cards.CarryGroup(u, tuple(t)) for u, t in groups.items()], unit_ids, year - 1,
                                    year, turn.lang)
    return Reply.card(card)
