"""'tavla', 'tavelmöte', 'tavla Förskolan Humlan' (and the board's refresh/paging): the tavelmöte board.
'vilka aktiviteter är försenade?' and 'vad ska vara klart snart?' are the board too, with how many on top.

Handlingsplaner are public in the organisation: anyone may view any enhet's board.
"""

from __future__ import annotations

from bot.handlers import plan_common as common
from bot.turn import Reply, Turn
from cards import plans as cards
from followup.errors import UserError


async def _unknown_unit(turn: Turn, text: str) -> UserError:
    return await common.unknown_unit(turn, text, "Skriv t.ex. ”tavla Förskolan Humlan”.",
                                     "Write e.g. “board Förskolan Humlan”.")


async def handle(turn: Turn) -> Reply:
    async with turn.store.read_session() as session:
        if turn.verb:
            unit_id = common.int_field(turn.data, "unit")
            page = common.int_field(turn.data, "page", required=False, maximum=10_000) or 1
            assert unit_id is not None
            return Reply.replacing(await common.board_card(session, turn, unit_id, page))
        page = int(turn.slots.get("page") or 1)
        if isinstance(turn.slots.get("unit_id"), int):
            unit_id = turn.slots["unit_id"]
        elif turn.slots.get("unit_choices"):  # several enheter fit the name: their boards, one button each
            choices = [(int(c[0]), str(c[1])) for c in turn.slots["unit_choices"]]
            return Reply.card(cards.choose_unit_card(choices, common.footer(turn), turn.lang))
        elif turn.slots.get("unit_text"):
            raise await _unknown_unit(turn, str(turn.slots["unit_text"]))
        else:
            resolved = await common.resolve_board_unit(session, turn)
            if resolved is None:
                raise UserError("Vilken enhets tavla? Skriv t.ex. ”tavla Förskolan Humlan”, eller koppla en kanal till "
                                "en enhet med ”koppla kanalen till <enhet>”.",
                                "Which unit's board? Write e.g. “board Förskolan Humlan”, or link a channel to a unit.")
            if isinstance(resolved, list):
                return Reply.card(cards.choose_unit_card([(u.id, u.name) for u in resolved], common.footer(turn),
                                                         turn.lang))
            unit_id = resolved
        try:
            note = "overdue" if turn.slots.get("overdue") else "due_soon" if turn.slots.get("due_soon") else None
            card = await common.board_card(session, turn, unit_id, page, note=note)
        except common.BadCardData:
            raise await _unknown_unit(turn, str(turn.slots.get("unit_name") or unit_id)) from None
    return Reply.card(card)
