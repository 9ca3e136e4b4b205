"""'Ångra' on a confirmation card: put back the values a logged change replaced.

The undo is itself a versioned update (expected version = the one the change produced), so if someone
changed the activity since, nothing is overwritten and the conflict card shows who. The log keeps both
the change and its undo: it is append-only.
"""

from __future__ import annotations

from datetime import date

from bot.handlers import plan_common as common
from bot.turn import Reply, Turn
from cards import plans as cards
from followup.activities import check_update
from followup.errors import UserError
from storage import plans
from storage.plans import UNDO_NOTES

REVERTIBLE = ("status", "progress", "owner_id", "deadline", "start_date", "title", "description")


def _value(name: str, value: object) -> object:
    if name in ("deadline", "start_date") and isinstance(value, str):
        return date.fromisoformat(value)
    return value


async def handle(turn: Turn, *, via: str = "card") -> Reply:
    """The card's Ångra (``via="card"``), or "ångra" typed (``bot.handlers.undo_last``, ``via="chat"``)."""
    person_id = common.require_known(turn)
    activity_id = common.int_field(turn.data, "id")
    version = common.int_field(turn.data, "version")
    update_id = common.int_field(turn.data, "update")
    async with turn.store.session() as session:
        logged = await plans.get_update(session, update_id)
        view = await plans.get_activity(session, activity_id)
        if logged is None or view is None or logged.activity_id != activity_id or logged.version != version:
            raise common.BadCardData()
        fields = {k: _value(k, logged.old.get(k)) for k in logged.new if k in REVERTIBLE and k in logged.old}
        new_status = fields.get("status")
        check_update(common.actor(turn), await common.target(session, turn, view),
                     new_status if isinstance(new_status, str) and new_status != view.status else None)
        if not fields:
            raise UserError("Det här kan inte ångras (en ny aktivitet eller en kommentar står kvar i loggen, som är en "
                            "allmän handling). Skriv en ny kommentar om något blev fel.",
                            "This cannot be undone (a new activity or a comment stays in the log, which is a public "
                            "record). Write a new comment if something went wrong.")
        when = logged.at.astimezone(turn.clock.tz)
        note = (f"{UNDO_NOTES[0]} {when:%d/%m kl. %H:%M}" if turn.lang == "sv" else f"{UNDO_NOTES[1]} of {when:%d/%m %H:%M}")
        outcome = await plans.update_activity(session, activity_id, version, fields, person_id=person_id, via=via,
                                              at=turn.clock.utcnow(), comment=note)
        if not outcome.applied:
            fresh = common.item(outcome.activity, turn) if outcome.activity else None
            return Reply.replacing(cards.conflict_card(cards.ConflictView(fresh, cards.Change(), common.footer(turn)),
                                                       turn.lang))
        assert outcome.activity is not None
        card = cards.confirmation_card(cards.Confirm(
            item=common.item(outcome.activity, turn), old_status=view.status, old_progress=view.progress, comment=None,
            update_id=None, footer=common.footer(turn), undone=True), turn.lang)
    return Reply.replacing(card)
