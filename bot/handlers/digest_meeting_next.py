"""'när är nästa tavelmöte?' [för <enhet>]: the enhet's tavelmöte day and the date of the next one.

The enhet: the one named, else the channel's linked one, else the caller's only one. Its day is its own, else
its weekly digest's weekday (as the reminders take it), else it has none yet and the card says who sets it.
"""

from __future__ import annotations

from bot.handlers import plan_common as common
from bot.turn import Reply, Turn
from cards.common import notice
from cards.digest import TEXTS
from cards.format import day
from cards.texts import pick
from followup.errors import UserError
from followup.schedule import next_meeting, weekday_name
from storage import digest as repo
from storage import plans

WHICH = ("Vilken enhet? Skriv t.ex. ”när är nästa tavelmöte för Förskolan Humlan”.",
         "Which unit? Write e.g. “när är nästa tavelmöte för Förskolan Humlan”.")


async def handle(turn: Turn) -> Reply:
    async with turn.store.read_session() as session:
        unit_id = (turn.slots.get("unit") or {}).get("id")
        if not isinstance(unit_id, int):
            resolved = await common.resolve_board_unit(session, turn)
            unit_id = resolved if isinstance(resolved, int) else None
        found = await repo.unit_meeting_weekday(session, unit_id) if unit_id is not None else None
        held = await plans.meetings(session, unit_id, limit=1) if found is not None and found[1] is None else []
    if found is None:
        raise UserError(*WHICH)
    name, weekday = found
    if weekday is None:  # the chef asking is told it is theirs to set, and when the last one was
        key = "meeting_unknown_yours" if unit_id in turn.caller.units_with("chef") else "meeting_unknown"
        lines = []
        if held:
            last = held[0].held_at.astimezone(turn.clock.tz)
            lines.append(pick(TEXTS, "meeting_last", turn.lang,
                              when=f"{weekday_name(last.weekday(), turn.lang)} {day(last, turn.lang)}"))
        return Reply.card(notice(pick(TEXTS, key, turn.lang, unit=name), lines))
    meeting = next_meeting(turn.clock.today(), weekday)
    when = pick(TEXTS, "meeting_today", turn.lang) if meeting == turn.clock.today() else \
        f"{weekday_name(weekday, turn.lang)} {day(meeting, turn.lang)}"
    return Reply.card(notice(pick(TEXTS, "meeting_next", turn.lang, unit=name, weekday=weekday_name(weekday, turn.lang),
                                  when=when)))
