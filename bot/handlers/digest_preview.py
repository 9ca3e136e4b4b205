"""The card's Förhandsvisa: this week's digest as it would look now (nothing is recorded or sent)."""

from __future__ import annotations

from bot.handlers.digest_common import error, pick_subscription
from bot.turn import Message, Reply, Turn
from cards.digest import TEXTS, digest_card, quiet_text
from cards.texts import pick
from followup.digest import build_digest
from storage.digest_sources import digest_input


async def handle(turn: Turn) -> Reply:
    async with turn.store.session() as session:
        sub = await pick_subscription(session, turn, verb_sv="visa", include_stopped=True)
        data = await digest_input(session, sub.scope_org_unit_id, turn.clock.today(), turn.clock.now())
    if data is None:  # the scope's org unit is gone
        raise error("gone")
    content = build_digest(data)
    note = pick(TEXTS, "preview_note", turn.lang)
    card = digest_card(content, turn.lang, subscription_id=sub.id, pinned=turn.clock.pinned)
    if content.quiet:
        return Reply(messages=[Message(text=f"{note}\n\n{quiet_text(content, turn.lang)}")])
    return Reply(messages=[Message(text=note, card=card)])
