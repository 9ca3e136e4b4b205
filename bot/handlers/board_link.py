"""'koppla kanalen till Förskolan Humlan' (chef of the enhet or above, or admin): "tavla" here means that enhet."""

from __future__ import annotations

from bot.handlers import plan_common as common
from bot.turn import Reply, Turn
from cards import plans as cards
from followup.activities import check_lead
from followup.errors import UserError
from storage import plans


async def handle(turn: Turn) -> Reply:
    person_id = common.require_known(turn)
    if turn.where.conversation_type != "channel":
        raise UserError("Skriv det i kanalen du vill koppla (med @Tavla först).",
                        "Write it in the channel you want to link (with @Tavla first).")
    unit_id = turn.slots.get("unit_id")
    if not isinstance(unit_id, int):
        text = turn.slots.get("unit_text")
        if text:
            raise await common.unknown_unit(turn, str(text), "Skriv t.ex. ”koppla kanalen till Förskolan Humlan”.",
                                            "Write e.g. “link this channel to Förskolan Humlan”.")
        raise UserError("Till vilken enhet? Skriv t.ex. ”koppla kanalen till Förskolan Humlan”.",
                        "Which unit? Write e.g. “link this channel to Förskolan Humlan”.")
    async with turn.store.session() as session:
        unit = await plans.get_unit(session, unit_id)
        if unit is None or unit.kind != "enhet":
            raise UserError("En kanal kopplas till en enhet (t.ex. en förskola eller hemtjänstgrupp).",
                            "A channel is linked to a unit (e.g. a preschool or a home-care group).")
        check_lead(common.actor(turn), await plans.unit_path(session, unit.id), unit.name,
                   "koppla en kanal till enheten", "link a channel to the unit")
        await plans.link_channel(session, turn.where.conversation_id, turn.where.channel_id, unit.id, person_id,
                                 turn.clock.utcnow())
    return Reply.card(cards.linked_card(unit.name, turn.lang))
