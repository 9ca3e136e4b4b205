"""'prenumerera på veckosammanfattning [för <enhet>] [tisdag 08:00]' and the subscribe card's button."""

from __future__ import annotations

from bot.handlers.digest_common import (
    conversation_pk,
    parse_send_time,
    parse_weekday,
    require_known,
    scope_id,
    subscribe_offer,
    valid_unit,
    view_of,
)
from bot.turn import Reply, Turn
from cards.digest import TEXTS, clock_text, subscribe_card, subscription_card
from cards.texts import pick
from followup.schedule import DEFAULT_TIME, DEFAULT_WEEKDAY, weekday_name
from storage import digest as repo


async def handle(turn: Turn) -> Reply:
    require_known(turn)
    async with turn.store.session() as session:
        pk = await conversation_pk(session, turn)
        if turn.verb:
            unit_id = await valid_unit(session, turn.data.get("scope"))
            weekday = parse_weekday(turn.data.get("weekday", DEFAULT_WEEKDAY))
            send_time = parse_send_time(turn.data.get("send_time") or DEFAULT_TIME)
        else:
            unit_id = await scope_id(session, turn.slots.get("scope"))
            weekday = turn.slots.get("weekday", DEFAULT_WEEKDAY)
            send_time = turn.slots.get("time") or DEFAULT_TIME
            if unit_id is None:
                offer = await subscribe_offer(session, turn)
                if offer.default is None:
                    return Reply.card(subscribe_card(offer, turn.lang))
                unit_id = offer.default
        before = [s for s in await repo.for_conversation(session, pk) if s.scope_org_unit_id == unit_id and s.active]
        if before and "weekday" not in turn.slots and "time" not in turn.slots and not turn.verb:
            note = pick(TEXTS, "note_already", turn.lang, scope=before[0].scope_name)
            return Reply.card(subscription_card(await view_of(session, turn, before[0]), turn.lang, note=note))
        sub, _ = await repo.subscribe(session, conversation_pk=pk, scope_org_unit_id=unit_id, weekday=weekday,
                                      send_time=send_time, created_by_id=turn.caller.person_id)
        if before:  # already active: the command changes its schedule
            await repo.set_schedule(session, sub.id, weekday=weekday, send_time=send_time)
            sub = await repo.get_subscription(session, sub.id)
            assert sub is not None
        note = pick(TEXTS, "note_subscribed", turn.lang, scope=sub.scope_name,
                    weekday=weekday_name(sub.weekday, turn.lang), time=clock_text(sub.send_time, turn.lang))
        card = subscription_card(await view_of(session, turn, sub), turn.lang, note=note)
    if turn.verb:
        return Reply.replacing(card)
    return Reply.card(card)
