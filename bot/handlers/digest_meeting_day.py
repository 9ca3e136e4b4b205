"""'tavelmöte på torsdagar [för <enhet>]': the enhet's tavelmöte day, set by its chef (or a chef above, or admin).

Reminders go out the working day before; without a day of its own an enhet meets on its digest's weekday.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.turn import Reply, Turn
from cards.common import notice
from cards.digest import TEXTS
from cards.texts import pick
from followup.errors import Forbidden, UserError
from followup.schedule import check_weekday, next_meeting, reminder_day, weekday_name
from storage import digest as repo
from storage.models import OrgUnit

WHICH = ("Vilken enhet? Skriv t.ex. ”tavelmöte på torsdagar för Förskolan Humlan”.",
         "Which unit? Write e.g. “tavelmöte på torsdagar för Förskolan Humlan”.")
NOT_ENHET = ("Tavelmötesdag sätts per enhet, inte för {name}.", "The board meeting day is set per unit, not for {name}.")
ONLY_CHEF = ("Bara chefen för {name} (eller en chef ovanför, eller en administratör) kan ändra tavelmötesdagen.",
             "Only the manager of {name} (or a manager above, or an administrator) can change the board meeting day.")


async def handle(turn: Turn) -> Reply:
    if turn.slots.get("daily"):
        return Reply.card(notice(pick(TEXTS, "meeting_daily", turn.lang)))
    weekday = check_weekday(int(turn.slots.get("weekday", 0)))
    async with turn.store.session() as session:
        units = {u.id: u for u in (await session.execute(
            select(OrgUnit.id, OrgUnit.name, OrgUnit.kind, OrgUnit.parent_id))).all()}
        unit_id = (turn.slots.get("unit") or {}).get("id")
        if unit_id is None and turn.where.linked_org_unit_id in units:
            unit_id = turn.where.linked_org_unit_id
        if unit_id is None:
            led = sorted(u for u in turn.caller.units_with("chef") if u in units and units[u].kind == "enhet")
            unit_id = led[0] if len(led) == 1 else None
        if unit_id is None and not (turn.caller.has_role("admin") or turn.caller.units_with("chef")):
            # no unit named and the caller leads none: "Vilken enhet?" would only lead to a refusal
            own = sorted(units[u].name for u in turn.caller.units_with("medarbetare") if u in units)
            name = own[0] if len(own) == 1 else ("enheten" if turn.lang == "sv" else "the unit")
            raise Forbidden(ONLY_CHEF[0].format(name=name), ONLY_CHEF[1].format(name=name))
        if unit_id is None or unit_id not in units:
            raise UserError(*WHICH)
        unit = units[unit_id]
        if unit.kind != "enhet":
            raise UserError(NOT_ENHET[0].format(name=unit.name), NOT_ENHET[1].format(name=unit.name))
        path = []
        current = unit_id
        while current is not None and current not in path:
            path.append(current)
            current = units[current].parent_id if current in units else None
        allowed = turn.caller.has_role("admin") or bool(turn.caller.units_with("chef") & set(path))
        if not allowed:
            raise Forbidden(ONLY_CHEF[0].format(name=unit.name), ONLY_CHEF[1].format(name=unit.name))
        await repo.set_meeting_weekday(session, unit_id, weekday)
    reminder = reminder_day(next_meeting(turn.clock.today(), weekday))
    text = pick(TEXTS, "meeting_set", turn.lang, unit=unit.name, weekday=weekday_name(weekday, turn.lang),
                reminder=weekday_name(reminder.weekday(), turn.lang))
    if isinstance(turn.slots.get("time"), str):
        text += " " + pick(TEXTS, "meeting_time_not_kept", turn.lang, time=turn.slots["time"])
    return Reply.card(notice(text, style="good"))
