"""'starta tavelmöte' (chef or admin): record the meeting so "sedan förra mötet" is exact, then show the board."""

from __future__ import annotations

from bot.handlers import plan_common as common
from bot.turn import Reply, Turn
from cards import plans as cards
from cards.format import clock
from followup.activities import check_lead
from followup.errors import UserError
from storage import plans


async def handle(turn: Turn) -> Reply:
    person_id = common.require_known(turn)
    async with turn.store.session() as session:
        if turn.verb:
            unit_id = common.int_field(turn.data, "unit")
        elif isinstance(turn.slots.get("unit_id"), int):
            unit_id = turn.slots["unit_id"]
        elif turn.slots.get("unit_text"):
            raise await common.unknown_unit(turn, str(turn.slots["unit_text"]))
        else:
            resolved = await common.resolve_board_unit(session, turn)
            if not isinstance(resolved, int):
                raise UserError("För vilken enhet? Skriv t.ex. ”starta tavelmöte Förskolan Humlan”.",
                                "For which unit? Write e.g. “start board meeting Förskolan Humlan”.")
            unit_id = resolved
        unit = await plans.get_unit(session, unit_id) if unit_id else None
        if unit is None or unit.kind != "enhet":
            raise common.BadCardData()
        check_lead(common.actor(turn), await plans.unit_path(session, unit.id), unit.name,
                   "starta tavelmötet", "start the board meeting")
        now = turn.clock.utcnow()
        await plans.start_meeting(session, unit.id, person_id, now)
    banner = cards.Banner("good", (f"Tavelmöte startat {clock(now.astimezone(turn.clock.tz), turn.lang)} av {turn.caller.name}"
                                   if turn.lang == "sv" else
                                   f"Board meeting started {clock(now.astimezone(turn.clock.tz), 'en')} by {turn.caller.name}"))
    async with turn.store.session() as session:
        card = await common.board_card(session, turn, unit.id, 1, banner)
    return Reply.replacing(card) if turn.verb else Reply.card(card)
