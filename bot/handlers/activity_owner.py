"""'vem är ansvarig för lärplattor?', 'who owns nr 4?' → the activity's owner, where it is and how it goes.

Handlingsplaner are public in the organisation: anyone may ask. The activity: by its number, else the best
match among the whole year's, where one outside the caller's own and their enheter's must be a close likeness.
"""

from __future__ import annotations

from bot.handlers import plan_common as common
from bot.turn import Reply, Turn
from cards import plans as cards
from followup.errors import UserError
from storage import plans

WHICH = ("Skriv vilken aktivitet, t.ex. ”vem är ansvarig för lärplattor?”.",
         "Say which activity, e.g. “who is responsible for lärplattor?”.")


async def handle(turn: Turn) -> Reply:
    number = turn.slots.get("activity_id")
    query = str(turn.slots.get("query") or "").strip()
    async with turn.store.read_session() as session:
        if isinstance(number, int):
            view = await plans.get_activity(session, number)
            if view is None:
                raise UserError(f"Det finns ingen aktivitet med nummer {number}.", f"There is no activity number {number}.")
            found = [view]
        elif not query:
            raise UserError(*WHICH)
        else:
            everything = await plans.list_activities(session, year=turn.clock.today().year)
            me = turn.caller.person_id
            near = {u.id for u in await common.my_units(session, turn)} if me is not None else set()
            # The best match wins wherever it is (the caller's own come first only for what they report:
            # "lärplattor" is "Lärplattor på varje avdelning", not Erik's own "Lärplattform …"); outside the
            # caller's own and their enheter's, only a close likeness counts
            found = common.best_matches(query, [
                v for v in everything if v.unit_id in near or (me is not None and v.owner_id == me)
                or common.score(query, v.title) >= common.WIDE_MATCH_CUTOFF])
    if not found:
        return Reply.card(cards.not_found_card(turn.text, common.footer(turn), turn.lang))
    return Reply.card(cards.owner_card([common.item(v, turn) for v in found], common.footer(turn), turn.lang))
