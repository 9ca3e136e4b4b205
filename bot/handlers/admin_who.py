""""vem är chef i Förskolan Humlan": who holds the role in the unit, and in the units above it."""

from __future__ import annotations

from bot.handlers import admin_common as common
from bot.turn import Reply, Turn
from cards import admin as cards
from storage import roles


async def handle(turn: Turn) -> Reply:
    role = str(turn.slots.get("role"))
    try:
        async with turn.store.session() as session:
            target = await common.unit(session, turn, str(turn.slots.get("unit", "")), f"vem är {role} i {{unit}}")
            path = await roles.unit_path(session, target.id)
            held = await roles.holders(session, path, (role,))
    except common.Ask as ask:
        return Reply.card(ask.card)
    lines = [cards.HolderLine(h.person_name, h.role, h.unit_name, h.unit_id != target.id) for h in held]
    return Reply.card(cards.who_card(role, target.name, lines, turn.lang))
