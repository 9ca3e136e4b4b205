"""Free-text progress report: "klar med digital introduktion", "introduktion nyanställda 60 % väntar på IT".

The recogniser gives what was said (status, %, comment) and the words naming the activity; the activity
is found here among the caller's own, then their units' (fuzzy). One match → applied and confirmed with
undo; several → a choice card; none → say so.
"""

from __future__ import annotations

from bot.handlers import plan_common as common
from bot.turn import Reply, Turn
from cards import plans as cards
from storage import plans


async def handle(turn: Turn) -> Reply:
    common.require_known(turn)
    slots = turn.slots
    progress = common.progress_field(slots, "progress")
    comment = common.clean_text(slots.get("comment"), limit=cards.COMMENT_LIMIT, bad_type_raises=False)
    change = cards.Change(status=slots.get("status"), progress=progress, comment=comment)
    async with turn.store.write_session() as session:
        if isinstance(slots.get("activity_id"), int):
            view = await plans.get_activity(session, slots["activity_id"])
            found = [view] if view is not None else []
            if not found:
                return Reply.card(cards.not_found_card(turn.text, common.footer(turn), turn.lang))
        else:
            found = await common.candidates(session, turn, str(slots.get("query") or ""))
        if not found:
            return Reply.card(cards.not_found_card(turn.text, common.footer(turn), turn.lang))
        if len(found) > 1 or not str(slots.get("query") or slots.get("activity_id") or "").strip():
            items = tuple(common.item(v, turn) for v in found)
            return Reply.card(cards.choice_card(cards.Choice(turn.text, items, change, common.footer(turn)), turn.lang))
        applied = await common.apply_change(session, turn, found[0].id, found[0].version, change, via="chat")
        return Reply.card(common.confirmation(turn, applied))
