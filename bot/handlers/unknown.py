"""Text no rule understood: say so, and offer the nearest things Tavla knows."""

from __future__ import annotations

from collections import Counter

from bot.nlu.catalog import Catalog
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
    return Reply.card(not_understood(turn.text, suggestions, turn.lang,
                                     examples=[] if suggestions else examples(catalog, turn.lang)))


def examples(catalog: Catalog, lang: str) -> list[Suggestion]:
    """Nothing near what was written: three questions Tavla answers, named from this kommun's own catalogue —
    an indicator of the förvaltningsmål (every enhet has it; else the first indicator) and the
    verksamhetsområde with the most budget lines — so "Prova till exempel:" has something to try."""
    out = []
    indicators = catalog.of_kind("indicator")
    goals = {g.id: g.extra.get("kind") for g in catalog.of_kind("goal")}
    indicator = next((i for i in indicators if goals.get(i.parent_id) == "forvaltningsmal"),
                     indicators[0] if indicators else None)
    if indicator is not None:
        out.append(f"status {(indicator.extra.get('short') or indicator.label).lower()}")
    lines_under = Counter(line.parent_id for line in catalog.of_kind("budget_line"))
    area = max(catalog.of_kind("area"), key=lambda a: lines_under[a.id], default=None)
    if area is not None:
        out.append(f"budget kvar {area.label.lower()}" if lang == "sv" else f"budget left {area.label.lower()}")
    out.append("mina aktiviteter" if lang == "sv" else "my activities")
    return [Suggestion(question, question) for question in out]
