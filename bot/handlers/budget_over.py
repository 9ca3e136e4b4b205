"""'vilka verksamheter ligger över budget?' (optionally 'i Familj och utbildning') → the over-budget list."""

from __future__ import annotations

from bot.handlers import budget_common as common
from bot.turn import Reply, Turn


async def handle(turn: Turn) -> Reply:
    slots = turn.slots
    area_ids = slots.get("area_ids") or []
    async with turn.store.read_session() as session:
        year = await common.choose_year(turn, session, slots)
        card = await common.over_reply(turn, session, year, int(area_ids[0]) if area_ids else None)
    return Reply.card(card)
