"""'Nytt förslag' on the board: the idea typed in the card becomes an activity with status Idé, in place.

Data: ``unit``, ``page`` and the inputs ``idea`` (text) and ``idea_plan`` (which handlingsplan; the
first one when not given) — re-checked: the plan must be one of that enhet's, the caller one of its people.
"""

from __future__ import annotations

from bot.handlers import plan_common as common
from bot.turn import Reply, Turn
from cards import plans as cards
from followup.activities import IDE, check_propose
from followup.errors import UserError
from storage import plans


async def handle(turn: Turn) -> Reply:
    data = turn.data
    unit_id = common.int_field(data, "unit")
    page = common.int_field(data, "page", required=False, maximum=10_000) or 1
    assert unit_id is not None
    async with turn.store.session() as session:
        unit = await plans.get_unit(session, unit_id)
        if unit is None or unit.kind != "enhet":
            raise common.BadCardData()
        try:
            person_id = common.require_known(turn)
            title = common.clean_text(data.get("idea"), limit=cards.TITLE_LIMIT)
            if not title:
                raise UserError("Skriv förslaget i rutan först.", "Write the idea in the box first.")
            check_propose(common.actor(turn), await plans.unit_path(session, unit_id), unit.name)
            options = await plans.plans_for_unit(session, unit_id, turn.clock.today().year)
            plan_id = common.int_field(data, "idea_plan", required=False)
            plan = next((p for p in options if p.id == plan_id), None) if plan_id else (options[0] if options else None)
            if plan is None:
                if plan_id:
                    raise common.BadCardData()
                raise UserError(f"{unit.name} har ingen handlingsplan för {turn.clock.today().year} än.",
                                f"{unit.name} has no action plan for {turn.clock.today().year} yet.")
            view = await plans.create_activity(session, plan.id, title, person_id=person_id, via="card",
                                               at=turn.clock.utcnow(), status=IDE, is_demo=plan.is_demo)
            banner = cards.Banner("good", "Förslaget är tillagt under Idéer" if turn.lang == "sv"
                                  else "The idea was added under Ideas", view.title)
        except UserError as error:
            banner = common.error_banner(turn, error)
    async with turn.store.session() as session:
        return Reply.replacing(await common.board_card(session, turn, unit_id, page, banner))
