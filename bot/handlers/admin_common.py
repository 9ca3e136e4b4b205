"""What the people-and-roles handlers share: finding the person and unit written, and who may grant what.

Rules (also in the help text of ``cards/admin.py``): an **admin** may give and take any role anywhere; a
**chef** may give and take the role *medarbetare* in the enheter they lead (their unit and the units below
it). Everyone may ask who holds a role, and see their own roles.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.turn import Turn
from cards import admin as cards
from followup.errors import Forbidden, UserError
from storage import roles
from storage.roles import PersonRef, UnitRef


class Ask(Exception):
    """Several people or units fit: answer with a choice card instead."""

    def __init__(self, card: dict[str, object]) -> None:
        super().__init__("choice")
        self.card = card


async def unit(session: AsyncSession, turn: Turn, text: str, question: str) -> UnitRef:
    """The one unit ``text`` names this year; ``Ask`` with buttons when several fit (``question`` has {unit})."""
    found = await roles.find_units(session, text, turn.clock.today().year)
    if not found:
        raise UserError(f"Hittar ingen enhet som heter ”{text}”. Skriv enhetens namn eller kod.",
                        f"No unit called “{text}”. Write the unit's name or code.")
    if len(found) > 1:
        raise Ask(cards.choice_card("pick_unit", [(u.name, question.format(unit=u.name)) for u in found], turn.lang))
    return found[0]


async def person(session: AsyncSession, turn: Turn, text: str, question: str) -> PersonRef | None:
    """The one active person ``text`` names; None when nobody (the caller decides); ``Ask`` when several."""
    found = await roles.find_people(session, text)
    if len(found) > 1:
        options = [(f"{p.name}{f' ({p.upn})' if p.upn else ''}", question.format(person=p.upn or p.name))
                   for p in found]
        raise Ask(cards.choice_card("pick_person", options, turn.lang))
    return found[0] if found else None


async def check_may_grant(session: AsyncSession, turn: Turn, target: UnitRef, role: str) -> None:
    """``Forbidden`` unless the caller is admin, or a chef above/at an enhet granting *medarbetare* there."""
    if turn.caller.has_role("admin"):
        return
    led = turn.caller.units_with("chef")
    if role == "medarbetare" and led and set(await roles.unit_path(session, target.id)) & led:
        return
    raise Forbidden("Bara Tavlas administratörer kan ge och ta bort roller. En chef kan ge rollen medarbetare i sina "
                    "egna enheter.",
                    "Only Tavla's administrators can grant and remove roles. A manager can grant the staff role in "
                    "their own units.")
