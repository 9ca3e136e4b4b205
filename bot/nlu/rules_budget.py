"""Budget rules: "budget kvar äldreomsorg", "hur mycket har Hälsa och omsorg kvar?", "budgetläge förskola",
"budget totalt", "budget familj och utbildning per verksamhet", "vilka verksamheter ligger över budget?",
"budget äldreomsorg 2019", "budget left elderly care".

One rule (``budget``) reads the text once and proposes:

- ``budget_over`` — "över budget", "överskrider", "over budget" (optionally for a named area).
- ``budget`` with ``target``:
  - ``line`` — a budget line named (catalog names + ``LINE_SYNONYMS``; typos allowed by
    ``Catalog.locate``). Several ids with the same name in different areas (Gymnasieskola, LSS,
    Räddningstjänst …) are all passed on: the handler shows a choice card, never picks one. An area named
    too narrows them ("gymnasieskola inflyttning och arbete").
  - ``area`` — a verksamhetsområde named (``detail`` when "per verksamhet" / "alla verksamheter").
  - ``enhet`` — an enhet named: Tavla has no budget per enhet; the handler offers its area.
  - ``total`` — "budget totalt", "budget", "budgetläget", "hela förvaltningen".
  - ``unknown`` — a budget word and a name Tavla does not know ("budget blomkål").
- ``budget_prognosis_set`` — "prognos äldreomsorg 152 000 tkr: fler platser från hösten": a budget line,
  a prognosis word and one amount (tkr unless kr/mkr is written), not a question. Only an ekonom or
  controller may store it (the handler checks).
- Slots ``year`` (a year written in the text) or ``year_offset`` (−1 for "i fjol", "förra året"), and
  ``month`` (a month named: "budget kvar äldreomsorg i mars" — the figures as they stood after it).

A budget word is needed: budget* (also misspelt: "budegt", "bugdet"), förbrukningsgrad, nettokostnad,
helårsprognos — or "kvar"/"utfall"/"prognos"/"left"/"spent" together with a budget line or area. Texts that
report or plan activities ("klar med …", "aktiviteten …") are left to the plans rules.
"""

from __future__ import annotations

import re
from typing import Any

from rapidfuzz import fuzz

from bot.nlu.catalog import Catalog, Entry, Located, key
from bot.nlu.intents import Intent
from bot.nlu.normalize import Utterance, clean, fold, normalize
from followup.indicators import find_month

# Extra names of budget lines (by verksamhet as in the budget) and areas (by name): colloquial and English.
LINE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "Äldreomsorg": ("äldreomsorgen", "äldrevård", "äldrevården", "äldreboende", "äldreboenden", "särskilt boende",
                    "elderly care", "eldercare", "elder care", "aged care", "care of the elderly", "care for the elderly"),
    "Förskola": ("förskolan", "förskolor", "förskolorna", "preschool", "pre school", "preschools", "kindergarten"),
    "Grundskola": ("grundskolan", "grundskolor", "grundskolorna", "compulsory school", "primary school",
                   "elementary school"),
    "Gymnasieskola": ("gymnasieskolan", "gymnasiet", "gymnasium", "upper secondary school", "upper secondary",
                      "high school"),
    "Fritidshem": ("fritids", "fritidshemmet", "fritidshemmen", "after school", "after school care",
                   "leisure time centre"),
    "Förskoleklass": ("förskoleklassen", "preschool class"),
    "Räddningstjänst": ("räddningstjänsten", "brandkåren", "rescue service", "rescue services", "fire service",
                        "fire department"),
    "Bibliotek": ("biblioteket", "biblioteken", "library", "libraries"),
    "Musikskola": ("musikskolan", "kulturskolan", "music school"),
    "Svenska för invandrare": ("sfi", "swedish for immigrants"),
    "Insatser enl LSS, SFB o HsL": ("lss", "lss insatser"),
    "Gymnasial vuxenutbildning mm": ("komvux", "gymnasial vuxenutbildning"),
    "Färdtjänst": ("färdtjänsten", "paratransit", "special transport"),
    "Flyktingmottagande": ("flyktingmottagningen", "refugee reception"),
    "Försörjningsstöd": ("försörjningsstödet", "socialbidrag", "income support", "social assistance"),
    "Vatten och avlopp": ("va", "water and sewage"),
    "Gator, vägar samt parkering": ("gator och vägar", "gator", "vägar", "roads", "streets"),
    "Parker": ("parkerna", "parks"),
    "Turism": ("turismen", "tourism"),
    "Överförmyndaren": ("överförmyndare", "överförmyndarverksamheten"),
    "Övergripande IFO": ("ifo", "individ och familjeomsorg", "socialtjänsten"),
    "Bostadsanpassning": ("bostadsanpassningen", "housing adaptation"),
    "Fastighetsförvaltning": ("fastigheter", "property management"),
}
AREA_SYNONYMS: dict[str, tuple[str, ...]] = {
    "Hälsa och omsorg": ("health and care", "health and social care", "healthcare and social care"),
    "Familj och utbildning": ("family and education", "education and family"),
    "Inflyttning och arbete": ("immigration and work", "migration and employment", "integration and work"),
    "Ekonomi och intern service": ("finance and internal services", "finance and internal service"),
    "HR och digital utveckling": ("hr and digital development",),
    "Strategi och tillväxt": ("strategy and growth",),
    "Samhällsbyggnad": ("community development", "urban development", "planning and building"),
    "Kommunchef": ("chief executive", "municipal manager"),
}

STRONG_WORDS = frozenset(
    "budget budgeten budgeter budgetar budgetarna budgetlage budgetlaget budgetstatus budgetkvar budgetutfall "
    "budgetavvikelse budgetavvikelser budgetuppfoljning budgetoversikt budgetprognos forbrukningsgrad "
    "forbrukningsgraden nettokostnad nettokostnaden nettokostnader helarsprognos helarsprognosen budgets".split())
WEAK_WORDS = frozenset(
    "kvar utfall utfallet prognos prognosen avvikelse avvikelsen forbrukat forbrukning pengar kronor tkr mkr "
    "kostnad kostnader kostar left remaining spent spend overspent cost costs forecast".split())
MONEY_WORDS = frozenset("pengar pengarna kronor tkr mkr money".split())
ASK_LEFT = ("hur mycket", "how much", "vad finns kvar", "vad har", "pengar kvar", "kvar att", "what is left",
            "whats left")
OVER_PHRASES = ("over budget", "overskrider", "overskridit", "overskriden", "overskridna", "overskrida",
                "budgetoverskridande", "budgetoverskridanden", "gar over", "ligger over", "overspend", "overspent",
                "over their budget", "over sin budget", "over sina budgetar", "overdrag", "overdragen")
OVER_ASK = ("vilka", "vilken", "vem", "which", "what", "lista", "visa", "hur manga", "finns det")
DETAIL_PHRASES = ("per verksamhet", "alla verksamheter", "varje verksamhet", "uppdelat", "uppdelad",
                  "detaljerat", "detaljerad", "i detalj", "specificerat", "specificerad", "verksamhet for verksamhet",
                  "per line", "by line", "breakdown", "broken down", "all lines", "in detail")
TOTAL_PHRASES = ("totalt", "total", "totala", "hela forvaltningen", "forvaltningen", "hela kommunen", "kommunen",
                 "sammanlagt", "allt", "alla omraden", "alla verksamhetsomraden", "per omrade",
                 "per verksamhetsomrade", "overall", "everything", "whole organisation", "whole organization",
                 "whole municipality", "in total")
LAST_YEAR = ("i fjol", "ifjol", "forra aret", "forra arets", "last year", "last years")
# Texts that report or plan activities, or change subscriptions: not budget questions.
NOT_BUDGET_START = ("klar med", "klart med", "klar", "klart", "fardig med", "fardigt", "har gjort", "gjort",
                    "rapportera", "paborjat", "paborjad", "borjat med", "pausa", "pausat", "ny aktivitet",
                    "nytt forslag", "forslag", "lagg till", "skapa", "flytta", "prenumerera", "stoppa",
                    "done with", "finished", "started")
NOT_BUDGET_WORDS = frozenset(
    "aktivitet aktiviteten aktiviteter aktiviteterna handlingsplan handlingsplanen uppgift uppgiften tavelmote "
    "tavelmotet activity activities task veckosammanfattning indikator indikatorn indikatorer".split())
FILLER = frozenset(
    "hur mycket har vi ni de den det finns kvar vad ar ligger visa ge mig oss lage laget status just nu idag "
    "hittills sa langt for i pa om inom per verksamhet verksamheter verksamheten omrade omradet "
    "verksamhetsomrade verksamhetsomradet pengar kronor tkr mkr an och med till av vilka vilken vem som "
    "gar over under ar aret hela totalt total left how much is are the of in what whats show me remaining "
    "spent budget budgets for there does do has have over their its which lines line tell please kan du jag "
    "se kolla tack snalla".split()) | STRONG_WORDS | WEAK_WORDS

PROGNOSIS_WORDS = ("prognos", "prognosen", "helarsprognos", "helarsprognosen", "ny prognos", "satt prognos",
                   "andra prognos", "andra prognosen", "forecast", "set forecast")
QUESTION_START = ("vad", "hur", "vilken", "visa", "what", "how", "show")
_AMOUNT = re.compile(r"(?<![\w,.])([-−]?\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?|[-−]?\d+(?:[.,]\d+)*)\s*"
                     r"(tkr|mkr|kr|ksek|msek|sek|miljoner|miljon|milj|mnkr|mn)?(?![\w])", re.IGNORECASE)
_UNITS = {"ksek": "tkr", "msek": "mkr", "sek": "kr", "miljoner": "mkr", "miljon": "mkr", "milj": "mkr", "mnkr": "mkr",
          "mn": "mkr", "": "tkr"}
AMBIGUOUS = "?"  # an amount that reads two ways ("152,000", "152.000"): asked about, never guessed
_NOTE = re.compile(r"(?::|\b(?:eftersom|därför att|because)\b)\s*(.+)$", re.IGNORECASE)

SCORE_CERTAIN = 0.95
SCORE_WEAK_NAMED = 0.85
SCORE_UNKNOWN = 0.6
_YEAR = re.compile(r"(?<!\d)(20\d{2}|19\d{2})(?!\d)")
_KIND_ORDER = {"budget_line": 0, "area": 1, "enhet": 2}
_YEAR_MONTH = re.compile(r"(?<!\d)(20\d{2})-(0[1-9]|1[0-2])(?!\d)")
_SHORT_MONTHS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "aug": 8, "sep": 9, "sept": 9, "okt": 10,
                 "oct": 10, "nov": 11, "dec": 12}  # not "jul": Christmas
_SHORT_MONTH = re.compile(r"(?<![\w-])(" + "|".join(sorted(_SHORT_MONTHS, key=len, reverse=True)) + r")\.?(?![\w-])")

def _extra_names(entry: Entry) -> tuple[str, ...]:
    if entry.kind == "budget_line":
        return LINE_SYNONYMS.get(entry.label, ())
    if entry.kind == "area":
        return AREA_SYNONYMS.get(entry.label, ())
    return ()


def extended(catalog: Catalog) -> Catalog:
    """The catalog plus ``LINE_SYNONYMS``/``AREA_SYNONYMS`` (built once per catalog object)."""
    return catalog.with_names("budget", _extra_names)


def _has(folded: str, phrases: tuple[str, ...] | frozenset[str]) -> bool:
    padded = f" {folded} "
    return any(f" {p} " in padded for p in phrases)


def _budget_word(words: list[str]) -> bool:
    """A strong budget word, or "budget" misspelt (budegt, bugdet, budjet, buget)."""
    for word in words:
        if word in STRONG_WORDS or word.startswith("budget"):
            return True
        if 5 <= len(word) <= 8 and word[0] == "b" and fuzz.ratio(word, "budget") >= 80:
            return True
    return False


def _non_overlapping(hits: list[Located]) -> list[Located]:
    """Longest spans first (then score, then lines before areas before enheter); overlapping ones dropped."""
    kept: list[Located] = []
    for hit in sorted(hits, key=lambda h: (-(h.end - h.start), -h.score, _KIND_ORDER.get(h.entry.kind, 9))):
        if any(hit.start < k.end and k.start < hit.end for k in kept):
            # the same words naming another entry of the kind: the same name in another area, kept for a choice —
            # but not a look-alike of a name matched as well or better ("grundskola": not also Grundsärskola)
            if not any(k.start == hit.start and k.end == hit.end and k.entry.kind == hit.entry.kind
                       and k.score <= hit.score for k in kept):
                continue
        kept.append(hit)
    return sorted(kept, key=lambda h: h.start)


def _rest(raw: str, hits: list[Located]) -> list[str]:
    """Words no name explains, as the user wrote them (``key`` folds å/ä/ö one character for one)."""
    plain = normalize(raw)
    folded = fold(plain)
    if len(plain) != len(folded):  # cannot happen with today's folding; never mis-slice
        plain = folded
    masked = list(plain)
    for hit in hits:
        masked[hit.start:hit.end] = " " * (hit.end - hit.start)
    words = _YEAR.sub(" ", _YEAR_MONTH.sub(" ", "".join(masked))).split()
    return [w for w in words if fold(w) not in FILLER and not w.isdigit() and len(w) > 1 and find_month(w) is None
            and fold(w).rstrip(".") not in _SHORT_MONTHS]


def _year_slots(folded: str) -> dict[str, Any]:
    """``year`` (written) or ``year_offset`` ("i fjol"), and ``month`` — "budget äldreomsorg mars", "utfall
    förskola t.o.m. mars 2017": the figures as they stood after that month of the year shown."""
    slots: dict[str, Any] = {}
    found = _YEAR.search(folded)
    if found:
        slots["year"] = int(found.group(1))
    elif _has(folded, LAST_YEAR):
        slots["year_offset"] = -1
    month = find_month(folded)
    numbered = _YEAR_MONTH.search(folded)
    short = _SHORT_MONTH.search(folded)
    if month is not None:
        slots["month"] = month[0]
    elif numbered is not None:  # "utfall förskola 2018-03"
        slots["month"] = int(numbered.group(2))
    elif short is not None:  # "budget äldreomsorg jan": abbreviated as in a ledger (not "jul", which is Christmas)
        slots["month"] = _SHORT_MONTHS[short.group(1)]
    return slots


def _amount(raw: str, year: int | None) -> tuple[str, str, tuple[str, ...]] | None:
    """The one amount written (not a year): ("152000", "tkr", ("152 000",)) — the unit is tkr unless kr or mkr
    ("miljoner") is written, and the numbers as written come last. ``(AMBIGUOUS, unit, written)`` for one that
    reads two ways, and for several or one that is no number: a prognosis the text meant to set is never shown
    as if it had been set."""
    found = []
    for m in _AMOUNT.finditer(raw):
        number = m.group(1).replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("−", "-")
        unit = (m.group(2) or "").lower()
        if not unit and re.fullmatch(r"(19|20)\d{2}", number) and (year is None or int(number) == year):
            continue
        found.append((_money(number) or AMBIGUOUS, _UNITS.get(unit, unit), m.group(1).strip()))
    if not found:
        return None
    written = tuple(w for _, _, w in found)
    return (found[0][0] if len(found) == 1 else AMBIGUOUS), found[0][1], written


def readings(written: str) -> tuple[str, str] | None:
    """The two ways an amount ``_money`` calls ``AMBIGUOUS`` reads — thousands, decimals: ("4300", "4.300") for
    "4.300" or "4,300" — or None (it is several amounts, or no number)."""
    number = written.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("−", "-")
    if _money(number) != AMBIGUOUS:
        return None
    mark = number[max(number.rfind(","), number.rfind("."))]
    return number.replace(mark, ""), number.replace(mark, ".")


def _money(number: str) -> str | None:
    """A written amount as a plain decimal ("150853.2"), ``AMBIGUOUS``, or None when it is no number.

    "150 853,2" (spaces removed before), "150.853,2" and "150,853.2" (the last separator is the decimal one),
    "1.234.567", "95,5". One comma or point before exactly three digits reads two ways — Swedish decimals or
    English thousands ("152,000"), Swedish decimals' point or dotted thousands ("152.000") — and is
    ``AMBIGUOUS``: 1 000 times apart, never guessed."""
    separators = {c for c in number if c in ",."}
    if not separators:
        return number
    last = max(number.rfind(","), number.rfind("."))
    mark = number[last]
    if len(separators) == 2:  # "150.853,2", "150,853.2": the last one is the decimal mark
        group = "." if mark == "," else ","
        head = number[:last]
        return head.replace(group, "") + "." + number[last + 1:] if _grouped(head, group) else None
    if number.count(mark) > 1:  # "1.234.567"
        return number.replace(mark, "") if _grouped(number, mark) else None
    return AMBIGUOUS if len(number) - last - 1 == 3 else number.replace(mark, ".")


def _grouped(number: str, separator: str) -> bool:
    return re.fullmatch(r"-?\d{1,3}(?:" + re.escape(separator) + r"\d{3})+", number) is not None


def budget(u: Utterance, catalog: Any) -> Intent | None:
    """A budget question → ``budget`` / ``budget_over`` (see the module docstring), or None."""
    if not isinstance(catalog, Catalog) or not u.text:
        return None
    folded = key(u.raw)
    words = folded.split()
    if not words or any(folded == p or folded.startswith(p + " ") for p in NOT_BUDGET_START):
        return None
    if set(words) & NOT_BUDGET_WORDS:
        return None
    strong = _budget_word(words)
    over = _has(folded, OVER_PHRASES)
    weak = bool(set(words) & WEAK_WORDS) or _has(folded, ASK_LEFT)
    if not (strong or over or weak):
        return None

    cat = extended(catalog)
    hits = _non_overlapping(cat.locate(u.raw, "budget_line", "area", "enhet"))
    lines = [h for h in hits if h.entry.kind == "budget_line"]
    areas = [h for h in hits if h.entry.kind == "area"]
    enheter = [h for h in hits if h.entry.kind == "enhet"]
    slots: dict[str, Any] = _year_slots(folded)
    area_ids = list(dict.fromkeys(h.entry.id for h in areas))

    if lines and _has(folded, PROGNOSIS_WORDS) and "?" not in u.raw and not _has(folded, QUESTION_START):
        typed = clean(u.raw)  # the note as typed (mention and HTML gone); checked by the handler
        found = _NOTE.search(typed)
        note = found.group(1) if found else None
        amount = _amount(typed[:found.start()] if found else typed, slots.get("year"))  # not the note's numbers
        if amount is None and note:  # "prognos för äldreomsorg: 151,5 miljoner – fler platser": after the colon
            lead = _AMOUNT.match(note)
            if lead:
                amount = _amount(lead.group(0), slots.get("year"))
                note = note[lead.end():].strip(" -–—,;:.") or None
        if amount is not None:
            value, unit, written = amount
            labels = list(dict.fromkeys(h.entry.label for h in lines))
            candidates = cat.labelled("budget_line", labels)
            if area_ids:
                candidates = [e for e in candidates if e.parent_id in area_ids] or candidates
            head = key(typed[:found.start()] if found else typed).split()
            slots.update(line_ids=[e.id for e in candidates], labels=labels, area_ids=area_ids, amount=value,
                         unit=unit, written=list(written), note=note, anyway=bool({"anda", "anyway"} & set(head)))
            return Intent("budget_prognosis_set", SCORE_CERTAIN, slots)

    if over and not lines:
        if areas:
            slots.update(area_ids=area_ids[:1], area_name=areas[0].entry.label)
        elif enheter:
            enhet = enheter[0].entry
            if enhet.parent_id is not None:
                slots.update(area_ids=[enhet.parent_id], area_name=enhet.parent_label)
        return Intent("budget_over", SCORE_CERTAIN, slots)

    if not strong:
        # "kvar"/"utfall"/"prognos" alone are budget questions only with a budget line or area named — or when
        # money left is asked about ("hur mycket pengar finns kvar till skolan": what was named is looked up)
        if not (lines or areas) and not (set(words) & MONEY_WORDS and _has(folded, ASK_LEFT + ("kvar",))):
            return None
        score = SCORE_CERTAIN if _has(folded, ASK_LEFT) else SCORE_WEAK_NAMED
    else:
        score = SCORE_CERTAIN
    slots["detail"] = _has(folded, DETAIL_PHRASES)

    if lines:
        # every line whose name was found, in every area (same name in two areas = a choice, never a pick)
        labels = list(dict.fromkeys(h.entry.label for h in lines))
        candidates = cat.labelled("budget_line", labels)
        if area_ids:
            narrowed = [e for e in candidates if e.parent_id in area_ids]
            candidates = narrowed or candidates
        slots.update(target="line", line_ids=[e.id for e in candidates], labels=labels,
                     area_ids=area_ids)
        return Intent("budget", score, slots)
    if areas:
        slots.update(target="area", area_ids=area_ids[:1], area_name=areas[0].entry.label)
        return Intent("budget", score, slots)
    if enheter:
        enhet = enheter[0].entry
        slots.update(target="enhet", enhet_id=enhet.id, enhet_name=enhet.label, area_ids=[enhet.parent_id],
                     area_name=enhet.parent_label)
        return Intent("budget", score, slots)
    rest = _rest(u.raw, hits)
    if not rest or _has(folded, TOTAL_PHRASES):
        slots["target"] = "total"
        return Intent("budget", score, slots)
    slots.update(target="unknown", query=" ".join(rest))
    return Intent("budget", SCORE_UNKNOWN, slots)


RULES_BUDGET = (budget,)
