"""The recogniser: ordered rules, each proposing an intent with a score; the best one wins.

A rule is ``(Utterance, Catalog) -> Intent | None``. Features add their rule to ``RULES`` in
``bot/nlu/rules.py``; ties go to the rule listed first. Below ``MIN_SCORE`` the answer is ``unknown``.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.nlu.normalize import Utterance

MIN_SCORE = 0.5
REMEMBERED = 1024  # recognitions remembered per catalog (``recognize_remembered``)
REMEMBERED_MAX_CHARS = 500  # longer texts (a proposal with a description, a pasted list) are not remembered


@dataclass(frozen=True)
class Intent:
    name: str
    score: float = 1.0
    slots: dict[str, Any] = field(default_factory=dict)


Rule = Callable[[Utterance, Any], Intent | None]


THANK_MARKS = frozenset({"\U0001f44d", "\U0001f64f", "\u2764\ufe0f", "\u2764", "\U0001f44d\U0001f3fb",
                         "\U0001f44d\U0001f3fc", "\U0001f44d\U0001f3fd", "\U0001f44d\U0001f3fe", "\U0001f44d\U0001f3ff"})


def recognize(text: str, catalog: Any, rules: Sequence[Rule]) -> Intent:
    """The best-scoring intent of all rules, or ``unknown`` (with the text) when none is sure enough."""
    utterance = Utterance(text)
    if not utterance.text:  # nothing but marks: a thumbs-up is thanks, not a question (it got the help card)
        return Intent("thanks", 1.0) if utterance.raw.strip() in THANK_MARKS else Intent("empty")
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


def recognize_remembered(text: str, catalog: Any, rules: Sequence[Rule]) -> Intent:
    """``recognize``, remembered per catalog for the last ``REMEMBERED`` texts.

    The rules are pure functions of the text and the catalog, and a catalog never changes (a new one is loaded
    when names change): the same text gets the same intent. Texts repeat — the questions card buttons ask
    ("ask" verb), the same "status frisknärvaro" from many chefer — and a recognition is ≈ 0.3–0.6 ms of a
    turn's CPU. Each caller gets its own copy of the slots: a handler may change its intent's.
    """
    if len(text) > REMEMBERED_MAX_CHARS:
        return recognize(text, catalog, rules)
    memo: OrderedDict[str, Intent] = catalog.derived(("recognized", id(rules)), lambda _c: OrderedDict())
    intent = memo.get(text)
    if intent is None:
        intent = recognize(text, catalog, rules)
        memo[text] = intent
        if len(memo) > REMEMBERED:
            memo.popitem(last=False)
    else:
        memo.move_to_end(text)
    return Intent(intent.name, intent.score, copy.deepcopy(intent.slots))
