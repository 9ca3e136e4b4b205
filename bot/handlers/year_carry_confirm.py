""""För över N aktiviteter": carry the activities over. Card data is user input: the year and every enhet id are
checked again (the caller must lead each enhet), and what is carried is read again from the store."""

from __future__ import annotations

from bot.handlers import year_common
from bot.handlers.plan_common import BadCardData, actor, int_field, require_known
from bot.turn import Reply, Turn
from cards import admin as cards
from followup.activities import check_lead
from storage import plans, rollover


async def handle(turn: Turn) -> Reply:
    person_id = require_known(turn)
    year = year_common.check_year(turn, int_field(turn.data, "to", minimum=2000, maximum=2100))
    raw = turn.data.get("units")
    if not isinstance(raw, list) or not raw or len(raw) > 500:
        raise BadCardData()
    unit_ids = sorted({int_field({"id": value}, "id") or 0 for value in raw})
    who = actor(turn)
    async with turn.store.session() as session:
        for unit in await plans.units_of(session, unit_ids):
            if unit.kind != "enhet":
                raise BadCardData()
            check_lead(who, await plans.unit_path(session, unit.id), unit.name, "föra över aktiviteter",
                       "carry over activities")
        if len(await plans.units_of(session, unit_ids)) != len(unit_ids):
            raise BadCardData()
        result = await rollover.carry_over(session, unit_ids, year - 1, year, person_id=person_id,
                                           at=turn.clock.utcnow())
    return Reply.replacing(cards.carried_card(result.carried, result.skipped, result.old_goal, result.per_unit, year,
                                              turn.lang))
