"""Rules for the weekly digest, the tavelmöte day and reminders.

"veckosammanfattning", "prenumerera på veckosammanfattning för Förskolan Humlan", "ändra
veckosammanfattning till tisdag 08:00", "pausa/återuppta/stoppa veckosammanfattning", "tavelmöte på
torsdagar", "inga påminnelser" / "påminnelser igen" — and the English equivalents.
"""

from __future__ import annotations

import re
from typing import Any

from bot.nlu.intents import Intent
from bot.nlu.normalize import Utterance, fold

DIGEST_WORDS = ("veckosammanfattning", "veckosammanfattningen", "veckosammanfattningar", "veckosammanställning",
                "veckorapport", "veckorapporten", "veckobrev", "veckobrevet", "weekly digest", "digest",
                "weekly summary")
SUBSCRIBE = ("prenumerera", "prenumerera pa", "prenumeration", "starta", "skicka", "subscribe", "bestall",
             "vill ha", "lagg till", "sla pa")
CHANGE = ("andra", "flytta", "byt", "satt", "change", "move", "skicka pa", "skicka den pa")
PAUSE = ("pausa", "pause", "vila")
RESUME = ("ateruppta", "fortsatt", "resume", "starta igen", "igen", "sla pa igen", "unpause")
STOP = ("stoppa", "stopp", "avsluta", "sluta", "ta bort", "avprenumerera", "sag upp", "saga upp", "stop",
        "unsubscribe", "cancel", "radera", "inga fler")
MEETING = ("tavelmote", "tavelmotet", "tavelmoten", "tavelmotena", "board meeting", "board meetings",
           "tavlan moter", "moter vid tavlan")
REMINDER_WORDS = ("paminnelser", "paminnelse", "paminn", "paminna", "reminders", "reminder", "remind")
NO_WORDS = ("inga", "ingen", "stang av", "sluta", "stoppa", "avsluta", "slipp", "slippa", "no", "stop", "disable",
            "turn off", "vill inte ha", "inte ha", "av")
ON_WORDS = ("igen", "sla pa", "vill ha", "aktivera", "starta", "on", "enable", "turn on", "ateruppta")

WEEKDAYS = {
    0: ("mandag", "mandagar", "mandagen", "mandags", "man", "monday", "mondays", "mon"),
    1: ("tisdag", "tisdagar", "tisdagen", "tisdags", "tis", "tuesday", "tuesdays", "tue"),
    2: ("onsdag", "onsdagar", "onsdagen", "onsdags", "ons", "wednesday", "wednesdays", "wed"),
    3: ("torsdag", "torsdagar", "torsdagen", "torsdags", "tors", "thursday", "thursdays", "thu"),
    4: ("fredag", "fredagar", "fredagen", "fredags", "fre", "friday", "fridays", "fri"),
    5: ("lordag", "lordagar", "lordagen", "lordags", "saturday", "saturdays"),
    6: ("sondag", "sondagar", "sondagen", "sondags", "sunday", "sundays"),
}
_TIME = re.compile(r"(?<![\d,.])(?:kl\.?\s*|klockan\s+|at\s+)?([01]?\d|2[0-3])(?:[:.]([0-5]\d))(?![\d])")
_HOUR_ONLY = re.compile(r"(?:\bkl\.?\s*|\bklockan\s+|\bat\s+)([01]?\d|2[0-3])(?![\d:.])")
_WHOLE = ("hela forvaltningen", "forvaltningen", "hela kommunen", "kommunen", "hela organisationen",
          "kommunovergripande", "whole organisation", "whole organization", "everything", "allt")


def weekday_in(u: Utterance) -> int | None:
    words = set(u.words)
    for day, names in WEEKDAYS.items():
        if any(name in words for name in names):
            return day
    return None


def time_in(u: Utterance) -> str | None:
    """"08:00", "8.30", "kl 8", "klockan 7" → "HH:MM"; None when no time of day is written."""
    text = fold(u.raw.lower())
    match = _TIME.search(text)
    if match:
        return f"{int(match.group(1)):02d}:{match.group(2)}"
    match = _HOUR_ONLY.search(text)
    if match:
        return f"{int(match.group(1)):02d}:00"
    return None


def scope_in(u: Utterance, catalog: Any) -> dict[str, Any] | None:
    """The enhet/område named (or the whole förvaltning); None when none is named."""
    if u.has_any(*_WHOLE):
        return {"kind": "whole"}
    if catalog is None:
        return None
    matches = catalog.find_in(u.raw, "enhet", "area", threshold=88.0)
    if not matches:
        return None
    best = matches[0]
    return {"kind": best.entry.kind, "id": best.entry.id, "name": best.entry.label}


def _slots(u: Utterance, catalog: Any) -> dict[str, Any]:
    slots: dict[str, Any] = {}
    weekday = weekday_in(u)
    if weekday is not None:
        slots["weekday"] = weekday
    at = time_in(u)
    if at is not None:
        slots["time"] = at
    scope = scope_in(u, catalog)
    if scope is not None:
        slots["scope"] = scope
    return slots


def digest(u: Utterance, catalog: Any) -> Intent | None:
    """Everything about the weekly digest: show, subscribe, change, pause, resume, stop."""
    if not u.has_any(*DIGEST_WORDS) and not any(w.startswith("veckosammanfattning") for w in u.words):
        return None
    slots = _slots(u, catalog)
    if u.has_any(*STOP) and not u.has_any("starta igen"):
        return Intent("digest_stop", 1.0, slots)
    if u.has_any(*PAUSE):
        return Intent("digest_pause", 1.0, slots)
    if u.has_any(*RESUME) and not u.has_any("prenumerera"):
        return Intent("digest_resume", 1.0, slots)
    if u.has_any(*CHANGE) or ("weekday" in slots or "time" in slots) and not u.has_any(*SUBSCRIBE):
        return Intent("digest_change", 1.0, slots)
    if u.has_any(*SUBSCRIBE) or any(w.startswith("prenumer") for w in u.words):
        return Intent("digest_subscribe", 1.0, slots)
    return Intent("digest_show", 1.0 if len(u.words) <= 4 else 0.8, slots)


NEXT_MEETING = ("nar ar nasta", "nar ar vart", "nar ar tavelmotet", "nar har vi", "nasta tavelmote", "vilken dag",
                "nar ar det tavelmote", "when is the next", "when is our", "next board meeting", "when do we")


def next_meeting_question(u: Utterance, catalog: Any) -> Intent | None:
    """"när är nästa tavelmöte?", "vilken dag har vi tavelmöte i Förskolan Humlan?" → the day and the date."""
    if not u.has_any(*MEETING) or not u.has_any(*NEXT_MEETING) or weekday_in(u) is not None:
        return None
    scope = scope_in(u, catalog)
    return Intent("digest_meeting_next", 1.0, {"unit": scope} if scope and scope.get("kind") == "enhet" else {})


def meeting_day(u: Utterance, catalog: Any) -> Intent | None:
    """"tavelmöte på torsdagar", "vi har tavelmöte på tisdagar i Förskolan Humlan"."""
    if not u.has_any(*MEETING):
        return None
    weekday = weekday_in(u)
    if weekday is None:
        return None
    if u.has_any("starta", "borja", "start", "visa", "show"):
        return None  # starting or showing a tavelmöte is the handlingsplaner feature's
    slots: dict[str, Any] = {"weekday": weekday}
    scope = scope_in(u, catalog)
    if scope is not None and scope.get("kind") == "enhet":
        slots["unit"] = scope
    said = _CLOCK.search(u.folded)
    if said:  # "tavelmöte på fredag kl 9": the day is kept, and the answer says the time is not
        slots["time"] = next(g for g in said.groups() if g)
    return Intent("digest_meeting_day", 1.0, slots)


_CLOCK = re.compile(r"(?:\b(?:kl|klockan|at)\.?\s*(\d{1,2}(?:[:.]\d{2})?)\b)|(?:\b(\d{1,2}[:.]\d{2})\b)")


def reminders(u: Utterance, _catalog: Any) -> Intent | None:
    """"inga påminnelser", "stäng av påminnelser" / "påminnelser igen", "slå på påminnelser"."""
    if not u.has_any(*REMINDER_WORDS) and not any(w.startswith("paminn") for w in u.words):
        return None
    if u.has_any(*ON_WORDS) and not u.has_any("inga", "ingen", "stang av", "no", "vill inte"):
        return Intent("digest_reminders_on", 1.0)
    if u.has_any(*NO_WORDS):
        return Intent("digest_reminders_off", 1.0)
    return None


RULES_DIGEST = (digest, next_meeting_question, meeting_day, reminders)
