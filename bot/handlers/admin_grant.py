""""ge Anna rollen chef i Förskolan Humlan": an admin (or a chef, for medarbetare in their enheter) gives a role.

A person not yet in Tavla can be given a role by e-mail address (UPN): they are added and linked to their
Teams identity the first time they write (Teams' member lookup). Logged in the admin log; "Ångra" takes
the role back.
"""

from __future__ import annotations

from bot.handlers import admin_common as common
from bot.handlers.plan_common import require_known
from bot.turn import Reply, Turn
from cards import admin as cards
from followup.errors import UserError
from storage import roles


async def handle(turn: Turn) -> Reply:
    by = require_known(turn)
    slots = turn.slots
    role, person_text, unit_text = str(slots.get("role")), str(slots.get("person", "")), str(slots.get("unit", ""))
    at = turn.clock.utcnow()
    try:
        async with turn.store.session() as session:
            target = await common.unit(session, turn, unit_text,
                                       f"ge {person_text} rollen {role} i {{unit}}")
            await common.check_may_grant(session, turn, target, role)
            who = await common.person(session, turn, person_text, f"ge {{person}} rollen {role} i {target.name}")
            added = False
            if who is None:
                if not roles.EMAIL.match(person_text):
                    raise UserError(f"Hittar ingen person som heter ”{person_text}” i Tavla. Skriv hela namnet, eller "
                                    "personens e-postadress så läggs hen till.",
                                    f"No person called “{person_text}”. Write the full name, or the e-mail address "
                                    "to add them.")
                who = await roles.add_by_upn(session, person_text, at=at, by_id=by)
                added = True
            membership_id, newly = await roles.grant(session, who.id, target.id, role, by_id=by, at=at)
    except common.Ask as ask:
        return Reply.card(ask.card)
    return Reply.card(cards.granted_card(who.name, role, target.name, membership_id, newly=newly, added=added,
                                         lang=turn.lang))
