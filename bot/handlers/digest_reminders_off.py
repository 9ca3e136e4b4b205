"""'inga påminnelser': the caller gets no tavelmöte reminders any more (person.reminders_opt_out)."""

from __future__ import annotations

from bot.handlers.digest_common import require_known
from bot.turn import Reply, Turn
from cards.common import notice
from cards.digest import TEXTS
from cards.texts import pick
from storage import digest as repo


async def handle(turn: Turn) -> Reply:
    require_known(turn)
    assert turn.caller.person_id is not None
    async with turn.store.session() as session:
        await repo.set_reminders_opt_out(session, turn.caller.person_id, True)
    card = notice(pick(TEXTS, "reminders_off", turn.lang), style="good")
    return Reply.replacing(card) if turn.verb else Reply.card(card)
