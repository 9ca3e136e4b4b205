"""Core rules: greetings and help."""

from __future__ import annotations

from typing import Any

from bot.nlu.intents import Intent
from bot.nlu.normalize import Utterance

HELP_WORDS = ("hjälp", "help", "hjalp", "hjälpa", "vad kan du", "vad kan jag fråga", "what can you do", "meny",
              "kommandon", "commands", "instruktioner", "hur funkar du", "hur fungerar tavla")
CANCEL_WORDS = frozenset({"avbryt", "avbryta", "avsluta", "cancel", "stop", "abort", "sluta", "stoppa"})
GREETINGS = ("hej", "hejsan", "hallå", "tjena", "tja", "god morgon", "goddag", "hi", "hello", "hey", "start")
# "ångra" typed instead of pressing the card's Ångra (folded, without ending punctuation)
UNDO_TEXTS = frozenset({"angra", "angra det", "angra den", "angra senaste", "angra det senaste", "angra andringen",
                        "angra senaste andringen", "angra min senaste andring", "undo", "undo that", "undo last",
                        "undo the last change", "undo my last change"})


THANKS = frozenset({"tack", "tack tack", "tack sa mycket", "tusen tack", "stort tack", "tackar", "tack ska du ha",
                    "tack for hjalpen", "toppen tack", "bra tack", "thanks", "thank you", "thx", "ok tack", "okej tack"})


def greeting_or_help(u: Utterance, _catalog: Any) -> Intent | None:
    """'hej', 'hjälp', 'help', 'vad kan du?' → help (a greeting alone, or with little else); 'avbryt' alone
    (an open dialog takes it before the recogniser, so here there is nothing to cancel); 'ångra' alone → undo
    the caller's latest change."""
    if u.folded in CANCEL_WORDS:
        return Intent("nothing_to_cancel", 1.0)
    if u.folded.rstrip(" !.") in UNDO_TEXTS:
        return Intent("undo_last", 1.0)
    if u.folded.rstrip(" !.") in THANKS:
        return Intent("thanks", 1.0)
    if u.starts_with(*HELP_WORDS) or (u.has_any(*HELP_WORDS) and len(u.words) <= 4):
        return Intent("help", 1.0)
    if u.starts_with(*GREETINGS) and len(u.words) <= 3:
        return Intent("help", 0.95, {"greeting": True})
    return None
