"""'ändra veckosammanfattning till tisdag 08:00' and the subscription card's Spara."""

from __future__ import annotations

from bot.handlers.digest_common import parse_send_time, parse_weekday, pick_subscription, require_known, view_of
from bot.turn import Reply, Turn
from cards.digest import TEXTS, clock_text, subscription_card
from cards.texts import pick
from followup.errors import UserError
from followup.schedule import weekday_name
from storage import digest as repo

NOTHING = ("Skriv vad som ska ändras, t.ex. ”ändra veckosammanfattning till tisdag 08:00”.",
           "Say what to change, e.g. “ändra veckosammanfattning till tisdag 08:00”.")


async def handle(turn: Turn) -> Reply:
    require_known(turn)
    async with turn.store.session() as session:
        sub = await pick_subscription(session, turn, verb_sv="ändra")
        quiet = None
        if turn.verb:
            weekday = parse_weekday(turn.data.get("weekday", sub.weekday))
            send_time = parse_send_time(turn.data.get("send_time") or sub.send_time)
            raw_quiet = turn.data.get("quiet_weeks")
            quiet = raw_quiet if raw_quiet in repo.QUIET_MODES else None
        else:
            if "weekday" not in turn.slots and "time" not in turn.slots:
                raise UserError(*NOTHING)
            weekday = turn.slots.get("weekday", sub.weekday)
            send_time = parse_send_time(turn.slots.get("time") or sub.send_time)
        await repo.set_schedule(session, sub.id, weekday=weekday, send_time=send_time)
        if quiet is not None:
            await repo.set_quiet_weeks(session, sub.id, quiet)
        sub = await repo.get_subscription(session, sub.id)
        assert sub is not None
        note = pick(TEXTS, "note_changed", turn.lang, weekday=weekday_name(weekday, turn.lang).capitalize(),
                    time=clock_text(send_time, turn.lang))
        card = subscription_card(await view_of(session, turn, sub), turn.lang, note=note)
    return Reply.replacing(card) if turn.verb else Reply.card(card)
