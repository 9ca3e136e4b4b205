"""'ansvarig för gemensam frukost: Anna', 'ändra slutdatum för frukost till 30/6' (chef or admin): a new owner or
due date for an activity — at the tavelmöte, after an idea is prioritised, or when work changes hands.

The activity: by its number, else among the caller's own and their enheter's (as a report finds it); several
that fit are named, none is guessed. The change is a versioned update with its log row, confirmed with the old
and new value and an undo.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.handlers import plan_common as common
from bot.handlers.activity_create import find_owner
from bot.nlu.rules_plans import to_date
from bot.turn import Reply, Turn
from cards import plans as cards
from cards.format import day
from followup.activities import check_lead
from followup.errors import UserError
from storage import plans

EXAMPLE = ("Skriv t.ex. ”ansvarig för gemensam frukost: Anna” eller ”ändra slutdatum för gemensam frukost till 30/6”.",
           "Write e.g. “owner of gemensam frukost: Anna” or “change the due date of gemensam frukost to 30/6”.")


def _deadline(turn: Turn, slots: dict[str, Any]) -> date | None:
    if slots.get("bad_date"):
        raise UserError(f"”{slots['bad_date']}” är inget datum. Skriv t.ex. 30/6 eller 30 juni.",
                        f"“{slots['bad_date']}” is no date. Write e.g. 30/6 or 30 June.")
    parts = slots.get("deadline")
    if parts is None:
        return None
    if not (isinstance(parts, (list, tuple)) and len(parts) == 3):
        raise UserError(*EXAMPLE)
    when = to_date(tuple(parts), turn.clock.today().year)  # type: ignore[arg-type]
    if when is None:
        raise UserError("Det datumet finns inte. Skriv t.ex. 30/6 eller 30 juni.",
                        "That date does not exist. Write e.g. 30/6 or 30 June.")
    return when


async def handle(turn: Turn) -> Reply:
    person_id = common.require_known(turn)
    slots = turn.slots
    deadline = _deadline(turn, slots)
    owner_name = common.clean_text(slots.get("owner"), limit=200, bad_type_raises=False)
    if deadline is None and not owner_name:
        raise UserError(*EXAMPLE)
    async with turn.store.write_session() as session:
        if isinstance(slots.get("activity_id"), int):
            view = await plans.get_activity(session, slots["activity_id"])
            found = [view] if view is not None else []
        else:
            query = str(slots.get("query") or "").strip()
            if not query:
                raise UserError(*EXAMPLE)
            found = await common.candidates(session, turn, query)
        if not found:
            return Reply.card(cards.not_found_card(turn.text, common.footer(turn), turn.lang))
        if len(found) > 1:
            names = ", ".join(f"”{v.title}” (nr {v.id})" for v in found[:5])
            raise UserError(f"Flera aktiviteter passar: {names}. Skriv mer av namnet eller numret, t.ex. ”ansvarig för nr "
                            f"{found[0].id}: {owner_name or 'Anna'}”.",
                            f"Several activities match: {names}. Write more of the name, or its number.")
        view = found[0]
        path = await plans.unit_path(session, view.unit_id)
        check_lead(common.actor(turn), path, view.unit_name,
                   "byta ansvarig eller slutdatum för en aktivitet", "change an activity's owner or due date")
        fields: dict[str, Any] = {}
        said_sv: list[str] = []
        said_en: list[str] = []
        if owner_name:
            owner = await find_owner(session, owner_name, path)
            if owner.id != view.owner_id:
                fields["owner_id"] = owner.id
                said_sv.append(f"Ansvarig: {view.owner_name or 'ingen'} → {owner.name}")
                said_en.append(f"Owner: {view.owner_name or 'nobody'} → {owner.name}")
                if owner.id not in {p.id for p, _, _ in await plans.unit_people(session, path)}:
                    # allowed (a colleague from elsewhere may lead a piece of work), but said: it may be a slip
                    said_sv.append(f"Obs: {owner.name} hör inte till {view.unit_name}.")
                    said_en.append(f"Note: {owner.name} does not belong to {view.unit_name}.")
        if deadline is not None and deadline != view.deadline:
            fields["deadline"] = deadline
            said_sv.append(f"Slutdatum: {day(view.deadline) if view.deadline else 'inget'} → {day(deadline)}")
            said_en.append(f"Due: {day(view.deadline, 'en') if view.deadline else 'none'} → {day(deadline, 'en')}")
            if deadline < turn.clock.today():
                said_sv.append("Obs: slutdatumet har redan passerat.")
                said_en.append("Note: the due date has already passed.")
        if not fields:
            has_sv = " och ".join(x for x in (owner_name and f"{view.owner_name} som ansvarig",
                                              deadline and f"slutdatum {day(deadline)}") if x)
            has_en = " and ".join(x for x in (owner_name and f"{view.owner_name} as owner",
                                              deadline and f"due date {day(deadline, 'en')}") if x)
            raise UserError(f"Ingenting att ändra: ”{view.title}” har redan {has_sv}.",
                            f"Nothing to change: “{view.title}” already has {has_en}.")
        outcome = await plans.update_activity(session, view.id, view.version, fields, person_id=person_id, via="chat",
                                              at=turn.clock.utcnow(), current=view, editor_name=turn.caller.name)
        applied = common.Applied(outcome, view, cards.Change(), fields)
        if not outcome.applied:
            return Reply.card(common.confirmation(turn, applied))
        assert outcome.activity is not None and outcome.update is not None
        return Reply.card(cards.confirmation_card(cards.Confirm(
            item=common.item(outcome.activity, turn), old_status=view.status, old_progress=view.progress, comment=None,
            update_id=outcome.update.id, footer=common.footer(turn),
            notes=tuple(said_sv if turn.lang == "sv" else said_en)), turn.lang))
