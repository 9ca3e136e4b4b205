"""Rules for handlingsplaner and the tavelmöte: reporting progress in free text, the board, and plan commands.

Activities are not in the shared catalog (there are thousands, and they change all day): a report rule
only pulls out *what is said about* an activity — a status word, a percentage, a comment — and the words
that name it (``query``). The handler finds the activity among the caller's own, then their unit's.

Look-alikes: "frisknärvaro 94,2 % mars 2018" records an indicator value (the indicator rule). When the
text names an indicator, the report rule scores only ``REPORT_NEAR_INDICATOR`` so the indicator rule wins;
"introduktion nyanställda 60 %" names no indicator and is a report.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from rapidfuzz import fuzz

from bot.nlu.catalog import key, other_number
from bot.nlu.intents import Intent
from bot.nlu.normalize import Utterance, clean, fold
from followup.activities import KLAR, find_status
from followup.indicators import SICK_LEAVE_NAMES

REPORT_SCORE = 0.85
REPORT_NEAR_INDICATOR = 0.55  # below any indicator rule's score for a named indicator
REPORT_WITHOUT_NAME = 0.6  # "klar" alone: the handler asks which activity

QUESTION_STARTS = ("nar", "hur", "vad", "vilka", "vilken", "vilket", "vem", "ar", "finns", "kan", "when", "how",
                   "what", "which", "who", "is", "are", "varfor", "why")
NOT_REPORTS = ("budget", "budgeten", "utfall", "tkr", "prognos", "forbrukning", "forbrukningsgrad", "indikator",
               "indikatorer", "malniva", "malnivan")
MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
          "november", "december")
MONTHS_EN = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
             "november", "december")

# a minus sign written onto the number is kept ("-20 %": refused as progress, not read as 20 %); one with a space
# after it is a separator ("mentorskap - 20 %")
_PERCENT = re.compile(r"(?<![\w,.])((?:[-−–](?=\d))?\d{1,3}(?:[,.]\d+)?)\s*(?:%|procent\b|percent\b)")
_ACTIVITY_ID = re.compile(r"(?:(?<!\w)aktivitet(?:en)?|(?<!\w)activity|(?<!\w)nr|#)\s*(?:nr\.?\s*|nummer\s*)?(\d{1,9})(?!\d)")
_SEPARATORS = re.compile(r"\s*(?:[,;:]|\s[-–—]\s|\.\s)\s*")
# "… 80 % kommentar: IT-kontona är på plats": the word that introduces the comment is not part of it
_COMMENT_LABEL = re.compile(r"(?:med\s+)?(?:kommentar(?:en)?|kommentera|notering|anteckning|comment|note)"
                            r"(?:\s*[:\-–—]\s*|\s+)(?=\S)", re.IGNORECASE)
_LEADING_FILLER = re.compile(
    r"^(?:(?:jag|vi|nu|just|med|har|ar|aktiviteten|aktivitet|att|the|with|i'm|we're|we|i"
    r"|rapportera|rapporterar|uppdatera|uppdaterar|report|update)(?:\s+|$))+")  # the command word itself
_TRAILING_FILLER = re.compile(r"(?:\s+(?:ar|nu|har|is|now|med|-|–|och|vi|jag|we))+$")
_YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")


def _folded(raw: str) -> tuple[str, str]:
    """The cleaned text and a lower-cased, å/ä/ö-folded copy of the same length (for positions)."""
    text = clean(raw)
    low = fold(text.lower())
    if len(low) != len(text):  # a character whose lower case is longer: fall back to the folded text itself
        text = low
    return text, low


def _unit(catalog: Any, text: str) -> dict[str, Any]:
    """Slots for an enhet named in ``text``: ``unit_id`` when one fits, else ``unit_text`` for the handler to
    say — with ``unit_choices`` (id, name) when several fit equally ("hemtjänst": Knislinge or Broby)."""
    text = text.strip(" :,.")
    if not text:
        return {}
    if catalog is not None and hasattr(catalog, "find_in"):
        found = catalog.find_in(text, "enhet", threshold=85.0) or [
            m for m in catalog.search(text, "enhet", limit=2, cutoff=80.0) if not other_number(m.name, text)]
        padded = f" {key(text)} "
        written = [m for m in found if f" {m.name} " in padded]  # a whole name as written beats a part of one
        if written:
            longest = max(len(m.name) for m in written)
            best = [m for m in written if len(m.name) == longest]
        else:
            best = [m for m in found if m.score == found[0].score] if found else []
        if len(best) == 1:
            return {"unit_id": best[0].entry.id, "unit_name": best[0].entry.label}
        if best:
            return {"unit_text": text,
                    "unit_choices": sorted([[m.entry.id, m.entry.label] for m in best[:6]], key=lambda c: c[1])}
    return {"unit_text": text}


def _rest_after(u: Utterance, raw_text: str, *prefixes: str) -> str | None:
    """The original text after the first of ``prefixes`` that the (folded) text starts with, or None."""
    text, low = _folded(raw_text)
    for prefix in sorted(prefixes, key=len, reverse=True):
        p = fold(prefix)
        if low == p or low.startswith(p + " ") or low.startswith(p + ":"):
            return text[len(p):].strip(" :,-–")
    return None


# --- Commands --------------------------------------------------------------------------------


def report_start(u: Utterance, _catalog: Any) -> Intent | None:
    """'rapportera' (and a few ways of saying it alone) → the guided report dialog."""
    if u.folded in ("rapportera", "rapportera aktivitet", "rapportera aktiviteter", "rapportera lage", "rapportera laget",
                    "rapportera lage aktivitet", "uppdatera aktivitet", "uppdatera aktiviteter", "rapport",
                    "report", "report progress", "update activity"):
        return Intent("plan_report_start", 1.0)
    return None


def mine(u: Utterance, _catalog: Any) -> Intent | None:
    """'mina aktiviteter', 'visa mina aktiviteter', 'my activities'."""
    if u.has_any("mina aktiviteter", "mina uppgifter", "mina handlingsplaner", "my activities", "my tasks") \
            and len(u.words) <= 5:
        return Intent("plan_mine", 1.0)
    if u.folded in ("vad ska jag gora", "vad har jag for aktiviteter", "vilka aktiviteter har jag"):
        return Intent("plan_mine", 0.9)
    words = u.folded.split()
    if 2 <= len(words) <= 3 and words[0] in ("mina", "my") and _like(words[1], ("aktiviteter", "uppgifter", "activities")):
        return Intent("plan_mine", 0.9)  # "mina aktivitter", "mina aktivteter"
    return None


def _like(word: str, targets: tuple[str, ...]) -> bool:
    """One typo away, about: a letter missing, doubled, swapped or wrong in a word of eight letters or more."""
    return any(fuzz.ratio(word, target) >= 88 for target in targets)


BOARD_WORDS = ("visa tavlan for", "visa tavlan", "visa tavla", "tavlan for", "tavla for", "tavelmote for",
               "tavelmotet for", "tavelmotet", "tavelmote", "tavlan", "tavla", "handlingsplaner for",
               "handlingsplanen for", "handlingsplan for", "handlingsplaner", "handlingsplan", "board for",
               "show board", "board")


HOW_IS_MY_UNIT = ("hur gar det for min enhet", "hur gar det for oss", "hur gar det for var enhet", "hur ligger vi till",
                  "hur gar det pa min enhet", "how is my unit doing", "how are we doing")
HOW_IS_UNIT = ("hur gar det for", "hur gar det i", "hur gar det pa", "hur ligger", "how is")


_EVERY_DAY = re.compile(r"^(?:(?:pa|på)\s+)?(?:varje|alla|every)\s+(?:dag|dagar|morgon|vardag|vardagar|day|morning)\b|^dagligen\b"
                        r"|^daily\b")


def board(u: Utterance, catalog: Any) -> Intent | None:
    """'tavla', 'tavelmöte', 'tavla Förskolan Humlan', 'handlingsplaner Humlan' → the board card; 'hur går det för
    min enhet?' too (the board has the enhet's result indicator, its budget, what changed and what is late)."""
    if u.folded.rstrip(" ?!.") in HOW_IS_MY_UNIT:
        return Intent("board_show", 0.95)
    named = _rest_after(u, u.raw.rstrip(" ?!."), *HOW_IS_UNIT)
    if named:  # "hur går det för Humlan?": that enhet's board, when an enhet is all that is named
        folded = key(named)
        if set(folded.split()) & set(NOT_REPORTS) or any(name in folded for name in SICK_LEAVE_NAMES) or (
                catalog is not None and hasattr(catalog, "find_in") and catalog.find_in(named, "indicator", threshold=88.0)):
            return None  # "… för frisknärvaron i Humlan", "… med sjukfrånvaron", "… med budgeten": not the board
        slots = _unit(catalog, named)
        return Intent("board_show", 0.95, slots) if "unit_id" in slots else None
    if u.starts_with("starta", "start"):
        return None
    rest = _rest_after(u, u.raw, *BOARD_WORDS)
    if rest is None:
        return None
    if not rest:
        return Intent("board_show", 1.0)
    if _EVERY_DAY.match(fold(rest.lower())):  # "tavelmöte varje dag": no enhet of that name; a day is kept per week
        return Intent("digest_meeting_day", 1.0, {"daily": True})
    slots = _unit(catalog, rest)
    page = re.search(r"(?:sida|page)\s*(\d{1,3})$", fold(rest.lower()))
    if page:
        slots["page"] = int(page.group(1))
    return Intent("board_show", 1.0 if "unit_id" in slots else 0.7, slots)


OVERDUE_WORDS = frozenset("forsenade forsenad forsenat forsenda overdue".split())
_OVERDUE_FILLER = frozenset("vilka vilken vad visa finns det ar har som aktiviteter aktiviteterna aktivitet vara "
                            "nagra just nu i for pa hos which what are is show me any activities the in".split())


def overdue(u: Utterance, catalog: Any) -> Intent | None:
    """'vilka aktiviteter är försenade?', 'försenade aktiviteter i Förskolan Humlan', 'what is overdue' → the
    board, which lists the försenade first in each column and says how many there are."""
    words = [w.strip("?!.") for w in u.words]
    at = next((i for i, w in enumerate(words) if w in OVERDUE_WORDS), None)
    if at is None or any(w in OVERDUE_WORDS or w not in _OVERDUE_FILLER for w in words[:at]):
        return None
    return _board_with(catalog, words[at + 1:], "overdue")


def _board_with(catalog: Any, after: list[str], note: str) -> Intent | None:
    """The board with a count on top (``note``: overdue / due_soon), of the enhet named in the words after the
    question's phrase — or None when they name something that is no enhet ("försenade leveranser")."""
    rest = [w for w in after if w not in _OVERDUE_FILLER]
    slots: dict[str, Any] = {note: True}
    if rest:
        slots.update(_unit(catalog, " ".join(rest)))
        if "unit_id" not in slots and "unit_choices" not in slots:
            return None
    return Intent("board_show", 0.95, slots)


DUE_SOON = ("ska vara klara snart", "ska vara klart snart", "ska bli klara snart", "ska bli klart snart",
            "ska vara klara den har veckan", "ska vara klart den har veckan", "ska vara klara i veckan",
            "ska vara klart i veckan", "har slutdatum snart", "slutdatum snart", "due soon", "what is due")


def due_soon(u: Utterance, catalog: Any) -> Intent | None:
    """'vilka aktiviteter ska vara klara snart?', 'vad ska vara klart i veckan i Förskolan Humlan?' → the board,
    with how many are due within a week (they come right after the försenade in their columns)."""
    folded = u.folded.rstrip(" ?!.")
    phrase = next((p for p in DUE_SOON if p in folded), None)
    if phrase is None:
        return None
    before, after = folded.split(phrase, 1)
    if any(w not in _OVERDUE_FILLER and w not in ("ska", "vara", "som") for w in before.split()):
        return None  # "lärplattor ska vara klara snart": a report, not a question
    return _board_with(catalog, after.split(), "due_soon")


def board_start(u: Utterance, catalog: Any) -> Intent | None:
    """'starta tavelmöte', 'starta tavelmötet för Hemtjänst Knislinge', 'start board meeting'."""
    rest = _rest_after(u, u.raw, "starta tavelmotet", "starta tavelmote", "starta motet", "starta mote",
                       "starta veckans tavelmote", "start board meeting", "start the board meeting")
    if rest is None:
        return None
    # "för …", "i …", "på …" before the name go; the name stays as written (it is said back)
    _, low = _folded(rest) if rest else ("", "")
    lead = re.match(r"(?:for enheten|for|i|pa)\s+", low)
    rest = rest[lead.end():] if lead and len(low) == len(rest) else rest
    return Intent("board_start", 1.0, _unit(catalog, rest) if rest else {})


def link_channel(u: Utterance, catalog: Any) -> Intent | None:
    """'koppla kanalen till Förskolan Humlan' (chef or admin, in a channel)."""
    rest = _rest_after(u, u.raw, "koppla kanalen till", "koppla den har kanalen till", "koppla kanal till",
                       "koppla kanalen", "koppla den har kanalen", "link this channel to", "link channel to")
    if rest is None:
        return None
    return Intent("board_link", 1.0, _unit(catalog, rest))


def propose(u: Utterance, catalog: Any) -> Intent | None:
    """'nytt förslag: …', 'ny idé …', 'nytt förslag i Hemtjänst Knislinge: …' → an activity with status Idé."""
    rest = _rest_after(u, u.raw, "nytt forslag", "nytt forbattringsforslag", "ny ide", "new idea", "forslag",
                       "new suggestion")
    if rest is None:
        return None
    slots: dict[str, Any] = {}
    text, low = _folded(rest)
    match = re.match(r"^(?:i|for|till|in|for enheten)\s+([^:]{2,80}):\s*(.*)$", low)
    if match:
        slots.update(_unit(catalog, text[match.start(1):match.end(1)]))
        text = text[match.start(2):]
    slots["title"] = text.strip(" :,-–") or None
    return Intent("plan_propose", 1.0, slots)


def history(u: Utterance, _catalog: Any) -> Intent | None:
    """'historik digital introduktion', 'historik aktivitet 12', 'history …'."""
    rest = _rest_after(u, u.raw, "visa historik for", "visa historiken for", "historiken for", "historik for",
                       "visa historik", "historik", "history of", "history")
    return None if rest is None else _about_activity("activity_history", rest)


def _about_activity(name: str, rest: str) -> Intent:
    """``name`` about the activity ``rest`` names: by its number ("aktivitet 12", "nr 12", "12") or its words."""
    _, low = _folded(rest)
    match = _ACTIVITY_ID.search(low) or re.fullmatch(r"\s*#?(\d{1,9})\s*", low)
    if match:
        return Intent(name, 1.0, {"activity_id": int(match.group(1))})
    return Intent(name, 1.0, {"query": rest} if rest else {})


RESPONSIBLE = ("vem ar ansvarig for", "vem ar ansvariga for", "vem ansvarar for", "vem har ansvaret for",
               "vem har ansvar for", "vem har hand om", "vem ager", "vem jobbar med", "vem gor",
               "vilka ar ansvariga for", "who is responsible for", "who is in charge of", "who owns", "who is doing")


def responsible(u: Utterance, _catalog: Any) -> Intent | None:
    """'vem är ansvarig för lärplattor?', 'who owns the digital introduction?' → the activity's owner."""
    rest = _rest_after(u, u.raw, *RESPONSIBLE)
    return None if rest is None else _about_activity("activity_owner", rest.strip(" ?!."))


# --- New activity ----------------------------------------------------------------------------

_OWNER = re.compile(r"^(?:ansvarig|ansvariga|agare|owner|ansvar)\s*:?\s+(.+)$")
_DEADLINE = re.compile(r"^(?:klar|klart|senast|deadline|fardig|fardigt|fardigdatum|slutdatum|klar senast|klart senast"
                       r"|klar till|klart till|due|by)\s*:?\s+(.+)$")
_START = re.compile(r"^(?:start|startar|borjar|startdatum|fran)\s*:?\s+(.+)$")


def parse_day(text: str) -> tuple[int, int, int | None] | None:
    """A date as people write it: '30/4', '30/4 2018', '30/4-18', '2018-04-30', '30 april' → (d, m, y|None)."""
    low = fold(text.strip().lower()).rstrip(".")
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", low)
    if m:
        return int(m.group(3)), int(m.group(2)), int(m.group(1))
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})(?:(?:\s+|/|-)(\d{2}|\d{4}))?", low)
    if m:
        year = m.group(3)
        return int(m.group(1)), int(m.group(2)), (int(year) + 2000 if year and len(year) == 2 else int(year) if year else None)
    m = re.fullmatch(r"(\d{1,2})\s+([a-z]+)(?:\s+(\d{4}))?", low)
    if m:
        name = m.group(2)
        months = [fold(x) for x in MONTHS]
        for names in (months, list(MONTHS_EN), [x[:3] for x in months]):
            if name in names:
                return int(m.group(1)), names.index(name) + 1, int(m.group(3)) if m.group(3) else None
    return None


def to_date(parts: tuple[int, int, int | None] | None, year: int) -> date | None:
    """A real date from ``parse_day``'s parts (the plan year when no year was written); None when impossible."""
    if parts is None:
        return None
    d, m, y = parts
    try:
        return date(y or year, m, d)
    except ValueError:
        return None


def create(u: Utterance, catalog: Any) -> Intent | None:
    """'ny aktivitet i Förskolan Humlan: Digital introduktion för nyanställda, ansvarig Anna, klar 30/4'."""
    rest = _rest_after(u, u.raw, "ny aktivitet", "lagg till aktivitet", "lagg till en aktivitet", "skapa aktivitet",
                       "skapa en aktivitet", "new activity", "add activity")
    if rest is None:
        return None
    slots: dict[str, Any] = {}
    text, low = _folded(rest)
    match = re.match(r"^(?:i|for|till|pa|in|for)\s+([^:]{2,80}):\s*(.*)$", low)
    if match:
        slots.update(_unit(catalog, text[match.start(1):match.end(1)]))
        text, low = text[match.start(2):], low[match.start(2):]
    parts = [p for p in re.split(r"\s*[,;]\s*", text)]
    title_parts: list[str] = []
    for part in parts:
        part_low = fold(part.lower()).strip()
        owner = _OWNER.match(part_low)
        deadline = _DEADLINE.match(part_low)
        start = _START.match(part_low)
        if owner:
            slots["owner"] = part[owner.start(1):].strip()
        elif deadline and parse_day(deadline.group(1)):
            slots["deadline"] = parse_day(deadline.group(1))
        elif start and parse_day(start.group(1)):
            slots["start"] = parse_day(start.group(1))
        elif deadline or start:
            slots["bad_date"] = part.strip()
        elif part.strip():
            title_parts.append(part.strip())
    slots["title"] = ", ".join(title_parts).strip(" :-–") or None
    return Intent("activity_create", 1.0, slots)


# --- A new owner or due date for an activity (chef) -----------------------------------------

_OF = r"(?:for|pa|of)"  # för, på (folded), of
_ASSIGN = (  # (pattern on the folded text, what it sets); named groups: what (the activity), who, when
    (re.compile(r"^(?:andra|byt|satt|change|set)\s+(?:ansvarig|agare|ansvar|owner)\s+" + _OF
                + r"\s+(?P<what>.+?)\s+(?:till|to)\s+(?P<who>.+)$"), "owner"),
    (re.compile(r"^(?:ny\s+)?(?:ansvarig|agare|owner)\s+" + _OF + r"\s+(?P<what>.+?)\s*(?::|=|\s(?:ar|blir|is)\s)\s*"
                r"(?P<who>.+)$"), "owner"),
    (re.compile(r"^(?:satt|gor|make)\s+(?P<who>.+?)\s+(?:(?:som|till)\s+)?(?:the\s+)?(?:ansvarig|owner)\s+" + _OF
                + r"\s+(?P<what>.+)$"), "owner"),
    (re.compile(r"^(?:andra|flytta|satt|change|move|set)\s+(?:slutdatum(?:et)?|(?:the\s+)?(?:deadline|due\s+date|end\s+date))\s+"
                + _OF + r"\s+(?P<what>.+?)\s+(?:till|to)\s+(?P<when>.+)$"), "deadline"),
    (re.compile(r"^(?:nytt\s+)?(?:slutdatum|deadline|due\s+date|end\s+date)\s+" + _OF + r"\s+(?P<what>.+?)\s*(?::|=|\s(?:ar|blir|is)\s)"
                r"\s*(?P<when>.+)$"), "deadline"),
)


def assign(u: Utterance, _catalog: Any) -> Intent | None:
    """'ansvarig för gemensam frukost: Anna', 'ändra ansvarig för nr 4 till Bo', 'sätt Anna som ansvarig för
    frukost', 'ändra slutdatum för frukost till 30/6', 'make Anna the owner of …' → ``activity_assign`` with
    ``owner`` (the name as written) or ``deadline`` (``parse_day``'s parts; ``bad_date`` when it is no date)."""
    text, low = _folded(u.raw.strip().rstrip(" ?!."))
    for pattern, field in _ASSIGN:
        match = pattern.match(low)
        if match is None:
            continue
        what = text[match.start("what"):match.end("what")].strip(" :,-–\"'”“")
        intent = _about_activity("activity_assign", what)
        if field == "owner":
            intent.slots["owner"] = text[match.start("who"):match.end("who")].strip(" :,-–\"'”“")
        else:
            when = text[match.start("when"):match.end("when")].strip()
            day = parse_day(when)
            intent.slots.update({"deadline": day} if day else {"bad_date": when})
        return intent
    return None


_COMMENT = re.compile(r"^(?:(?:lagg\s+till|skriv|add)\s+(?:en\s+|a\s+)?)?(?:kommentar|comment)\s+(?:(?:pa|till|for|om|on|to|for)"
                      r"\s+)?(?P<what>[^:]+?)\s*:\s*(?P<text>\S.*)$")


def comment(u: Utterance, _catalog: Any) -> Intent | None:
    """'kommentar sagostund: vi börjar efter midsommar', 'lägg till en kommentar på nr 4: …', 'comment on … : …' →
    a report with a comment only (the handler finds the activity as for any report)."""
    text, low = _folded(u.raw.strip())
    match = _COMMENT.match(low)
    if match is None:
        return None
    intent = _about_activity("plan_report", text[match.start("what"):match.end("what")].strip(" \"'”“"))
    intent.slots["comment"] = text[match.start("text"):].strip()
    return intent


# --- Reporting progress in free text --------------------------------------------------------


def _strip_filler(text: str, low: str) -> str:
    """Drop 'jag är', 'med', a trailing 'är' … around the words that name the activity."""
    start = len(low) - len(low.lstrip(" :,.-–—!?"))
    end = len(low.rstrip(" :,.-–—!?"))
    text, low = text[start:end], low[start:end]
    lead = _LEADING_FILLER.match(low)
    if lead:
        text, low = text[lead.end():], low[lead.end():]
    trail = _TRAILING_FILLER.search(low)
    if trail:
        text = text[:trail.start()]
    return text.strip(" :,.-–—")


def parse_report(raw: str) -> dict[str, Any] | None:
    """What a report says: ``status``, ``progress``, ``comment``, and ``query`` or ``activity_id``; None if nothing.

    Markers (a status word, a percentage, "aktivitet 12") are found in the folded text; the words before the
    first marker name the activity and the words after the markers are the comment ("introduktion
    nyanställda 60 % väntar på IT"). When the text starts with the status ("klar med digital introduktion,
    filmerna ligger på intranätet") the name runs to the first separator and the comment follows it.
    """
    text, low = _folded(raw)
    spans: list[tuple[int, int, str, Any]] = []
    percent = _PERCENT.search(low)
    status = find_status(low)
    if percent:
        end = percent.end()
        if status and status[0] == KLAR and 0 <= status[1] - percent.end() <= 3:
            # "60 % klart" speaks of progress, not of being done.
            end, status = status[2], None
        spans.append((percent.start(), end, "progress", percent.group(1)))
    if status:
        spans.append((status[1], status[2], "status", status[0]))
    ident = _ACTIVITY_ID.search(low)
    if ident:
        spans.append((ident.start(), ident.end(), "activity_id", int(ident.group(1))))
    if not any(kind in ("status", "progress") for _, _, kind, _ in spans):
        return None
    spans.sort()
    # The first run of markers: later ones (a status word inside the comment) belong to the comment.
    run = [spans[0]]
    for span in spans[1:]:
        gap = low[run[-1][1]:span[0]]
        if re.fullmatch(r"\s*(?:och|,|:|ar|nu|-|–|med)?\s*", gap):
            run.append(span)
        else:
            break
    slots: dict[str, Any] = {}
    for _, _, kind, value in run:
        slots.setdefault(kind, value)
    if "progress" in slots:
        slots["progress"] = slots["progress"].replace(",", ".")
    before = _strip_filler(text[:run[0][0]], low[:run[0][0]])
    after_text, after_low = text[run[-1][1]:], low[run[-1][1]:]
    if before or "activity_id" in slots:
        query, comment = before, after_text.strip(" :,.-–—!?")
    else:
        sep = _SEPARATORS.search(after_low)
        if sep and sep.start() > 0:
            query_text, query_low = after_text[:sep.start()], after_low[:sep.start()]
            comment = after_text[sep.end():].strip()
        else:
            query_text, query_low, comment = after_text, after_low, ""
        query = _strip_filler(query_text, query_low)
    if "activity_id" not in slots:
        slots["query"] = query
    label = _COMMENT_LABEL.match(comment)
    if label:
        comment = comment[label.end():]
    if comment:
        slots["comment"] = comment
    return slots


def report(u: Utterance, catalog: Any) -> Intent | None:
    """'klar med digital introduktion', 'introduktion nyanställda 60 % väntar på IT', 'aktivitet 12 pågår'."""
    if not u.words or u.raw.strip().endswith("?") or u.words[0] in QUESTION_STARTS:
        return None
    if u.has_any(*NOT_REPORTS):
        return None
    slots = parse_report(u.raw)
    if slots is None:
        return None
    if "activity_id" in slots:
        return Intent("plan_report", 1.0, slots)
    query = slots.get("query") or ""
    if catalog is not None and hasattr(catalog, "find_in") and catalog.find_in(u.raw, "indicator", threshold=88.0):
        return Intent("plan_report", REPORT_NEAR_INDICATOR, slots)
    # A month and a year with a number reads as a measurement ("… 94,2 % mars 2018"), not as a report.
    if _YEAR.search(u.folded) and u.has_any(*MONTHS, *MONTHS_EN):
        return Intent("plan_report", REPORT_NEAR_INDICATOR, slots)
    if not re.search(r"[^\W\d_]{2,}", query):
        return Intent("plan_report", REPORT_WITHOUT_NAME, slots)
    return Intent("plan_report", REPORT_SCORE, slots)


RULES = (report_start, mine, board_start, link_channel, propose, create, assign, comment, history, responsible, board,
         overdue, due_soon, report)
