"""'veckosammanfattning' (and the card's Inställningar): this conversation's digests, or an offer to start one."""

from __future__ import annotations

from bot.handlers.digest_common import conversation_pk, pick_subscription, subscribe_offer, view_of
from bot.turn import Message, Reply, Turn
from cards.digest import subscribe_card, subscription_card
from storage import digest as repo


async def handle(turn: Turn) -> Reply:
    async with turn.store.session() as session:
        if turn.verb and turn.data.get("subscription_id") is not None:
            sub = await pick_subscription(session, turn, verb_sv="visa")
            return Reply.card(subscription_card(await view_of(session, turn, sub), turn.lang))
        subs = await repo.for_conversation(session, await conversation_pk(session, turn))
        if not subs:
            return Reply.card(subscribe_card(await subscribe_offer(session, turn), turn.lang))
        cards = [subscription_card(await view_of(session, turn, sub), turn.lang) for sub in subs[:5]]
    return Reply(messages=[Message(card=card) for card in cards])
