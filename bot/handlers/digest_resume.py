"""'återuppta veckosammanfattning' and the card's Återuppta (also after a pause by a 403/404)."""

from __future__ import annotations

from bot.handlers.digest_common import pick_subscription, require_known, view_of
from bot.turn import Reply, Turn
from cards.digest import TEXTS, subscription_card
from cards.texts import pick
from storage import digest as repo


async def handle(turn: Turn) -> Reply:
    require_known(turn)
    async with turn.store.session() as session:
        sub = await pick_subscription(session, turn, verb_sv="återuppta", include_stopped=True)
        await repo.set_active(session, sub.id, True)
        sub = await repo.get_subscription(session, sub.id)
        assert sub is not None
        card = subscription_card(await view_of(session, turn, sub), turn.lang, note=pick(TEXTS, "note_resumed", turn.lang))
    return Reply.replacing(card) if turn.verb else Reply.card(card)
