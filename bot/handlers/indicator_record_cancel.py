"""'Avbryt' on the confirmation card: nothing was stored; say so in place of the card."""

from __future__ import annotations

from bot.turn import Reply, Turn
from cards.indicators import cancelled_card


async def handle(turn: Turn) -> Reply:
    card = cancelled_card(turn.lang)
    return Reply.replacing(card) if turn.is_invoke else Reply.card(card)
