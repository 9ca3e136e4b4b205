"""'ny aktivitet i Förskolan Humlan: Digital introduktion för nyanställda, ansvarig Anna, klar 30/4' (chef or
admin), and the plan-choice button that finishes it (or a "nytt förslag") when the enhet has several plans.

Button data (``plan``, ``kind``, ``title``, ``owner``, ``deadline``, ``start``) is re-checked like typed text.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handlers import plan_common as common
from bot.nlu.catalog import key
from bot.nlu.rules_plans import to_date
from bot.turn import Reply, Turn
from cards import plans as cards
from followup.activities import EJ_PABORJAD, IDE, check_lead, check_propose
from followup.errors import UserError
from storage import plans


async def find_owner(session: AsyncSession, name: str, unit_path: tuple[int, ...]) -> plans.PersonView:
    """The person a name means: in the enhet (and units above) first, then anyone; full name, first name, fuzzy."""
    wanted = key(name)
    pools = [[p for p, _, _ in await plans.unit_people(session, unit_path)], await plans.all_people(session)]
    for pool in pools:
        people = list({p.id: p for p in pool}.values())
        for rule in (lambda p: key(p.name) == wanted,
                     lambda p: key(p.name).split()[0] == wanted,
                     lambda p: fuzz.WRatio(wanted, key(p.name)) >= 88):
            found = [p for p in people if rule(p)]
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                names = ", ".join(p.name for p in found[:5])
                raise UserError(f"Flera personer passar ”{name}”: {names}. Skriv hela namnet.",
                                f"Several people match “{name}”: {names}. Write the full name.")
    raise UserError(f"Jag hittar ingen person som heter ”{name}” i Tavla.", f"I can't find anyone called “{name}” in Tavla.")


def _iso(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise common.BadCardData()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise common.BadCardData() from None


async def create(session: AsyncSession, turn: Turn, plan: plans.PlanView, *, kind: str, title: str,
                 owner_id: int | None, deadline: date | None, start: date | None) -> dict[str, Any]:
    """Create after the rights check; the card for what was created."""
    unit = await plans.get_unit(session, plan.unit_id)
    assert unit is not None
    path = await plans.unit_path(session, unit.id)
    if kind == "idea":
        check_propose(common.actor(turn), path, unit.name)
    else:
        check_lead(common.actor(turn), path, unit.name, "lägga till aktiviteter", "add activities")
    if start and deadline and start > deadline:
        raise UserError("Startdatumet ligger efter slutdatumet.", "The start date is after the due date.")
    view = await plans.create_activity(
        session, plan.id, title, person_id=turn.caller.person_id, via="chat" if not turn.verb else "card",
        at=turn.clock.utcnow(), owner_id=owner_id, deadline=deadline, start_date=start,
        status=IDE if kind == "idea" else EJ_PABORJAD, is_demo=plan.is_demo)
    return cards.created_card(cards.Created(common.item(view, turn), plan.goal_title, common.footer(turn),
                                            proposed=kind == "idea"), turn.lang)


async def create_or_choose(session: AsyncSession, turn: Turn, unit_id: int, data: dict[str, Any]) -> Reply:
    """One plan: create in it. Several: ask which verksamhetsmål (the button carries ``data``)."""
    unit = await plans.get_unit(session, unit_id)
    if unit is None or unit.kind != "enhet":
        raise UserError("Aktiviteter hör till en enhet (t.ex. en förskola eller hemtjänstgrupp).",
                        "Activities belong to a unit (e.g. a preschool or a home-care group).")
    path = await plans.unit_path(session, unit.id)
    if data["kind"] == "idea":
        check_propose(common.actor(turn), path, unit.name)
    else:
        check_lead(common.actor(turn), path, unit.name, "lägga till aktiviteter", "add activities")
    options = await plans.plans_for_unit(session, unit.id, turn.clock.today().year)
    if not options:
        raise UserError(f"{unit.name} har ingen handlingsplan för {turn.clock.today().year} än. Den läggs in med "
                        "”tavla import handlingsplaner FIL”.",
                        f"{unit.name} has no action plan for {turn.clock.today().year} yet.")
    if len(options) == 1:
        return Reply.card(await create(session, turn, options[0], kind=data["kind"], title=data["title"],
                                       owner_id=data.get("owner"), deadline=_iso(data.get("deadline")),
                                       start=_iso(data.get("start"))))
    return Reply.card(cards.plan_choice_card(cards.PlanChoice(unit.name, tuple((p.id, p.goal_title) for p in options),
                                                              data, common.footer(turn)), turn.lang))


async def unit_for(session: AsyncSession, turn: Turn) -> int:
    if isinstance(turn.slots.get("unit_id"), int):
        return turn.slots["unit_id"]
    if turn.slots.get("unit_text"):
        raise await common.unknown_unit(turn, str(turn.slots["unit_text"]))
    resolved = await common.resolve_board_unit(session, turn)
    if isinstance(resolved, int):
        return resolved
    raise UserError("I vilken enhet? Skriv t.ex. ”ny aktivitet i Förskolan Humlan: …”.",
                    "In which unit? Write e.g. “new activity in Förskolan Humlan: …”.")


async def handle(turn: Turn) -> Reply:
    common.require_known(turn)
    if turn.verb:
        return await _from_button(turn)
    slots = turn.slots
    year = turn.clock.today().year
    title = common.clean_text(slots.get("title"), limit=300, bad_type_raises=False)
    if not title:
        raise UserError("Skriv vad aktiviteten heter, t.ex. ”ny aktivitet i Förskolan Humlan: Digital introduktion, "
                        "ansvarig Anna, klar 30/4”.",
                        "Say what the activity is called, e.g. “new activity in Förskolan Humlan: Digital "
                        "introduction, owner Anna, due 30/4”.")
    if slots.get("bad_date"):
        raise UserError(f"Jag förstod inte datumet i ”{slots['bad_date']}”. Skriv t.ex. ”klar 30/4” eller ”klar 2018-04-30”.",
                        f"I didn't understand the date in “{slots['bad_date']}”. Write e.g. “due 30/4”.")
    deadline = to_date(slots.get("deadline"), year)
    start = to_date(slots.get("start"), year)
    if (slots.get("deadline") and deadline is None) or (slots.get("start") and start is None):
        raise UserError("Det datumet finns inte. Skriv t.ex. ”klar 30/4”.", "That date does not exist. Write e.g. “due 30/4”.")
    async with turn.store.session() as session:
        unit_id = await unit_for(session, turn)
        owner_id = None
        if slots.get("owner"):
            owner_id = (await find_owner(session, str(slots["owner"]), await plans.unit_path(session, unit_id))).id
        data: dict[str, Any] = {"kind": "activity", "title": title}
        if owner_id:
            data["owner"] = owner_id
        if deadline:
            data["deadline"] = deadline.isoformat()
        if start:
            data["start"] = start.isoformat()
        return await create_or_choose(session, turn, unit_id, data)


async def _from_button(turn: Turn) -> Reply:
    data = turn.data
    plan_id = common.int_field(data, "plan")
    kind = data.get("kind")
    if kind not in ("activity", "idea"):
        raise common.BadCardData()
    title = common.clean_text(data.get("title"), limit=300)
    if not title:
        raise common.BadCardData()
    owner_id = common.int_field(data, "owner", required=False)
    deadline, start = _iso(data.get("deadline")), _iso(data.get("start"))
    async with turn.store.session() as session:
        plan = await plans.get_plan(session, plan_id) if plan_id else None
        if plan is None or plan.year != turn.clock.today().year:
            raise common.BadCardData()
        if owner_id is not None and not any(p.id == owner_id for p in await plans.all_people(session)):
            raise common.BadCardData()
        card = await create(session, turn, plan, kind=kind, title=title, owner_id=owner_id, deadline=deadline,
                            start=start)
    return Reply.replacing(card)
