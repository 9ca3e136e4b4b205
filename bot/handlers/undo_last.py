"""'ångra' typed instead of pressing Ångra: undo the caller's latest change of the last hour.

The latest of the caller's activity changes (chat, card, dialog), indicator recordings and prognoses entered
in chat is undone by the same handler as its card's Ångra button, with the data that button carries — so the
same checks apply: a change someone else has built on since is not overwritten (the conflict card says who), a
recording already undone or changed is refused. An undo is not undone again by typing "ångra" a second time.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.handlers import activity_undo, budget_prognosis_undo, indicator_record_undo
from bot.handlers import plan_common as common
from bot.turn import Reply, Turn
from cards.format import tkr
from followup.errors import UserError
from storage import budget, files, indicators, plans

UNDO_WINDOW = timedelta(hours=1)


async def handle(turn: Turn) -> Reply:
    person_id = common.require_known(turn)
    since = turn.clock.utcnow() - UNDO_WINDOW
    async with turn.store.read_session() as session:
        update = await plans.latest_update_by(session, person_id, since)
        recording = await indicators.latest_recording_by(session, person_id, since)
        prognosis = await budget.latest_prognosis_by(session, person_id, since)
        withdrawal = await budget.latest_withdrawal_by(session, person_id, since)
        imported = await files.latest_import_by(session, person_id, since)
    latest = max((c for c in (update and update.at, recording and recording.at, prognosis and prognosis.entered_at,
                              withdrawal and withdrawal.at) if c is not None), default=None)
    if imported is not None and (latest is None or imported.imported_at >= latest):  # its rows share its time
        name = imported.file_name or "filen"
        raise UserError(f"Din senaste ändring var att läsa in ”{name}” ({imported.rows} rader). En inläst fil ångras "
                        "inte med ”ångra”, och inte rad för rad: skicka en rättad fil, så ersätts värdena i den.",
                        f"Your latest change was importing “{name}” ({imported.rows} rows). An imported file is not "
                        "undone with “undo”, nor row by row: send a corrected file, and its values replace these.")
    if withdrawal is not None and withdrawal.at == latest:
        again = f"prognos {(withdrawal.verksamhet or 'äldreomsorg').lower()} {tkr(withdrawal.amount)}"
        raise UserError(f"Din senaste ändring var att ångra en prognos; den ångras inte i sin tur. Lägg in prognosen "
                        f"igen om den behövs: ”{again}”.",
                        f"Your latest change undid a forecast; it is not undone in turn. Enter the forecast again if "
                        f"it is needed: “{again}”.")
    if prognosis is not None and prognosis.entered_at == latest:
        reply = await budget_prognosis_undo.handle(replace(turn, data={"prognosis": prognosis.id}))
    elif recording is not None and recording.at == latest:
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
        raise UserError("Det finns ingen ändring av dig från den senaste timmen att ångra (en aktivitet, ett "
                        "mätvärde eller en prognos). Äldre ändringar av en aktivitet syns i dess historik, ”historik "
                        "<aktivitet>”; ett mätvärde rättas genom att registrera det igen.",
                        "There is no change of yours from the last hour to undo (an activity, a value recorded or a "
                        "forecast). Older changes of an activity are in its history, “history <activity>”; a value is "
                        "corrected by recording it again.")
    # typed, not pressed: the result is a new card (a reply's "replace" would overwrite the message replied to)
    return Reply.card(reply.replace) if reply.replace is not None else reply
