""""ta bort rollen chef för Bo i Humlan", or "Ångra" on a role just given: the role is taken back (the
membership stays, inactive, so the history is kept). Same rights as giving it; logged."""

from __future__ import annotations

from bot.handlers import admin_common as common
from bot.handlers.plan_common import int_field, require_known
from bot.turn import Reply, Turn
from cards import admin as cards
from followup.errors import UserError
from storage import roles
from storage.roles import UnitRef


async def handle(turn: Turn) -> Reply:
    by = require_known(turn)
    at = turn.clock.utcnow()
    try:
        async with turn.store.session() as session:
            if turn.verb:  # "Ångra": the membership id from the card is re-read and re-checked
                membership_id = int_field(turn.data, "membership")
                assert membership_id is not None
                held = await roles.holder(session, membership_id)
                if held is None:
                    raise UserError("Rollen är redan borttagen.", "The role has already been removed.")
                unit_ref = UnitRef(held.unit_id, held.unit_name, "", None)
            else:
                role, person_text = str(turn.slots.get("role")), str(turn.slots.get("person", ""))
                unit_ref = await common.unit(session, turn, str(turn.slots.get("unit", "")),
                                             f"ta bort rollen {role} för {person_text} i {{unit}}")
                who = await common.person(session, turn, person_text,
                                          f"ta bort rollen {role} för {{person}} i {unit_ref.name}")
                if who is None:
                    raise UserError(f"Hittar ingen person som heter ”{person_text}” i Tavla.",
                                    f"No person called “{person_text}” in Tavla.")
                found = await roles.membership(session, who.id, unit_ref.id, role)
                if found is None:
                    raise UserError(f"{who.name} har inte rollen {role} i {unit_ref.name}.",
                                    f"{who.name} does not have the role {role} in {unit_ref.name}.")
                held = await roles.holder(session, found)
                assert held is not None
            await common.check_may_grant(session, turn, unit_ref, held.role)
            done = await roles.revoke(session, held.membership_id, by_id=by, at=at)
    except common.Ask as ask:
        return Reply.card(ask.card)
    if done is None:
        raise UserError("Rollen är redan borttagen.", "The role has already been removed.")
    card = cards.revoked_card(done.person_name, done.role, done.unit_name, turn.lang)
    return Reply.replacing(card) if turn.verb else Reply.card(card)
