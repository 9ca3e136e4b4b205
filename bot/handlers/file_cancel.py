""""Avbryt" on a file preview: the waiting file is dropped (its bytes go), nothing is imported."""

from __future__ import annotations

from bot.handlers.plan_common import require_known
from bot.turn import Reply, Turn
from cards import imports as cards
from storage import files


async def handle(turn: Turn) -> Reply:
    person_id = require_known(turn)
    await files.cancel_pending(turn.store, turn.data.get("pending"), person_id=person_id, at=turn.clock.utcnow())
    return Reply.replacing(cards.cancelled_card(turn.lang))
