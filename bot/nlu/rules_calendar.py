"""Årshjul rules: "årshjulet", "vad händer i september?", "när fastställs budgeten?", "annual cycle"
→ ``arshjul`` with slots ``month`` (a month named) or ``query`` (the words of a "när …" question, matched
against the steps' titles by the handler: ``followup.arshjul.matching``)."""

from __future__ import annotations

from typing import Any

from bot.nlu.intents import Intent
from bot.nlu.normalize import Utterance
from followup.indicators import find_month

WHEEL = ("arshjul", "arshjulet", "arshjulets", "hela arshjulet", "annual cycle", "annual wheel", "year wheel",
         "planeringskalender", "planeringskalendern")
HAPPENS = ("vad hander", "vad ska handa", "vad sker", "vad ar pa gang", "vad star pa tur", "what happens",
           "whats happening", "what is happening", "whats on", "what is on")
WHEN = ("nar", "when")
# what is done to a step of the årshjul: "när fastställs budgeten?", "när beslutar KF om budgeten?"
STEP_VERBS = ("faststalls", "faststalla", "faststaller", "beslutas", "beslutar", "skickas ut", "adopted", "decided",
              "sent out")
# what the steps are about: "när ska VP vara klar?"
STEP_NOUNS = ("vp", "verksamhetsplan", "verksamhetsplanen", "verksamhetsplanerna", "verksamhetsrapport",
              "verksamhetsrapporten", "verksamhetsrapporterna", "budgetbeslut", "budgetbeslutet", "kf")
NEXT_MONTH = ("nasta manad", "i nasta manad", "next month")
SOON = ("harnast", "snart", "framover", "next", "soon", "coming up")


def arshjul(u: Utterance, _catalog: Any) -> Intent | None:
    slots: dict[str, Any] = {}
    month = find_month(u.folded)
    if month is None and u.has_any("in may"):  # "may" alone is a verb too
        month = (5, 0, 0)
    if month is not None:
        slots["month"] = month[0]
    elif u.has_any(*NEXT_MONTH):
        slots["next_month"] = True
    if u.has_any(*WHEEL):
        return Intent("arshjul", 1.0, slots)
    if u.has_any(*HAPPENS) and (slots or u.has_any(*SOON)):
        return Intent("arshjul", 0.95, slots)
    if u.starts_with(*WHEN) and u.has_any(*STEP_VERBS, *STEP_NOUNS) and month is None:
        return Intent("arshjul", 0.9, {"query": u.text})
    return None


RULES_CALENDAR = (arshjul,)
