"""'visa indikatorer', 'indikatorer kunskap och kompetens', a button: one line per indicator with its status.

Slots (text) or data (button): ``goal_id`` (an utmaningsområde / förvaltningsmål), ``org_unit_id``, and
``goal_query`` when the text named a goal Tavla does not know (all indicators are shown, and it says so), and
``status`` ("vilka indikatorer är röda?": only those at risk or not reached; "gröna": reached; "gula": on the way).
"""

from __future__ import annotations

from bot.handlers.indicator_views import optional_id, overview_view
from bot.turn import Reply, Turn
from cards.indicators import overview_card


async def handle(turn: Turn) -> Reply:
    if turn.verb is not None:
        goal_id = optional_id(turn.data.get("goal_id"), "mål-id")
        org_unit_id = optional_id(turn.data.get("org_unit_id"), "enhets-id")
        goal_query = status = None
    else:
        slots = turn.slots
        goal_id = slots.get("goal_id") if isinstance(slots.get("goal_id"), int) else None
        org_unit_id = slots.get("org_unit_id") if isinstance(slots.get("org_unit_id"), int) else None
        goal_query = slots.get("goal_query") if isinstance(slots.get("goal_query"), str) else None
        status = slots.get("status") if isinstance(slots.get("status"), str) else None
    async with turn.store.read_session() as session:
        view = await overview_view(turn, session, goal_id, org_unit_id, goal_query, status)
    return Reply.card(overview_card(view, turn.lang))
