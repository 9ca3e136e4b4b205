"""'årshjulet', 'vad händer i september?', 'när fastställs budgeten?' → the årshjul card (anyone may ask: the
årsplan is public)."""

from __future__ import annotations

from bot.turn import Reply, Turn
from cards.arshjul import WheelView, arshjul_card
from followup.arshjul import wheel
from storage import arshjul as repo


async def handle(turn: Turn) -> Reply:
    async with turn.store.read_session() as session:
        steps = await repo.steps(session)
    month = turn.slots.get("month")
    if turn.slots.get("next_month"):  # "vad händer nästa månad?"
        month = turn.clock.today().month % 12 + 1
    query = turn.slots.get("query")
    shown = wheel(steps, turn.clock.today(), month=month if isinstance(month, int) and 1 <= month <= 12 else None,
                  query=query if isinstance(query, str) else None)
    return Reply.card(arshjul_card(WheelView(shown, turn.clock.today(), turn.clock.pinned), turn.lang))
