"""'stoppa veckosammanfattning' and the card's Stoppa. The row (and its runs) stays: subscribing again in
the same week never brings that week's digest twice."""

from __future__ import annotations

from bot.handlers.digest_common import pick_subscription, require_known
from bot.turn import Reply, Turn
from cards.common import notice
from cards.digest import TEXTS
from cards.texts import pick
from storage import digest as repo


async def handle(turn: Turn) -> Reply:
    require_known(turn)
    async with turn.store.session() as session:
        sub = await pick_subscription(session, turn, verb_sv="stoppa")
        await repo.set_active(session, sub.id, False, repo.STOPPED)
    card = notice(pick(TEXTS, "note_stopped", turn.lang, scope=sub.scope_name))
    return Reply.replacing(card) if turn.verb else Reply.card(card)
