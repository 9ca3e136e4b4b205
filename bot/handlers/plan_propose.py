"""'nytt förslag: gemensam frukost på måndagar' — an improvement idea on the enhet's board (status Idé).

Anyone who belongs to the enhet may propose; the chef prioritises it at the tavelmöte.
"""

from __future__ import annotations

from bot.handlers import plan_common as common
from bot.handlers.activity_create import create_or_choose, unit_for
from bot.turn import Reply, Turn
from cards import plans as cards
from followup.errors import UserError


async def handle(turn: Turn) -> Reply:
    common.require_known(turn)
    title = common.clean_text(turn.slots.get("title"), limit=cards.TITLE_LIMIT, bad_type_raises=False)
    if not title:
        raise UserError("Skriv förslaget efter ”nytt förslag:”, t.ex. ”nytt förslag: gemensam frukost på måndagar”. "
                        "Eller tryck ”Nytt förslag” på tavlan.",
                        "Write the idea after “new idea:”, e.g. “new idea: breakfast together on Mondays”.")
    async with turn.store.session() as session:
        unit_id = await unit_for(session, turn)
        return await create_or_choose(session, turn, unit_id, {"kind": "idea", "title": title})
