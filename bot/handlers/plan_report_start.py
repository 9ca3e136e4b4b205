"""'rapportera': start the guided report (dialogs/report_progress.py); in a channel, the inline card instead."""

from __future__ import annotations

from bot.handlers import plan_common as common
from bot.turn import Message, Reply, Turn
from cards import plans as cards

DIALOG = "report_progress"


async def handle(turn: Turn) -> Reply:
    common.require_known(turn)
    if turn.where.conversation_type == "channel":
        # Replies in a channel reach Tavla only with an @mention, so a step-by-step dialog would stall there.
        async with turn.store.session() as session:
            card = await common.mine_card(session, turn, 1)
        return Reply(messages=[Message(text=cards.prompt_text("d_channel", turn.lang)), Message(card=card)])
    return Reply(dialog=DIALOG)
