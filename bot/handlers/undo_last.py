"""'ångra' typed instead of pressing Ångra: undo the caller's latest change of the last hour.

The latest of the caller's activity changes (chat, card, dialog) and indicator recordings is undone by the
same handler as its card's Ångra button, with the data that button carries — so the same checks apply: a
change someone else has built on since is not overwritten (the conflict card says who), a recording already
undone or changed is refused. An undo is not undone again by typing "ångra" a second time.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.handlers import activity_undo, indicator_record_undo
from bot.handlers import plan_common as common
from bot.turn import Reply, Turn
from followup.errors import UserError
from storage import indicators, plans

UNDO_WINDOW = timedelta(hours=1)


async def handle(turn: Turn) -> Reply:
    person_id = common.require_known(turn)
    since = turn.clock.utcnow() - UNDO_WINDOW
    async with turn.store.read_session() as session:
        update = await plans.latest_update_by(session, person_id, since)
        recording = await indicators.latest_recording_by(session, person_id, since)
    if recording is not None and (update is None or recording.at > update.at):
        reply = await indicator_record_undo.handle(replace(turn, data={"log_id": recording.id}))
    elif update is not None:
        if plans.is_undo_note(update.comment):
            raise UserError("Din senaste ändring var att ångra en ändring; den ångras inte i sin tur. Ändra aktiviteten "
                            "igen om något blev fel.",
                            "Your latest change undid another; it is not undone in turn. Change the activity again "
                            "if something went wrong.")
        reply = await activity_undo.handle(replace(turn, data={"id": update.activity_id, "version": update.version,
                                                               "update": update.id}), via="chat")
    else:
        raise UserError("Det finns ingen ändring av dig från den senaste timmen att ångra (en aktivitet eller ett "
                        "mätvärde). Äldre ändringar av en aktivitet syns i dess historik, ”historik <aktivitet>”; ett "
                        "mätvärde rättas genom att registrera det igen.",
                        "There is no change of yours from the last hour to undo (an activity or a value recorded). "
                        "Older changes of an activity are in its history, “history <activity>”; a value is corrected "
                        "by recording it again.")
    # typed, not pressed: the result is a new card (a reply's "replace" would overwrite the message replied to)
    return Reply.card(reply.replace) if reply.replace is not None else reply
