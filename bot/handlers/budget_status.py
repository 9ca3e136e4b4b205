"""'budget kvar äldreomsorg', 'hur mycket har Hälsa och omsorg kvar?', 'budget totalt', 'budget gymnasieskola'
→ the line, area, förvaltning or choice card (``budget`` intent; anyone may ask — the budget is public)."""

from __future__ import annotations

from typing import Any

from bot.handlers import budget_common as common
from bot.nlu.catalog import key
from bot.turn import Reply, Turn
from cards import budget as cards


async def handle(turn: Turn) -> Reply:
    slots = turn.slots
    target = slots.get("target", "total")
    async with turn.store.read_session() as session:
        year = await common.choose_year(turn, session, slots)
        if target == "line":
            ids = await common.line_ids_for(turn, session, slots, year.year)
            name = " / ".join(slots.get("labels") or []) or "Verksamheten"
            card = await common.line_reply(turn, session, year, ids, name)
        elif target == "area":
            card = await common.area_reply(turn, session, year, int(slots["area_ids"][0]), detail=bool(slots.get("detail")),
                                           name=slots.get("area_name"))
        elif target == "enhet":
            card = await _enhet(turn, session, year, str(slots.get("enhet_name", "")), int(slots["area_ids"][0]),
                                str(slots.get("area_name")))
        elif target == "unknown":
            catalog = await turn.catalog()
            query = str(slots.get("query", ""))
            matches = catalog.search(query, "budget_line", "area", limit=4, cutoff=75.0)
            suggestions = list(dict.fromkeys(m.entry.label for m in matches))
            # "budget kvar hemtjänst": no line or area of that name, but an enhet — say where it belongs
            enheter = [] if suggestions else [m.entry for m in catalog.search(query, "enhet", limit=4, cutoff=85.0)
                                               if m.entry.parent_id is not None]
            if enheter and len({e.parent_id for e in enheter}) == 1:
                card = await _enhet(turn, session, year, enheter[0].label, int(enheter[0].parent_id),
                                    str(enheter[0].parent_label))
            else:
                card = cards.unknown_card(query, suggestions, year.year, common.shown(turn, year.note), turn.lang)
        else:
            card = await common.total_reply(turn, session, year)
    return Reply.card(card)


async def _enhet(turn: Turn, session: Any, year: Any, enhet_name: str, area_id: int, area_name: str) -> dict[str, Any]:
    """An enhet was named: Tavla has no budget per enhet; its area is offered, and a line of the area whose name
    the enhet's contains ("Förskolan Humlan": Förskola)."""
    catalog = await turn.catalog()
    enhet_key = key(enhet_name)
    contained = [e for e in catalog.of_kind("budget_line")
                 if e.parent_id == area_id and any(f" {n} " in f" {enhet_key} " or enhet_key.startswith(n)
                                                   for n in e.names if len(n) >= 5)]
    line = None
    if contained and catalog.year == year.year:
        found = await turn.budget_figures.line_figures(session, year.year, line_ids=[contained[0].id])
        line = found[0] if found else None
    return cards.enhet_card(enhet_name, area_name, area_id, year.year, line, common.shown(turn, year.note), turn.lang)
