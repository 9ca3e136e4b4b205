"""'Ångra' after a value was saved: remove it, or restore the value it replaced (from the admin log).

Only the person who recorded it (or an admin), once, while the value is unchanged, and only while the
caller may still record values for that unit — checked in the same transaction as the undo.
"""

from __future__ import annotations

from bot.handlers.indicator_views import as_id, check_may_record, require_indicator
from bot.turn import Reply, Turn
from cards.indicators import fmt_value, undone_card
from followup.errors import Forbidden
from storage import indicators as repo


async def handle(turn: Turn) -> Reply:
    log_id = as_id(turn.data.get("log_id"), "registrerings-id")
    if turn.caller.person_id is None:
        raise Forbidden("Du finns inte registrerad i Tavla och kan inte ångra registreringar.",
                        "You are not registered in Tavla and cannot undo recordings.")
    async with turn.store.session() as session:
        result = await repo.undo_record(session, log_id, person_id=turn.caller.person_id,
                                        is_admin=turn.caller.has_role("admin"), at=turn.clock.utcnow())
        await check_may_record(turn, session, result.org_unit_id)
        info = await require_indicator(session, result.indicator_id)
    restored = (fmt_value(result.restored_value, info.unit, info.decimals, turn.lang)
                if result.restored_value is not None else None)
    card = undone_card(info.short_name, result.period, restored, info.id, result.org_unit_id, turn.lang)
    return Reply.replacing(card) if turn.is_invoke else Reply.card(card)
