"""'påminnelser igen': tavelmöte reminders back on for the caller."""

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
        await repo.set_reminders_opt_out(session, turn.caller.person_id, False)
    return Reply.card(notice(pick(TEXTS, "reminders_on", turn.lang), style="good"))
