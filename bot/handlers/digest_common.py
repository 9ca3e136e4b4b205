"""Shared steps of the digest handlers: this conversation, its subscriptions, the views, the checks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.card_data import card_int
from bot.turn import Turn
from cards.digest import SubscribeOffer, SubscriptionView
from followup.errors import Forbidden, UserError
from followup.schedule import ScheduleError, format_time, next_due, parse_time
from storage import conversations
from storage import digest as repo
from storage.models import OrgUnit

TEXTS = {
    "not_stored": ("Jag hittar inte den här konversationen. Skriv något till mig här först, eller lägg till Tavla "
                   "i kanalen igen.",
                   "I can't find this conversation. Write something to me here first, or add Tavla to the channel again."),
    "none": ("Det finns ingen veckosammanfattning här. Skriv ”prenumerera på veckosammanfattning” för att starta en.",
             "There is no weekly digest here. Write “prenumerera på veckosammanfattning” to start one."),
    "which": ("Det finns flera veckosammanfattningar här ({names}). Skriv vilken, t.ex. ”{verb} veckosammanfattning för {first}”.",
              "There are several weekly digests here ({names}). Say which, e.g. “{verb} veckosammanfattning för {first}”."),
    "gone": ("Den veckosammanfattningen finns inte längre här.", "That weekly digest no longer exists here."),
    "bad_time": ("”{value}” är inget klockslag. Skriv t.ex. 07:30 eller 8.00.",
                 "“{value}” is not a time of day. Write e.g. 07:30 or 8.00."),
    "bad_weekday": ("Välj en veckodag, måndag–söndag.", "Choose a weekday, Monday–Sunday."),
    "bad_scope": ("Jag känner inte igen den enheten eller det verksamhetsområdet. Välj i listan.",
                  "I don't recognise that unit or area. Choose from the list."),
    "unknown_person": ("Du finns inte registrerad i Tavla än, så du kan inte ändra veckosammanfattningen. Be din chef "
                       "eller Tavlas administratör att lägga till dig.",
                       "You are not registered in Tavla yet, so you cannot change the weekly digest. Ask your manager "
                       "or Tavla's administrator to add you."),
}


def text(key: str, lang: str, **values: Any) -> str:
    sv, en = TEXTS[key]
    return (en if lang == "en" else sv).format(**values)


def error(key: str, **values: Any) -> UserError:
    sv, en = TEXTS[key]
    return UserError(sv.format(**values), en.format(**values))


def require_known(turn: Turn) -> None:
    if not turn.caller.known:
        sv, en = TEXTS["unknown_person"]
        raise Forbidden(sv, en)


def base_conversation_id(conversation_id: str) -> str:
    """A channel thread (``…@thread.tacv2;messageid=…``) belongs to its channel: digests go to the channel."""
    return conversation_id.split(";messageid=", 1)[0]


async def conversation_pk(session: AsyncSession, turn: Turn) -> int:
    """The stored conversation the digest belongs to: the channel itself when written in one of its threads."""
    info = None
    base = base_conversation_id(turn.where.conversation_id)
    if base != turn.where.conversation_id:
        info = await conversations.get(session, base)
    info = info or await conversations.get(session, turn.where.conversation_id)
    if info is None:
        raise error("not_stored")
    return info.id


async def root_unit(session: AsyncSession) -> tuple[int, str] | None:
    row = (await session.execute(
        select(OrgUnit.id, OrgUnit.name).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id)
    )).first()
    return (row[0], row[1]) if row else None


async def scope_id(session: AsyncSession, scope: dict[str, Any] | None) -> int | None:
    """The org unit id of a recognised scope slot (``{"kind": "whole"}`` → the förvaltning)."""
    if not scope:
        return None
    if scope.get("kind") == "whole":
        root = await root_unit(session)
        return root[0] if root else None
    value = scope.get("id")
    return value if isinstance(value, int) else None


async def valid_unit(session: AsyncSession, unit_id: Any) -> int:
    """A scope chosen on a card (user input): an existing org unit id, else a clear message."""
    uid = card_int(unit_id)
    if uid is None:
        raise error("bad_scope")
    exists = (await session.execute(select(OrgUnit.id).where(OrgUnit.id == uid))).scalar_one_or_none()
    if exists is None:
        raise error("bad_scope")
    return uid


def parse_weekday(value: Any) -> int:
    weekday = card_int(value, minimum=0, maximum=6)
    if weekday is None:
        raise error("bad_weekday")
    return weekday


def parse_send_time(value: Any) -> str:
    try:
        return format_time(parse_time(str(value)))
    except ScheduleError:
        raise error("bad_time", value=str(value)[:20]) from None


async def pick_subscription(session: AsyncSession, turn: Turn, *, verb_sv: str,
                            include_stopped: bool = False) -> repo.Subscription:
    """The subscription a command means: by card data, by named scope, or the only one here."""
    pk = await conversation_pk(session, turn)
    subs = await repo.for_conversation(session, pk, include_stopped=include_stopped)
    raw_id = turn.data.get("subscription_id") if turn.verb else None
    if raw_id is not None:
        wanted = card_int(raw_id)
        found = next((s for s in subs if s.id == wanted), None)
        if found is None:  # another conversation's id, a stopped one, or made up: never trusted
            raise error("gone")
        return found
    if not subs:
        raise error("none")
    wanted_scope = await scope_id(session, turn.slots.get("scope"))
    if wanted_scope is not None:
        found = next((s for s in subs if s.scope_org_unit_id == wanted_scope), None)
        if found is None:
            raise error("none")
        return found
    if len(subs) == 1:
        return subs[0]
    names = ", ".join(s.scope_name for s in subs)
    raise error("which", names=names, verb=verb_sv, first=subs[0].scope_name)


async def view_of(session: AsyncSession, turn: Turn, sub: repo.Subscription) -> SubscriptionView:
    unit = (await session.execute(select(OrgUnit.kind, OrgUnit.meeting_weekday)
                                  .where(OrgUnit.id == sub.scope_org_unit_id))).first()
    is_enhet = bool(unit and unit[0] == "enhet")
    try:
        at = parse_time(sub.send_time)
        upcoming = next_due(turn.clock.now(), sub.weekday, at, turn.clock.tz)
    except ScheduleError:
        upcoming = None
    return SubscriptionView(sub.id, sub.scope_name, sub.weekday, sub.send_time, sub.active, sub.paused_reason,
                            sub.quiet_weeks, upcoming, unit[1] if is_enhet and unit else None, is_enhet)


async def subscribe_offer(session: AsyncSession, turn: Turn) -> SubscribeOffer:
    """Scopes to choose from: the förvaltning, its verksamhetsområden and enheter; the likely one first."""
    year = turn.clock.today().year
    units = (await session.execute(
        select(OrgUnit.id, OrgUnit.name, OrgUnit.kind, OrgUnit.parent_id)
        .where(OrgUnit.valid_from <= year, (OrgUnit.valid_to.is_(None)) | (OrgUnit.valid_to >= year))
        .order_by(OrgUnit.name)
    )).all()
    by_id = {u.id: u for u in units}
    choices: list[tuple[str, int]] = []
    whole = "Hela förvaltningen" if turn.lang == "sv" else "The whole organisation"
    for u in units:
        if u.parent_id is None:
            choices.append((f"{whole} ({u.name})", u.id))
    for u in units:
        if u.kind == "verksamhetsomrade":
            choices.append((u.name, u.id))
    for u in units:
        if u.kind == "enhet":
            parent = by_id.get(u.parent_id)
            choices.append((f"{u.name} ({parent.name})" if parent else u.name, u.id))
    default = default_scope(turn, by_id)
    # an enhet's digest goes out the morning of its tavelmöte, when it has a day
    if default is not None and default in by_id and by_id[default].kind == "enhet":
        unit = await repo.unit_meeting_weekday(session, default)
        if unit is not None and unit[1] is not None:
            return SubscribeOffer(tuple(choices), default, weekday=unit[1], meeting_of=unit[0])
    return SubscribeOffer(tuple(choices), default)


def default_scope(turn: Turn, units: dict[int, Any]) -> int | None:
    """The channel's linked enhet, else the caller's one unit (as chef or medarbetare), else none."""
    if turn.where.linked_org_unit_id is not None:
        return turn.where.linked_org_unit_id
    mine = sorted({m.org_unit_id for m in turn.caller.memberships if m.org_unit_id in units})
    return mine[0] if len(mine) == 1 else None
