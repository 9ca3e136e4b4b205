"""'mina aktiviteter' (and its paging button): the caller's activities with inline status, % and comment."""

from __future__ import annotations

from bot.handlers import plan_common as common
from bot.turn import Reply, Turn


async def handle(turn: Turn) -> Reply:
    common.require_known(turn)
    page = common.int_field(turn.data, "page", required=False, maximum=10_000) if turn.verb else None
    async with turn.store.read_session() as session:
        card = await common.mine_card(session, turn, page or 1)
    return Reply.replacing(card) if turn.verb else Reply.card(card)
