"""'status frisknärvaro?', a choice-card button, 'Visa status': one indicator's status card.

From text the recogniser gives ``indicator_ids`` (several = ambiguous → a choice card, none = not found →
the nearest indicators) and maybe ``org_unit_id``. From a button the data carries ``indicator_id`` and maybe
``org_unit_id`` (checked: card data is user input); a choice-card button replaces the choice card.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from bot import jsonio
from bot.handlers.indicator_views import STATUS_VIEWS_KEPT, as_id, choices, optional_id, status_view
from bot.turn import Reply, Turn
from cards.indicators import StatusView, choice_card, not_found_card, status_card
from followup.indicators import latest_month, period_from_code
from storage import indicators as repo


async def handle(turn: Turn) -> Reply:
    if turn.verb is not None:
        indicator_id = as_id(turn.data.get("indicator_id"), "indikator-id")
        org_unit_id = optional_id(turn.data.get("org_unit_id"), "enhets-id")
        async with turn.store.read_session() as session:
            view = await status_view(turn, session, indicator_id, org_unit_id)
        card = _status_card(view, turn.lang)
        return Reply.replacing(card) if turn.data.get("replace") is True and turn.is_invoke else Reply.card(card)

    slots = turn.slots
    ids = [i for i in slots.get("indicator_ids") or [] if isinstance(i, int)]
    org_unit_id = slots.get("org_unit_id") if isinstance(slots.get("org_unit_id"), int) else None
    query = str(slots.get("query") or turn.text)
    async with turn.store.read_session() as session:
        if not ids:
            catalog = await turn.catalog()
            nearest = [m.entry.id for m in catalog.search(query, "indicator", limit=4, cutoff=40.0)]
            infos = await repo.indicators(session, nearest)
            infos.sort(key=lambda i: nearest.index(i.id))
            return Reply.card(not_found_card(turn.text, choices(infos), turn.lang))
        if len(ids) > 1:
            infos = await repo.indicators(session, ids)
            infos.sort(key=lambda i: ids.index(i.id))
            return Reply.card(choice_card(turn.text, choices(infos), org_unit_id, turn.lang))
        view = await status_view(turn, session, ids[0], org_unit_id, _asked_day(turn))
    return Reply.card(_status_card(view, turn.lang))


def _asked_day(turn: Turn) -> date | None:
    """The last day of the period a question names ("status frisknärvaro i mars", "… 2017"), or None."""
    code, month = turn.slots.get("period"), turn.slots.get("month")
    if isinstance(code, str):
        try:
            return period_from_code(code).end
        except ValueError:
            return None
    if isinstance(month, int) and not isinstance(month, bool) and 1 <= month <= 12:
        return latest_month(month, turn.clock.today()).end
    return None


@lru_cache(maxsize=STATUS_VIEWS_KEPT)
def _card_json(view: StatusView, lang: str) -> bytes:
    return jsonio.dumps(status_card(view, lang))


def _status_card(view: StatusView, lang: str) -> jsonio.Written:
    """``status_card``, kept as JSON for an equal view (``indicator_views._status_view``) and sent as it was
    written: neither built nor read again while the view stays the same."""
    return jsonio.Written(_card_json(view, lang))
