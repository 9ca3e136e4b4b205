"""'pausa veckosammanfattning' and the card's Pausa: nothing is sent until it is resumed."""

from __future__ import annotations

from bot.handlers.digest_common import pick_subscription, require_known, view_of
from bot.turn import Reply, Turn
from cards.digest import TEXTS, subscription_card
from cards.texts import pick
from storage import digest as repo


async def handle(turn: Turn) -> Reply:
    require_known(turn)
    async with turn.store.session() as session:
        sub = await pick_subscription(session, turn, verb_sv="pausa")
        await repo.set_active(session, sub.id, False, f"{repo.PAUSED_BY_USER}:{turn.caller.name}"[:300])
        sub = await repo.get_subscription(session, sub.id)
        assert sub is not None
        card = subscription_card(await view_of(session, turn, sub), turn.lang, note=pick(TEXTS, "note_paused", turn.lang))
    return Reply.replacing(card) if turn.verb else Reply.card(card)
