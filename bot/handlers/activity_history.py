"""'historik <aktivitet>' (or the History button): the activity's append-only log, newest first."""

from __future__ import annotations

from bot.handlers import plan_common as common
from bot.turn import Reply, Turn
from cards import plans as cards
from followup.errors import UserError
from storage import plans


async def handle(turn: Turn) -> Reply:
    async with turn.store.read_session() as session:
        if turn.verb:
            activity_id = common.int_field(turn.data, "id")
            view = await plans.get_activity(session, activity_id) if activity_id else None
            if view is None:
                raise common.BadCardData()
        elif isinstance(turn.slots.get("activity_id"), int):
            view = await plans.get_activity(session, turn.slots["activity_id"])
            if view is None:
                raise UserError(f"Det finns ingen aktivitet med nummer {turn.slots['activity_id']}.",
                                f"There is no activity number {turn.slots['activity_id']}.")
        else:
            query = str(turn.slots.get("query") or "")
            if not query:
                raise UserError("Skriv vilken aktivitet, t.ex. ”historik digital introduktion”.",
                                "Say which activity, e.g. “history digital introduction”.")
            found = await common.candidates(session, turn, query) if turn.caller.known else []
            if not found:
                return Reply.card(cards.not_found_card(turn.text, common.footer(turn), turn.lang))
            view = found[0]
        rows = await plans.history(session, view.id, limit=cards.HISTORY_SHOWN)
        people = await plans.all_people(session) if any("owner_id" in r.new for r in rows) else []
        names = {p.id: p.name for p in people}
        # an undo's note is the log's, written in the undoer's language: said in the reader's, as the board says it
        lines = tuple(cards.HistoryLine(r.at.astimezone(turn.clock.tz), r.person_name, r.via,
                                        cards.describe_change(r.old, r.new, turn.lang, owner_names=names)
                                        + (cards.undone_mark(turn.lang) if plans.is_undo_note(r.comment) else ""),
                                        None if plans.is_undo_note(r.comment) else r.comment)
                      for r in rows)
        card = cards.history_card(cards.HistoryView(common.item(view, turn), lines, common.footer(turn), view.version),
                                  turn.lang)
    return Reply.card(card)
