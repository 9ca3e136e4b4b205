""""mina roller": the caller's roles and what each lets them do."""

from __future__ import annotations

from bot.handlers.plan_common import require_known
from bot.turn import Reply, Turn
from cards import admin as cards


async def handle(turn: Turn) -> Reply:
    require_known(turn)
    order = {r: i for i, r in enumerate(("admin", "chef", "controller", "ekonom", "hr", "medarbetare"))}
    held = sorted(((m.role, m.org_unit_name) for m in turn.caller.memberships), key=lambda x: (order.get(x[0], 9), x[1]))
    return Reply.card(cards.my_roles_card(held, turn.lang))
