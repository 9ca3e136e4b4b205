"""The årshjul: the dated steps of the year's planning and follow-up (Årsplan 2018, Bilaga 2) as a chef asks
about them — "årshjulet", "vad händer i september?", "när fastställs budgeten?".

A step has a month and maybe a day (``storage.models.CalendarStep``); it comes round every year. Against a
date: a step is *past* when its day (or, without one, its whole month) is before that date, and the *next*
step is the first one not past — in January of next year when every step of this one is past.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# Words of a question that say nothing about which step is meant ("när ska VP vara klar?" → "vp").
FILLER = frozenset(
    "nar ska skall vara klar klart klara ar blir kommer det den de vi man om i pa for av till och eller som vad "
    "hander handa sker arshjul arshjulet hjulet when is are will be the a an of in on for to and what happens "
    "annual cycle".split())
_FOLD = str.maketrans("åäöéü", "aaoeu")
DECIDE = "decide"  # fastställa, besluta, adopt, decide: one word here — KF "fastställer" the budget it decides
_DECIDING = frozenset({"fasts", "beslu", "adopt", "decid"})
VERBS = frozenset({DECIDE, "skick"})  # stems of what is done to a step
STEM = 5  # words alike when their first five letters are ("budgeten" ~ "budget", "fastställs" ~ "fastställa")


@dataclass(frozen=True)
class Step:
    month: int
    day: int | None
    title: str
    description: str | None = None


@dataclass(frozen=True)
class WheelLine:
    step: Step
    past: bool
    next: bool


@dataclass(frozen=True)
class Wheel:
    lines: tuple[WheelLine, ...]
    month: int | None  # the month asked about, when one was
    query: str | None  # the words asked about ("fastställs budgeten"), when a step was asked for
    matched: bool  # False: nothing matched the month or the words, ``lines`` is the whole year
    following: WheelLine | None  # for a month without steps: the first step after it


def _past(step: Step, today: date) -> bool:
    if step.day is None:
        return step.month < today.month
    return (step.month, step.day) < (today.month, today.day)


def _order(step: Step) -> tuple[int, int, str]:
    return step.month, step.day or 0, step.title


def _stems(text: str) -> set[str]:
    words = "".join(c if c.isalnum() else " " for c in text.casefold().translate(_FOLD)).split()
    stems = {w[:STEM] for w in words if w not in FILLER and len(w) >= 2}
    return {DECIDE if stem in _DECIDING else stem for stem in stems}


def matching(steps: list[Step], query: str) -> list[Step]:
    """The steps whose title shares the most words with ``query`` (by their first letters). What is done to a
    step ("fastställs", "beslutas") only ranks steps that share a word naming what it is done to ("budget"):
    "när fastställs lönerevisionen?" names no step."""
    wanted = _stems(query)
    scored = []
    for step in steps:
        shared = wanted & _stems(step.title)
        named = len(shared - VERBS)
        if named:
            scored.append((2 * named + len(shared & VERBS), step))
    best = max((n for n, _ in scored), default=0)
    return [s for n, s in scored if n == best]


def wheel(steps: list[Step], today: date, *, month: int | None = None, query: str | None = None) -> Wheel:
    """The year's steps against ``today``, or those of ``month``, or those ``query`` names (``matching``)."""
    ordered = sorted(steps, key=_order)
    upcoming = next((s for s in ordered if not _past(s, today)), ordered[0] if ordered else None)
    lines = [WheelLine(s, _past(s, today), s is upcoming) for s in ordered]
    chosen = lines
    if month is not None:
        chosen = [line for line in lines if line.step.month == month]
    elif query:
        named = matching(ordered, query)
        chosen = [line for line in lines if line.step in named]
    following = None
    if month is not None and not chosen:
        following = next((line for line in lines if line.step.month > month), lines[0] if lines else None)
    matched = bool(chosen) or (month is None and not query)
    return Wheel(tuple(chosen or lines), month, query, matched, following)
