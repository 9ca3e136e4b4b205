"""Text no rule understood: say so, and offer the nearest things Tavla knows."""

from __future__ import annotations

from bot.turn import Reply, Turn
from cards.common import Suggestion, not_understood

QUESTION_FOR_KIND = {
    "indicator": ("status {name}", "status {name}"),
    "budget_line": ("budget {name}", "budget {name}"),
    "area": ("budget {name}", "budget {name}"),
    "enhet": ("tavla {name}", "board {name}"),
}


async def handle(turn: Turn) -> Reply:
    catalog = await turn.catalog()
    matches = catalog.suggest(turn.text, *QUESTION_FOR_KIND)
    suggestions = []
    for match in matches:
        sv, en = QUESTION_FOR_KIND[match.entry.kind]
        template = sv if turn.lang == "sv" else en
        name = match.entry.extra.get("short") or match.entry.label
        question = template.format(name=name)
        suggestions.append(Suggestion(question, question))
    return Reply.card(not_understood(turn.text, suggestions, turn.lang))
