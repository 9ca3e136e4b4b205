"""The recogniser: ordered rules, each proposing an intent with a score; the best one wins.

A rule is ``(Utterance, Catalog) -> Intent | None``. Features add their rule to ``RULES`` in
``bot/nlu/rules.py``; ties go to the rule listed first. Below ``MIN_SCORE`` the answer is ``unknown``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.nlu.normalize import Utterance

MIN_SCORE = 0.5


@dataclass(frozen=True)
class Intent:
    name: str
    score: float = 1.0
    slots: dict[str, Any] = field(default_factory=dict)


Rule = Callable[[Utterance, Any], Intent | None]


def recognize(text: str, catalog: Any, rules: Sequence[Rule]) -> Intent:
    """The best-scoring intent of all rules, or ``unknown`` (with the text) when none is sure enough."""
    utterance = Utterance(text)
    if not utterance.text:
        return Intent("empty")
    best: Intent | None = None
    for rule in rules:
        intent = rule(utterance, catalog)
        if intent is not None and (best is None or intent.score > best.score):
            best = intent
            if best.score >= 1.0:
                break
    if best is None or best.score < MIN_SCORE:
        return Intent("unknown", 0.0, {"text": utterance.text})
    return best
